package kvcache

import "syscall"

// madvHugepage is MADV_HUGEPAGE (linux/mman.h); the syscall package does
// not name it.
const madvHugepage = 14

// adviseHuge asks the kernel to back b with transparent huge pages. An
// error (a kernel without THP, a policy of "never") leaves b as it is.
func adviseHuge(b []byte) { _ = syscall.Madvise(b, madvHugepage) }

//go:build !linux

package kvcache

// adviseHuge does nothing where the kernel has no madvise(MADV_HUGEPAGE).
func adviseHuge([]byte) {}

package kvcache

import "unsafe"

// hugePageBytes is the size of a transparent huge page on the platforms
// that have them (x86-64 and arm64 Linux with 4 KB base pages).
const hugePageBytes = 2 << 20

// hugeMin is the smallest slot array asked to live on huge pages: below a
// few huge pages the TLB covers it anyway.
const hugeMin = 4 * hugePageBytes

// newSlots returns size empty-able slots (zeroed, not yet marked empty).
// A large array is one random access per probe over hundreds of MB (a
// 10,000-instance fleet's prefix index), where 4 KB pages make every probe
// a TLB miss as well as a cache miss; so its 2 MB-aligned interior is
// advised to the kernel as huge-page memory before the caller's first
// write faults it in. Go's heap gets no huge pages by itself when
// /sys/kernel/mm/transparent_hugepage/enabled is "madvise". The advice
// is best effort: where it is refused or unsupported nothing changes but
// speed.
func newSlots(size int) []tslot {
	s := make([]tslot, size)
	if n := uintptr(size) * unsafe.Sizeof(tslot{}); n >= hugeMin {
		p := uintptr(unsafe.Pointer(unsafe.SliceData(s)))
		lo := (p + hugePageBytes - 1) &^ (hugePageBytes - 1)
		hi := (p + n) &^ (hugePageBytes - 1)
		if hi > lo {
			adviseHuge(unsafe.Slice((*byte)(unsafe.Add(unsafe.Pointer(unsafe.SliceData(s)), lo-p)), hi-lo))
		}
	}
	return s
}

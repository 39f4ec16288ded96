//go:build amd64 || arm64

package prefetch

import "unsafe"

// Line starts loading the cache line that holds p (a hint: it never
// faults, and a nil or stale p is harmless).
//
//go:noescape
func Line(p unsafe.Pointer)

// Range starts loading every cache line that holds a byte of [p, p+size)
// (one call for a stretch of memory: each call costs a few ns).
//
//go:noescape
func Range(p unsafe.Pointer, size uintptr)

//go:build amd64 || arm64

package prefetch

import "unsafe"

// Line starts loading the cache line that holds p (a hint: it never
// faults, and a nil or stale p is harmless).
//
//go:noescape
func Line(p unsafe.Pointer)

// Package prefetch asks the CPU to start loading a memory line into its
// caches without waiting for it, so that the cache misses of state the
// simulator will touch soon (the next events' instances, a request's
// routing candidates) overlap with work instead of following one another.
//
// A plain load used as a "touch" keeps the out-of-order window busy until
// the line arrives; a prefetch instruction retires at once and never
// faults. Go has no prefetch intrinsic outside the runtime, so Line is one
// instruction of assembly on amd64 (PREFETCHT0) and arm64 (PRFM PLDL1KEEP)
// and does nothing on other architectures. It never changes a program's
// results, only when memory arrives.
package prefetch

import "unsafe"

// LineBytes is the cache line size Lines steps by (x86-64 and most arm64
// cores).
const LineBytes = 64

// Lines requests the lines from number from up to (not including) number
// to of the memory at p: a struct's first lines, or those after the ones
// requested earlier.
func Lines(p unsafe.Pointer, from, to uintptr) {
	for l := from; l < to; l++ {
		Line(unsafe.Add(p, l*LineBytes))
	}
}

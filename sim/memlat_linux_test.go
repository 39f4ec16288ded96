//go:build linux

package sim

import (
	"fmt"
	"os"
	"syscall"
	"testing"
	"unsafe"
)

// BenchmarkMemoryLatency measures what one read of a random cache line costs
// on this machine as the working set grows through the sizes that the
// simulator's KV state reaches in BenchmarkSimScale (B/cached-block times
// the blocks cached: a few MB at 8 instances, ~150 MB at 512, ~2.6 GB at
// 10,000). The simulator's instructions per request are flat across those
// sizes; its time per request follows these figures, so they are the floor
// under how flat BenchmarkSimScale can be on a given machine.
//
// chase: each read's address comes from the read before (a pointer chase:
// full latency, as a walk through a cold instance's structures pays it).
// random: independent reads at computed addresses (the memory system's
// parallelism, as prefetched batches of index probes get it).
//
// The memory is mapped and advised MADV_HUGEPAGE, as the simulator's heap
// is (internal/thp), so what grows past the CPU caches is the cost of DRAM
// and of translating addresses (TLB reach; under a hypervisor, nested page
// tables). Sizes above 256 MB run only with FLEETBENCH_SIMSCALE_10K=1
// (`make bench-scale`).
func BenchmarkMemoryLatency(b *testing.B) {
	for _, mb := range []int{4, 128, 1024, 2048, 4096} {
		b.Run(fmt.Sprintf("MB=%d", mb), func(b *testing.B) {
			if mb > 256 && os.Getenv("FLEETBENCH_SIMSCALE_10K") == "" {
				b.Skip("set FLEETBENCH_SIMSCALE_10K=1 for working sets above 256 MB")
			}
			mem, err := syscall.Mmap(-1, 0, mb<<20, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
			if err != nil {
				b.Skipf("mapping %d MB: %v", mb, err)
			}
			defer func() { _ = syscall.Munmap(mem) }()
			_ = syscall.Madvise(mem, 14) // MADV_HUGEPAGE; ignored where THP is off
			lines := unsafe.Slice((*[8]uint64)(unsafe.Pointer(&mem[0])), len(mem)/64)
			chainLines(lines)
			b.Run("chase", func(b *testing.B) {
				i := uint64(0)
				for b.Loop() {
					i = lines[i][0]
				}
				sinkLatency ^= i
			})
			b.Run("random", func(b *testing.B) {
				x, mask, s := uint64(0x9E3779B97F4A7C15), uint64(len(lines)-1), uint64(0)
				for b.Loop() {
					x ^= x << 13
					x ^= x >> 7
					x ^= x << 17
					s += lines[x&mask][1]
				}
				sinkLatency ^= s
			})
		})
	}
}

// sinkLatency keeps the benchmarks' reads from being optimised away.
var sinkLatency uint64

// chainLines writes into every line the index of the next one in a single
// cycle through all of them, in an order with no stride a hardware
// prefetcher could follow: a full-period linear congruential generator
// modulo the (power-of-two) line count, whose high bits, the ones that
// pick the page, change at every step. Each line's second word is
// written too, so that every page is resident before timing.
func chainLines(lines [][8]uint64) {
	mask := uint64(len(lines) - 1) // len is a power of two
	for i := range lines {
		// a = 1 (mod 4) and c odd: period 2^k modulo any 2^k.
		lines[i][0] = (uint64(i)*6364136223846793005 + 1442695040888963407) & mask
		lines[i][1] = uint64(i)
	}
}

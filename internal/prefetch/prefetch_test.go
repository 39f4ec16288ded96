package prefetch

import (
	"testing"
	"unsafe"
)

// TestLineIsHarmless: a prefetch of any address, valid, nil or past the
// end of an allocation, neither faults nor changes memory.
func TestLineIsHarmless(t *testing.T) {
	buf := make([]int64, 64)
	for i := range buf {
		buf[i] = int64(i)
	}
	for i := range buf {
		Line(unsafe.Pointer(&buf[i]))
	}
	Line(nil)
	Line(unsafe.Add(unsafe.Pointer(&buf[0]), 1<<20))
	for i := range buf {
		if buf[i] != int64(i) {
			t.Fatalf("buf[%d] = %d after prefetching", i, buf[i])
		}
	}
}

// BenchmarkLine is the cost of one prefetch call (a few ns: it must be
// far below the cache miss it hides).
func BenchmarkLine(b *testing.B) {
	buf := make([]byte, 1<<20)
	p := unsafe.Pointer(&buf[0])
	for i := 0; b.Loop(); i++ {
		Line(unsafe.Add(p, (i*64)&(1<<20-1)))
	}
}

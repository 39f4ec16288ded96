package sim

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// TestStepAtEqualsBinarySearch: kick's guessed-and-walked search gives
// slices.BinarySearch's answer whatever the guess (a span cut short, a
// step time far from the mean, a stale or zero stepNs, t before, inside
// or after the span, steps of equal end).
func TestStepAtEqualsBinarySearch(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for trial := range 20000 {
		k := 2 + r.IntN(130)
		start := int64(r.IntN(1e6))
		ends := make([]int64, k)
		at := start
		for i := range ends {
			if trial%7 != 0 || r.IntN(4) != 0 { // trial%7 == 0: some equal ends
				at += 1 + int64(r.IntN(40000))
			}
			ends[i] = at
		}
		in := &instance{stepStart: start, span: k, spanEnds: ends}
		switch trial % 4 {
		case 0:
			in.stepNs = (ends[k-1] - start) / int64(k)
		case 1:
			in.stepNs = 1 + int64(r.IntN(100000))
		case 2:
			in.stepNs = 0
		case 3:
			in.stepNs = (ends[k-1] - start) / int64(k)
			in.span = 2 + r.IntN(k-1) // cut short by an earlier kick
		}
		q := start - 10 + int64(r.IntN(int(ends[k-1]-start)+20))
		if trial%5 == 0 {
			q = ends[r.IntN(k)] // exactly a step's end
		}
		want, _ := slices.BinarySearch(ends[:in.span-1], q)
		if got := in.stepAt(q); got != want {
			t.Fatalf("trial %d: stepAt(%d) = %d, BinarySearch = %d (span %d, stepNs %d)", trial, q, got, want, in.span, in.stepNs)
		}
	}
}

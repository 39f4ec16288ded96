package sim

import (
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// queued is the number of events q holds (heap, ring and beyond).
func queued(q *eventQueue) int {
	return max(len(q.h)-rootAt, 0) + q.inRing + max(len(q.over)-rootAt, 0)
}

func TestEventQueueOrder(t *testing.T) {
	var q eventQueue
	r := rand.New(rand.NewPCG(1, 2))
	type key struct {
		at  int64
		idx int32
	}
	var want []key
	for i := 0; i < 5000; i++ {
		at := int64(r.IntN(100)) // many ties: order must follow insertion
		q.push(event{at: at, idx: int32(i)})
		want = append(want, key{at, int32(i)})
	}
	sort.SliceStable(want, func(a, b int) bool { return want[a].at < want[b].at })
	for i := range want {
		e := q.pop()
		require.Equal(t, want[i], key{e.at, e.idx})
	}
	require.Zero(t, queued(&q))
}

// TestEventQueueInterleaved: pushes and pops mixed, as in a run, always
// pop the earliest (at, insertion order) event of those queued.
func TestEventQueueInterleaved(t *testing.T) {
	var q eventQueue
	r := rand.New(rand.NewPCG(3, 4))
	type key struct {
		at  int64
		idx int32
	}
	var ref []key // queued, in insertion order
	now := int64(0)
	for i := 0; i < 20000; i++ {
		if len(ref) == 0 || r.IntN(3) > 0 {
			k := key{now + int64(r.IntN(50)), int32(i)}
			q.push(event{at: k.at, idx: k.idx})
			ref = append(ref, k)
			continue
		}
		m := 0
		for j := range ref {
			if ref[j].at < ref[m].at {
				m = j
			}
		}
		e := q.pop()
		require.Equal(t, ref[m], key{e.at, e.idx}, "pop %d", i)
		now = e.at
		ref = append(ref[:m], ref[m+1:]...)
	}
	require.Equal(t, len(ref), queued(&q))
}

// TestEventQueueTiers drives queues past farMin, where the second tier
// (time buckets in a ring, and a heap beyond it) takes the later events,
// with delays from nanoseconds to beyond the ring (ties included), runs
// of pops that drain the heap and the ring, and jumps over empty
// buckets: the pops must come in exactly (at, insertion) order, as a
// plain sorted reference gives them.
func TestEventQueueTiers(t *testing.T) {
	type key struct {
		at  int64
		idx int32
	}
	span := int64(ringLen) << bucketShift
	delays := []func(r *rand.Rand) int64{
		func(r *rand.Rand) int64 { return int64(r.IntN(3)) },                      // ties
		func(r *rand.Rand) int64 { return int64(r.IntN(1 << bucketShift)) },       // within a bucket
		func(r *rand.Rand) int64 { return int64(r.IntN(1 << (bucketShift + 6))) }, // across buckets
		func(r *rand.Rand) int64 { return span/2 + int64(r.IntN(int(span))) },     // over the ring
		func(r *rand.Rand) int64 { return int64(r.IntN(int(8 * span))) },          // far beyond
	}
	defer func(n int) { farMin = n }(farMin)
	farMin = 1000
	for seed := uint64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			var q eventQueue
			r := rand.New(rand.NewPCG(seed, 9))
			var ref []key // queued, sorted by (at, insertion)
			now := int64(0)
			n := 0
			for step := 0; step < 60000; step++ {
				// Phases: fill far past farMin, then mostly pop, until drained.
				fill := (step/10000)%2 == 0
				if len(ref) == 0 || (fill && r.IntN(10) < 7) || (!fill && r.IntN(10) < 2) {
					k := key{now + delays[r.IntN(len(delays))](r), int32(n)}
					n++
					q.push(event{at: k.at, idx: k.idx})
					i := sort.Search(len(ref), func(i int) bool { return ref[i].at > k.at })
					ref = append(ref, key{})
					copy(ref[i+1:], ref[i:])
					ref[i] = k
					continue
				}
				at, ok := q.peekTime()
				require.True(t, ok)
				require.Equal(t, ref[0].at, at, "peek %d", step)
				e := q.pop()
				require.Equal(t, ref[0], key{e.at, e.idx}, "pop %d", step)
				now = e.at
				ref = ref[1:]
				require.Equal(t, len(ref), queued(&q))
			}
			require.True(t, q.far, "the test must reach the second tier")
			for len(ref) > 0 {
				e := q.pop()
				require.Equal(t, ref[0], key{e.at, e.idx})
				ref = ref[1:]
			}
			_, ok := q.peekTime()
			require.False(t, ok)
			require.Zero(t, queued(&q))
		})
	}
}

// BenchmarkEventQueue is the queue in steady state with one pending event
// per busy instance of a fleet: each op pops the earliest event and
// schedules its successor a random step later.
func BenchmarkEventQueue(b *testing.B) {
	for _, n := range []int{1024, 10000, 100000} {
		b.Run(fmt.Sprintf("pending=%d", n), func(b *testing.B) {
			var q eventQueue
			r := rand.New(rand.NewPCG(1, 2))
			for i := range n {
				q.push(event{at: int64(r.IntN(1_000_000)), kind: evStep, idx: int32(i)})
			}
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				e := q.pop()
				e.at += int64(20_000 + r.IntN(1_000_000))
				q.push(e)
			}
		})
	}
}

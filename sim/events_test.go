package sim

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

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
	require.Empty(t, q.h)
}

func BenchmarkEventQueue(b *testing.B) {
	var q eventQueue
	for i := 0; i < 1024; i++ {
		q.push(event{at: int64(i * 7919 % 1024)})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e := q.pop()
		e.at += 1000
		q.push(e)
	}
}

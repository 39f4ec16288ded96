package kvcache

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIndexAddRemove(t *testing.T) {
	x := NewIndex()
	x.Add(1, 5)
	x.Add(1, 3)
	x.Add(1, 5) // idempotent
	x.Add(2, 3)
	require.Equal(t, 2, x.Replicas(1))
	require.Equal(t, 2, x.Len())
	x.Remove(1, 5)
	x.Remove(1, 9) // absent instance
	x.Remove(7, 3) // absent hash
	require.Equal(t, 1, x.Replicas(1))
	x.Remove(1, 3)
	require.Zero(t, x.Replicas(1))
	require.Equal(t, 1, x.Len(), "empty entries are deleted")
}

func TestIndexLongest(t *testing.T) {
	x := NewIndex()
	// instance: blocks of prompt h it holds
	hold := map[int32][]uint64{
		1: {100, 101, 102},
		2: {100, 101, 102, 103},
		3: {100},
		4: {100, 101, 102},
		5: {101, 102, 103}, // no first block: not a match at all
		6: {100, 102, 103}, // a gap: only the first block counts
	}
	for inst, hs := range hold {
		for _, h := range hs {
			x.Add(h, inst)
		}
	}
	h := []uint64{100, 101, 102, 103, 104}
	tests := []struct {
		name string
		h    []uint64
		max  int
		want []Match
	}{
		{"all", h, 10, []Match{{2, 4}, {1, 3}, {4, 3}, {3, 1}, {6, 1}}},
		{"top 2", h, 2, []Match{{2, 4}, {1, 3}}},
		{"top 3 cuts a group", h, 3, []Match{{2, 4}, {1, 3}, {4, 3}}},
		{"short prompt", h[:2], 10, []Match{{1, 2}, {2, 2}, {4, 2}, {3, 1}, {6, 1}}},
		{"unknown first block", []uint64{999, 100}, 10, nil},
		{"empty", nil, 10, nil},
		{"max 0", h, 0, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := x.Longest(tc.h, tc.max, nil)
			require.Equal(t, tc.want, got)
		})
	}
	// out is appended to.
	out := x.Longest(h, 1, []Match{{0, 0}})
	require.Equal(t, []Match{{0, 0}, {2, 4}}, out)
}

// TestIndexLongestMatchesBruteForce checks Longest against a scan over every
// instance on random fleets, including fleet-wide hashes (binary-search path).
func TestIndexLongestMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const insts, depth = 200, 12
	for trial := range 50 {
		x := NewIndex()
		held := make([]map[uint64]bool, insts)
		prompt := make([]uint64, depth)
		for i := range prompt {
			prompt[i] = uint64(trial*100 + i)
		}
		for inst := range insts {
			held[inst] = map[uint64]bool{}
			p := 0.2 + 0.8*float64(trial%5)/4
			for i, h := range prompt {
				if i == 0 && trial%2 == 0 || rng.Float64() < p {
					x.Add(h, int32(inst))
					held[inst][h] = true
				}
			}
		}
		var want []Match
		for inst := range insts {
			n := 0
			for n < depth && held[inst][prompt[n]] {
				n++
			}
			if n > 0 {
				want = append(want, Match{int32(inst), n})
			}
		}
		slices.SortStableFunc(want, func(a, b Match) int { return b.Blocks - a.Blocks })
		for _, max := range []int{1, 5, insts} {
			got := x.Longest(prompt, max, nil)
			require.Equal(t, want[:min(max, len(want))], got, "trial %d max %d", trial, max)
		}
	}
}

func TestIndexFollowsCacheHooks(t *testing.T) {
	x := NewIndex()
	caches := make([]*Cache, 3)
	for i := range caches {
		inst := int32(i)
		caches[i] = New(8, 16)
		caches[i].SetHooks(func(h uint64) { x.Add(h, inst) }, func(h uint64) { x.Remove(h, inst) })
	}
	p := prompt(1, 64)
	h := hashes(p, 16)
	a0, _ := run(t, caches[0], p)
	a2, _ := run(t, caches[2], prompt(1, 32))
	require.Equal(t, []Match{{0, 4}, {2, 2}}, x.Longest(h, 5, nil))
	caches[0].Release(a0.Seq)
	caches[2].Release(a2.Seq)
	b, _ := run(t, caches[0], prompt(9, 128)) // evicts all of p from instance 0
	require.Equal(t, []Match{{2, 2}}, x.Longest(h, 5, nil))
	caches[0].Release(b.Seq)
	caches[2].Reset()
	require.Empty(t, x.Longest(h, 5, nil))
	require.Equal(t, 8, x.Len(), "only instance 0's resident blocks remain")
}

func TestIndexDepthAndDeepest(t *testing.T) {
	x := NewIndex()
	h := []uint64{11, 12, 13, 14, 15}
	for _, k := range h[:4] {
		x.Add(k, 1)
	}
	for _, k := range h[:2] {
		x.Add(k, 2)
	}
	require.Equal(t, 4, x.Depth(h, 1))
	require.Equal(t, 2, x.Depth(h, 2))
	require.Equal(t, 0, x.Depth(h, 3))
	n, who := x.Deepest(h)
	require.Equal(t, 4, n)
	require.Equal(t, []int32{1}, who)
	n, who = x.Deepest([]uint64{99})
	require.Zero(t, n)
	require.Empty(t, who)
	require.True(t, x.Has(12, 2))
	require.False(t, x.Has(13, 2))
}

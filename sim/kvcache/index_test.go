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
	require.Equal(t, 2, x.replicas(1))
	require.Equal(t, 2, x.Len())
	x.Remove(1, 5)
	x.Remove(1, 9) // absent instance
	x.Remove(7, 3) // absent hash
	require.Equal(t, 1, x.replicas(1))
	x.Remove(1, 3)
	require.Zero(t, x.replicas(1))
	require.Equal(t, 1, x.Len(), "empty entries are deleted")
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
	require.Equal(t, 4, x.depthOf(h, 0))
	require.Equal(t, 2, x.depthOf(h, 2))
	caches[0].Release(a0.Seq)
	caches[2].Release(a2.Seq)
	b, _ := run(t, caches[0], prompt(9, 128)) // evicts all of p from instance 0
	require.Equal(t, 0, x.depthOf(h, 0))
	n, who := x.deepestOf(h)
	require.Equal(t, 2, n)
	require.Equal(t, []int32{2}, who)
	caches[0].Release(b.Seq)
	caches[2].Reset()
	n, _ = x.deepestOf(h)
	require.Zero(t, n)
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
	require.Equal(t, 4, x.depthOf(h, 1))
	require.Equal(t, 2, x.depthOf(h, 2))
	require.Equal(t, 0, x.depthOf(h, 3))
	n, who := x.deepestOf(h)
	require.Equal(t, 4, n)
	require.Equal(t, []int32{1}, who)
	n, who = x.deepestOf([]uint64{99})
	require.Zero(t, n)
	require.Empty(t, who)
	require.True(t, x.has(12, 2))
	require.False(t, x.has(13, 2))
}

// TestLookupMatchesProbes checks the Lookup path that routing uses (one
// table read per hash, shared by every search) against independent
// binary searches over Has and Replicas, on prefixes of random depth held
// by single instances and shared by many, and non-prefix holdings.
func TestLookupMatchesProbes(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	x := NewIndex()
	const insts = 40
	x.SetInstances(insts)
	prompts := make([][]uint64, 30)
	for p := range prompts {
		prompts[p] = make([]uint64, 1+rng.IntN(80))
		for i := range prompts[p] {
			prompts[p][i] = rng.Uint64()
		}
		everyone := p%5 == 0 // a prefix every instance holds, as a popular system prompt
		for inst := range insts {
			if everyone || p%5 == 1 && inst != p%insts { // everyone, or all but one
				for _, h := range prompts[p][:len(prompts[p])/2] {
					x.Add(h, int32(inst))
				}
			}
			if rng.IntN(3) == 0 {
				n := rng.IntN(len(prompts[p]) + 1)
				for _, h := range prompts[p][:n] {
					x.Add(h, int32(inst))
				}
				if rng.IntN(5) == 0 && n > 0 { // a hole: not a prefix any more
					x.Remove(prompts[p][rng.IntN(n)], int32(inst))
				}
			}
		}
	}
	search := func(n int, ok func(i int) bool) int {
		lo, hi := 0, n
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if ok(mid - 1) {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		return lo
	}
	var l Lookup
	for _, hs := range prompts {
		x.Load(&l, hs)
		all := make([]int32, insts)
		for i := range all {
			all[i] = int32(i)
		}
		depths := make([]int, insts)
		x.Depths(&l, all, depths)
		n, who := x.Deepest(&l)
		want := search(len(hs), func(i int) bool { return x.replicas(hs[i]) > 0 })
		require.Equal(t, want, n)
		if n > 0 {
			require.Equal(t, x.holders(hs[n-1]), who)
		}
		for inst := range int32(insts) {
			want := search(len(hs), func(i int) bool { return x.has(hs[i], inst) })
			require.Equal(t, want, x.depth(&l, inst), "inst %d", inst)
			require.Equal(t, want, depths[inst], "Depths, inst %d", inst)
		}
	}
}

// TestSearchTree checks the positions loaded ahead against a recursive
// walk of the binary search's first touchLevels levels.
func TestSearchTree(t *testing.T) {
	var walk func(dst []int32, lo, hi, levels int) []int32
	walk = func(dst []int32, lo, hi, levels int) []int32 {
		if lo >= hi || levels == 0 {
			return dst
		}
		mid := (lo + hi + 1) / 2
		dst = append(dst, int32(mid-1))
		dst = walk(dst, mid, hi, levels-1)
		return walk(dst, lo, mid-1, levels-1)
	}
	for n := range 300 {
		got := searchTree(nil, n)
		want := walk(nil, 0, n, touchLevels)
		slices.Sort(got)
		slices.Sort(want)
		require.Equal(t, want, got, "n=%d", n)
	}
}

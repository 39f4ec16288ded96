package kvcache

import (
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
	require.Equal(t, 4, x.Depth(h, 0))
	require.Equal(t, 2, x.Depth(h, 2))
	caches[0].Release(a0.Seq)
	caches[2].Release(a2.Seq)
	b, _ := run(t, caches[0], prompt(9, 128)) // evicts all of p from instance 0
	require.Equal(t, 0, x.Depth(h, 0))
	n, who := x.Deepest(h)
	require.Equal(t, 2, n)
	require.Equal(t, []int32{2}, who)
	caches[0].Release(b.Seq)
	caches[2].Reset()
	n, _ = x.Deepest(h)
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

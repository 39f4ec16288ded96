package kvcache

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTierLRU(t *testing.T) {
	tr := NewTier(3)
	for _, h := range []uint64{1, 2, 3} {
		tr.Put(h)
	}
	tr.Put(1) // refresh: 2 is now the LRU
	tr.Put(4)
	require.False(t, tr.Contains(2))
	for _, h := range []uint64{1, 3, 4} {
		require.True(t, tr.Contains(h), "hash %d", h)
	}
	require.Equal(t, 3, tr.Len())
	require.Equal(t, uint64(5), tr.Writes())
	require.Equal(t, uint64(1), tr.Drops())
	// touch walks a prefix in reverse: its head ends most recent.
	tr.touch([]uint64{3, 4})
	tr.Put(5) // evicts 1
	tr.Put(6) // evicts 4 (touched before 3)
	require.True(t, tr.Contains(3))
	require.False(t, tr.Contains(4))
	require.False(t, tr.Contains(1))
	require.Equal(t, 3, tr.prefix([]uint64{5, 6, 3, 1}))
	tr.Reset()
	require.Zero(t, tr.Len())
	tr.Put(7)
	require.True(t, tr.Contains(7))

	zero := NewTier(0)
	zero.Put(1)
	require.Zero(t, zero.Len())
	require.False(t, zero.Contains(1))
}

func TestTierWriteBackAndHits(t *testing.T) {
	tr := NewTier(64)
	c := New(8, 16)
	c.SetTier(tr)
	a, ha := run(t, c, prompt(1, 64))
	c.Release(a.Seq)
	// Fill the cache with something else: a's 4 blocks go to the tier.
	b, hb := run(t, c, prompt(2, 128))
	require.Equal(t, 4, tr.Len())
	for _, h := range ha {
		require.True(t, tr.Contains(h))
	}
	hit, tier := c.Match(ha)
	require.Equal(t, 0, hit)
	require.Equal(t, 4, tier)
	c.Release(b.Seq)

	// A prompt extending a: the tier serves a's blocks, the rest are misses.
	p := prompt(1, 64, 3, 32)
	h := hashes(p, 16)
	x, ok := c.Admit(h, tokensOf(p))
	require.True(t, ok)
	require.Zero(t, x.HitBlocks)
	require.Equal(t, 4, x.TierBlocks)
	require.Equal(t, 6, x.Seq.Blocks())
	c.Publish(x.Seq, h)
	c.Release(x.Seq)
	// Hit in HBM first, then the tier continues (b's evicted blocks went there).
	hit, tier = c.Match(hb)
	require.Equal(t, 2, hit, "tail-first eviction kept b's head in HBM")
	require.Equal(t, 6, tier, "b's other 6 blocks were evicted to the tier")
	hit, tier = c.Match(h)
	require.Equal(t, 6, hit)
	require.Zero(t, tier)

	// A shared tier serves another instance of the pool.
	c2 := New(8, 16)
	c2.SetTier(tr)
	hit, tier = c2.Match(ha)
	require.Zero(t, hit)
	require.Equal(t, 4, tier)
	// Admission caps tier blocks at the blocks needed.
	y, ok := c2.Admit(ha, 16*2)
	require.True(t, ok)
	require.Equal(t, 2, y.TierBlocks)
	_, ok = c2.Admit(ha, 16*100)
	require.False(t, ok)
	require.NoError(t, checkInvariants(c2, []*Seq{y.Seq}))
}

func TestAdmitRefreshesTierEntries(t *testing.T) {
	tr := NewTier(4)
	for _, h := range []uint64{10, 11, 12, 13} {
		tr.Put(h)
	}
	c := New(8, 16)
	c.SetTier(tr)
	a, ok := c.Admit([]uint64{10, 11}, 32) // 10, 11 become most recent
	require.True(t, ok)
	require.Equal(t, 2, a.TierBlocks)
	tr.Put(20)
	tr.Put(21)
	require.True(t, tr.Contains(10))
	require.True(t, tr.Contains(11))
	require.False(t, tr.Contains(12))
	require.False(t, tr.Contains(13))
}

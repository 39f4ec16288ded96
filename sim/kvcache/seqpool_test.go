package kvcache

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestSharedSeqPool: caches sharing a SeqPool hand each other released
// Seqs, and a Seq released by one cache and admitted by another is inert
// for the first: its stale handle changes nothing there (all caches have
// epoch 0, so only the owner check tells them apart).
func TestSharedSeqPool(t *testing.T) {
	p := NewSeqPool()
	a, b, d := New(16, 4), New(16, 4), New(16, 4)
	d.SetAnonymous()
	for _, c := range []*Cache{a, b, d} {
		c.SetSeqPool(p)
	}
	x, hx := run(t, a, prompt(1, 20))
	a.Release(x.Seq)
	usedA, cachedA, freeA := a.Used(), a.Cached(), a.Free()

	// b gets the Seq a released last.
	y, hy := run(t, b, prompt(2, 12))
	require.Same(t, x.Seq, y.Seq)
	require.Equal(t, 3, y.Seq.Blocks())

	// a's stale handle is now b's live Seq: a ignores it, b keeps it.
	require.False(t, a.Grow(x.Seq, 40))
	a.Publish(x.Seq, hx)
	a.Release(x.Seq)
	require.Equal(t, []int{usedA, cachedA, freeA}, []int{a.Used(), a.Cached(), a.Free()})
	require.NoError(t, checkInvariants(a, nil))
	require.Equal(t, 3, b.Used())
	require.NoError(t, checkInvariants(b, []*Seq{y.Seq}))
	require.True(t, b.Grow(y.Seq, 16))
	b.Release(y.Seq)
	require.Zero(t, b.Used())
	b.Release(y.Seq) // twice: nothing
	require.Zero(t, b.Used())
	hit, _ := b.Match(hy)
	require.Equal(t, 3, hit)

	// An anonymous cache takes it next; the full caches ignore it.
	z, ok := d.Admit(hx, 20)
	require.True(t, ok)
	require.Same(t, x.Seq, z.Seq)
	b.Release(z.Seq)
	a.Release(z.Seq)
	require.Equal(t, 5, d.Used())
	d.Release(z.Seq)
	require.Zero(t, d.Used())

	// A Seq live at a Reset is never returned to the pool: the next Admit
	// gets another one, and the old handle stays inert.
	w, _ := run(t, a, prompt(3, 8))
	a.Reset()
	v, _ := run(t, a, prompt(4, 8))
	require.NotSame(t, w.Seq, v.Seq)
	a.Release(w.Seq)
	require.Equal(t, 2, a.Used())
	a.Release(v.Seq)
	require.Zero(t, a.Used())
}

// TestSetSeqPoolInUse: a cache holding blocks keeps its pool.
func TestSetSeqPoolInUse(t *testing.T) {
	c := New(8, 4)
	_, ok := c.Admit(nil, 4)
	require.True(t, ok)
	require.Panics(t, func() { c.SetSeqPool(NewSeqPool()) })
}

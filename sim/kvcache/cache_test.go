package kvcache

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// prompt builds content blocks from (id, tokens) pairs.
func prompt(pairs ...int) []Span {
	var p []Span
	for i := 0; i+1 < len(pairs); i += 2 {
		p = append(p, Span{ID: uint64(pairs[i]), Tokens: int32(pairs[i+1])})
	}
	return p
}

func hashes(p []Span, bt int) []uint64 { return HashPrompt(p, bt, nil) }

func tokensOf(p []Span) int {
	n := 0
	for _, b := range p {
		n += int(b.Tokens)
	}
	return n
}

// run admits p, publishes its complete blocks and returns the sequence.
// live are other sequences still running, for the invariant check.
func run(t *testing.T, c *Cache, p []Span, live ...*Seq) (Admission, []uint64) {
	t.Helper()
	h := hashes(p, c.BlockTokens())
	a, ok := c.Admit(h, tokensOf(p))
	require.True(t, ok, "admit %d tokens with %d free", tokensOf(p), c.Free())
	c.Publish(a.Seq, h)
	require.NoError(t, checkInvariants(c, append(live, a.Seq)))
	return a, h
}

func TestRepeatedPromptHitsAllCompleteBlocks(t *testing.T) {
	tests := []struct {
		name    string
		p       []Span
		wantHit int
	}{
		{"aligned", prompt(1, 64), 4},
		{"partial last block", prompt(1, 70), 4},
		{"shorter than a block", prompt(1, 15), 0},
		{"several content blocks", prompt(1, 10, 2, 30, 3, 27), 4},
		{"empty", nil, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := New(64, 16)
			a, h := run(t, c, tc.p)
			require.Zero(t, a.HitBlocks)
			c.Release(a.Seq)
			hit, tier := c.Match(h)
			require.Equal(t, tc.wantHit, hit)
			require.Zero(t, tier)
			b, _ := run(t, c, tc.p)
			require.Equal(t, tc.wantHit, b.HitBlocks)
			require.Equal(t, c.BlocksFor(tokensOf(tc.p)), b.Seq.Blocks())
			c.Release(b.Seq)
			require.NoError(t, checkInvariants(c, nil))
		})
	}
}

func TestPartialSharing(t *testing.T) {
	c := New(64, 16)
	a, _ := run(t, c, prompt(1, 40, 2, 40)) // blocks 0,1 pure id 1; block 2 straddles
	c.Release(a.Seq)
	tests := []struct {
		name string
		p    []Span
		want int
	}{
		{"same head, other tail", prompt(1, 40, 3, 40), 2},
		{"head longer than a block boundary", prompt(1, 48, 3, 40), 2},
		{"same prefix through block 3", prompt(1, 40, 2, 24, 9, 100), 4},
		{"different first block", prompt(5, 40, 2, 40), 0},
		{"tail differs only in length", prompt(1, 40, 2, 30), 4},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			hit, _ := c.Match(hashes(tc.p, 16))
			require.Equal(t, tc.want, hit)
		})
	}
}

func TestEvictionOrderTailBeforeHeadAndLRU(t *testing.T) {
	c := New(8, 16)
	a, ha := run(t, c, prompt(1, 64)) // 4 blocks
	c.Release(a.Seq)
	b, hb := run(t, c, prompt(2, 64)) // 4 blocks: cache full
	c.Release(b.Seq)
	require.Equal(t, 8, c.Cached())
	// One new block evicts the LRU: a's tail block (a released first, tail first).
	x, ok := c.Admit(nil, 16)
	require.True(t, ok)
	hit, _ := c.Match(ha)
	require.Equal(t, 3, hit, "a's head survives, its tail went first")
	require.False(t, c.Contains(ha[3]))
	require.Equal(t, uint64(1), c.Evictions())
	// Three more: the rest of a, head last.
	require.True(t, c.Grow(x.Seq, 16*3))
	require.True(t, c.Contains(ha[0]))
	require.True(t, c.Grow(x.Seq, 16*4))
	require.False(t, c.Contains(ha[0]))
	hit, _ = c.Match(hb)
	require.Equal(t, 4, hit, "b was released later, so all of it survives")
	c.Release(x.Seq)
	require.NoError(t, checkInvariants(c, nil))
}

func TestHitRefreshesLRUPosition(t *testing.T) {
	c := New(8, 16)
	a, ha := run(t, c, prompt(1, 64))
	c.Release(a.Seq)
	b, hb := run(t, c, prompt(2, 64))
	c.Release(b.Seq)
	a2, _ := run(t, c, prompt(1, 64)) // touch a again
	require.Equal(t, 4, a2.HitBlocks)
	c.Release(a2.Seq)
	x, ok := c.Admit(nil, 64)
	require.True(t, ok)
	hit, _ := c.Match(hb)
	require.Zero(t, hit, "b is now least recently used")
	hit, _ = c.Match(ha)
	require.Equal(t, 4, hit)
	c.Release(x.Seq)
}

func TestPinnedBlocksNeverEvicted(t *testing.T) {
	c := New(8, 16)
	a, ha := run(t, c, prompt(1, 64)) // pinned, hashed
	_, ok := c.Admit(nil, 16*5)
	require.False(t, ok, "only 4 blocks are not pinned")
	x, ok := c.Admit(nil, 16*4)
	require.True(t, ok)
	hit, _ := c.Match(ha)
	require.Equal(t, 4, hit)
	require.False(t, c.Grow(x.Seq, 16*5))
	require.NoError(t, checkInvariants(c, []*Seq{a.Seq, x.Seq}))
	// A second sequence sharing the pinned prefix pins it twice; releasing one
	// keeps it pinned.
	c.Release(x.Seq)
	b, _ := run(t, c, prompt(1, 64, 7, 16), a.Seq)
	require.Equal(t, 4, b.HitBlocks)
	c.Release(a.Seq)
	require.Equal(t, 5, c.Used())
	_, ok = c.Admit(nil, 16*4)
	require.False(t, ok)
	require.NoError(t, checkInvariants(c, []*Seq{b.Seq}))
}

func TestAdmitFailsWithoutSideEffects(t *testing.T) {
	c := New(8, 16)
	a, ha := run(t, c, prompt(1, 64))
	c.Release(a.Seq)
	b, _ := run(t, c, prompt(2, 48))
	before := *c
	beforeHash, beforeSt := slotHashes(c), slotStates(c)
	beforeSegs, beforeLRU := append([]segment(nil), c.segs...), lruHashes(c)
	// Needs 4 hits (evictable, so they stop counting as free) + 6 new = 10 > 8-3.
	_, ok := c.Admit(ha, 16*10)
	require.False(t, ok)
	_, ok = c.Admit(nil, 16*9)
	require.False(t, ok, "more than capacity")
	require.Equal(t, beforeHash, slotHashes(c))
	require.Equal(t, beforeSt, slotStates(c))
	require.Equal(t, beforeSegs, c.segs)
	require.Equal(t, beforeLRU, lruHashes(c))
	require.Equal(t, before.lruHead, c.lruHead)
	require.Equal(t, before.lruTail, c.lruTail)
	require.Equal(t, before.nFree, c.nFree)
	require.Equal(t, before.used, c.used)
	require.Equal(t, before.evictions, c.evictions)
	// Exactly fitting works: 4 hits + 1 new.
	x, ok := c.Admit(ha, 16*5)
	require.True(t, ok)
	require.Equal(t, 4, x.HitBlocks)
	require.Zero(t, c.Free())
	require.NoError(t, checkInvariants(c, []*Seq{b.Seq, x.Seq}))
}

func TestGrowAcrossBlockBoundary(t *testing.T) {
	c := New(4, 16)
	a, ok := c.Admit(nil, 20)
	require.True(t, ok)
	require.Equal(t, 2, a.Seq.Blocks())
	for tokens := 21; tokens <= 32; tokens++ {
		require.True(t, c.Grow(a.Seq, tokens))
		require.Equal(t, 2, a.Seq.Blocks(), "tokens %d still fit in 2 blocks", tokens)
	}
	require.True(t, c.Grow(a.Seq, 33))
	require.Equal(t, 3, a.Seq.Blocks())
	require.Equal(t, 33, a.Seq.Tokens())
	require.True(t, c.Grow(a.Seq, 10), "shrinking requests are a no-op")
	require.Equal(t, 3, a.Seq.Blocks())
	require.True(t, c.Grow(a.Seq, 64))
	require.False(t, c.Grow(a.Seq, 65))
	require.Equal(t, 4, a.Seq.Blocks())
	require.NoError(t, checkInvariants(c, []*Seq{a.Seq}))
	c.Release(a.Seq)
	require.False(t, c.Grow(a.Seq, 16), "released sequences cannot grow")
	require.Equal(t, 4, c.Free())
}

func TestPublishDedupe(t *testing.T) {
	c := New(16, 16)
	p := prompt(1, 64)
	a, h := run(t, c, p)
	// A second sequence computed the same prefix without hitting (e.g. admitted
	// before a published): publishing moves the hashes, no duplicates.
	b, ok := c.Admit(nil, 64)
	require.True(t, ok)
	inserts := 0
	c.SetHooks(func(uint64) { inserts++ }, func(uint64) { t.Fatal("dedupe must not evict") })
	c.Publish(b.Seq, h)
	require.Zero(t, inserts, "hashes were resident already")
	require.Equal(t, 4, c.Cached())
	for i, x := range h {
		require.Equal(t, b.Seq.slots()[i], c.slotOf(x), "newest copy owns the hash")
	}
	require.NoError(t, checkInvariants(c, []*Seq{a.Seq, b.Seq}))
	c.Release(a.Seq) // a's blocks lost their hashes: freed, not evictable
	require.Zero(t, c.Evictable())
	c.Release(b.Seq)
	require.Equal(t, 4, c.Evictable())
	// Dedupe against an evictable copy frees the old block.
	x, ok := c.Admit(nil, 64)
	require.True(t, ok)
	c.Publish(x.Seq, h)
	require.Zero(t, c.Evictable())
	require.Equal(t, 12, c.Free())
	require.NoError(t, checkInvariants(c, []*Seq{x.Seq}))
	// Publishing beyond the sequence's blocks is ignored; re-publishing is a no-op.
	c.Publish(x.Seq, append(h, 99, 100))
	c.Publish(x.Seq, h)
	require.Equal(t, 4, c.Cached())
	require.NoError(t, checkInvariants(c, []*Seq{x.Seq}))
}

func TestResetAndHooks(t *testing.T) {
	c := New(16, 16)
	resident := map[uint64]bool{}
	c.SetHooks(func(h uint64) {
		require.False(t, resident[h], "double insert")
		resident[h] = true
	}, func(h uint64) {
		require.True(t, resident[h], "evict of absent hash")
		delete(resident, h)
	})
	a, ha := run(t, c, prompt(1, 64))
	c.Release(a.Seq)
	b, hb := run(t, c, prompt(2, 100))
	require.Len(t, resident, 10)
	c.Reset()
	require.Empty(t, resident)
	require.Equal(t, 16, c.Free())
	require.Zero(t, c.Cached())
	hit, _ := c.Match(ha)
	require.Zero(t, hit)
	hit, _ = c.Match(hb)
	require.Zero(t, hit)
	// The old sequence is inert.
	require.False(t, c.Grow(b.Seq, 200))
	c.Publish(b.Seq, hb)
	c.Release(b.Seq)
	require.NoError(t, checkInvariants(c, nil))
	// The cache works normally afterwards.
	x, _ := run(t, c, prompt(1, 64))
	require.Zero(t, x.HitBlocks)
	require.Len(t, resident, 4)
}

func TestAdmitCapsHitsAtNeededBlocks(t *testing.T) {
	c := New(16, 16)
	a, h := run(t, c, prompt(1, 64))
	c.Release(a.Seq)
	x, ok := c.Admit(h, 40)
	require.True(t, ok)
	require.Equal(t, 3, x.HitBlocks)
	require.Equal(t, 3, x.Seq.Blocks())
	c.Release(x.Seq)
	y, ok := c.Admit(h, 0)
	require.True(t, ok)
	require.Zero(t, y.Seq.Blocks())
	c.Release(y.Seq)
	require.NoError(t, checkInvariants(c, nil))
}

func TestDuplicateHashesInOneAdmit(t *testing.T) {
	c := New(4, 16)
	a, ok := c.Admit(nil, 16)
	require.True(t, ok)
	c.Publish(a.Seq, []uint64{7})
	c.Release(a.Seq)
	// Hand-made hashes repeating a block: it is pinned twice and counted once
	// against the free space (4 blocks: 1 hit block + 3 new fits).
	x, ok := c.Admit([]uint64{7, 7}, 16*5)
	require.False(t, ok)
	x, ok = c.Admit([]uint64{7, 7}, 16*5-16)
	require.True(t, ok)
	require.Equal(t, 2, x.HitBlocks)
	require.NoError(t, checkInvariants(c, []*Seq{x.Seq}))
	c.Release(x.Seq)
	require.NoError(t, checkInvariants(c, nil))
}

func TestNewRejectsNonsense(t *testing.T) {
	require.PanicsWithValue(t, "kvcache.New: blockTokens 0 must be >= 1; validate the fleet's block size first", func() { New(4, 0) })
	require.Panics(t, func() { New(-1, 16) })
	require.Panics(t, func() { NewTier(-1) })
}

func TestReserveUnreserve(t *testing.T) {
	c := New(8, 16)
	s, ok := c.Admit([]uint64{1, 2}, 32)
	require.True(t, ok)
	c.Publish(s.Seq, []uint64{1, 2})
	c.Release(s.Seq) // 2 evictable cached blocks
	require.True(t, c.Reserve(6))
	require.Equal(t, 6, c.Used())
	require.Equal(t, 2, c.Cached(), "free blocks go first")
	require.True(t, c.Reserve(1)) // evicts the LRU cached block (the tail, hash 2)
	require.False(t, c.Contains(2))
	require.True(t, c.Contains(1))
	require.False(t, c.Reserve(2), "only one block left")
	require.Equal(t, 7, c.Reserved())
	c.Unreserve(3)
	require.Equal(t, 4, c.Used())
	require.Equal(t, 4, c.Free())
	require.True(t, c.Reserve(0))
}

// TestPublishFindsOrphans: a hash whose chain predecessor is no longer
// cached (an orphan: its predecessor moved to another sequence's block by
// Publish dedupe, which was then evicted first) is still found when the
// prefix is published again, and moves instead of being cached twice.
func TestPublishFindsOrphans(t *testing.T) {
	c := New(8, 16)
	h := HashPrompt([]Span{{ID: 1, Tokens: 48}}, 16, nil)
	inserts := map[uint64]int{}
	c.SetHooks(func(x uint64) { inserts[x]++ }, func(x uint64) { inserts[x]-- })
	s, ok := c.Admit(h, 48)
	require.True(t, ok)
	x, ok := c.Admit(h, 48) // before s published: no hit
	require.True(t, ok)
	require.Zero(t, x.HitBlocks)
	c.Publish(x.Seq, h)
	c.Publish(s.Seq, h[:2]) // h0, h1 move to s; x keeps h2, now after an unhashed block
	c.Release(s.Seq)
	require.True(t, c.Reserve(5)) // evicts s's h1 and h0; x's h2 stays pinned
	c.Unreserve(5)
	require.Equal(t, 1, c.Cached())
	require.True(t, c.Contains(h[2]))
	u, ok := c.Admit(h, 48)
	require.True(t, ok)
	require.Zero(t, u.HitBlocks)
	c.Publish(u.Seq, h)
	require.Equal(t, 3, c.Cached(), "h2 moved, not copied")
	require.Equal(t, map[uint64]int{h[0]: 1, h[1]: 1, h[2]: 1}, inserts)
	require.Equal(t, u.Seq.slots()[2], c.slotOf(h[2]))
	require.NoError(t, checkInvariants(c, []*Seq{x.Seq, u.Seq}))
}

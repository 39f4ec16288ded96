package kvcache

import (
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"
)

// TestCacheBeyondInlinePages: a cache with more slots than the inline page
// pointers cover fills, hits, evicts and resets across the boundary, with
// every invariant holding (pages past inlinePages live in slots.more).
func TestCacheBeyondInlinePages(t *testing.T) {
	c := New(40000, 16) // 50,064 slots: 49 pages
	for round := range 2 {
		for i := range 150 {
			a, h := run(t, c, prompt(7, 16*64, 1000+i, 16*500)) // a shared head, then a unique tail
			require.GreaterOrEqual(t, a.HitBlocks, min(i, 1)*64, "round %d prompt %d", round, i)
			c.Release(a.Seq)
			if i%50 == 49 {
				b, _ := c.Admit(h, 16*564)
				require.Equal(t, 564, b.HitBlocks, "the last prompt is still cached")
				c.Release(b.Seq)
			}
		}
		require.Greater(t, c.sl.np, int32(inlinePages))
		require.Positive(t, c.evictions)
		require.NoError(t, checkInvariants(c, nil))
		c.Reset()
		require.NoError(t, checkInvariants(c, nil))
	}
}

// TestSeqIsOneLine: a Seq with its inline spans fills one 64-byte line.
func TestSeqIsOneLine(t *testing.T) {
	require.Equal(t, uintptr(64), unsafe.Sizeof(Seq{}))
}

package kvcache

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTableMatchesMap drives the table and a built-in map with the same
// random operations over a small key space (many collisions and probe runs,
// so backward-shift deletion is exercised) and compares after every step.
func TestTableMatchesMap(t *testing.T) {
	for _, keys := range []uint64{8, 64, 5000} {
		rng := rand.New(rand.NewPCG(keys, 7))
		var tab table
		ref := map[uint64]int32{}
		for step := range 20000 {
			// Keys k<<40 share their low bits: the multiplicative home() must still spread them.
			k := rng.Uint64N(keys) << 40
			switch rng.IntN(3) {
			case 0, 1:
				v := int32(rng.IntN(1000))
				tab.set(k, v)
				ref[k] = v
			case 2:
				_, want := ref[k]
				require.Equal(t, want, tab.del(k), "step %d del %x", step, k)
				delete(ref, k)
			}
			require.Equal(t, len(ref), tab.n)
			if step%211 == 0 {
				for rk, rv := range ref {
					v, ok := tab.get(rk)
					require.True(t, ok)
					require.Equal(t, rv, v)
				}
				for k := range keys {
					_, ok := tab.get(k << 40)
					_, want := ref[k<<40]
					require.Equal(t, want, ok)
				}
			}
		}
		tab.clear()
		require.Zero(t, tab.n)
		_, ok := tab.get(0)
		require.False(t, ok)
	}
}

// TestIDTableMatchesMap does the same for the Cache's id table, whose keys
// live in the Cache's slots: small capacities (few tag bits, long probe runs) and
// structured keys, with hashes moving between blocks as Publish moves them.
func TestIDTableMatchesMap(t *testing.T) {
	for _, tc := range []struct{ capacity, distBits int }{{3, 0}, {64, 0}, {5000, 0}, {64, 1}, {500, 2}} {
		capacity := tc.capacity
		rng := rand.New(rand.NewPCG(uint64(capacity), 9))
		keys := &slots{}
		keys.grow(int32(capacity))
		tab := newIDTable(capacity)
		if tc.distBits > 0 { // distances overflow often: the table must grow past its limit, never lose an entry
			tab.distBits = uint8(tc.distBits)
		}
		ref := map[uint64]int32{} // hash -> block
		owner := map[int32]uint64{}
		for step := range 20000 {
			k := rng.Uint64N(uint64(2*capacity)) << 40
			b := int32(rng.IntN(capacity))
			switch rng.IntN(3) {
			case 0, 1: // publish k in block b (b drops its own hash first)
				if old, ok := owner[b]; ok {
					require.True(t, tab.del(keys, old, b))
					delete(ref, old)
					delete(owner, b)
					keys.set(bHashed, b, false)
				}
				keys.grp(b).hash[b&slotMask] = k
				keys.set(bHashed, b, true)
				prev, existed := tab.swap(keys, k, b)
				want, had := ref[k]
				require.Equal(t, had, existed, "step %d", step)
				if had {
					require.Equal(t, want, prev)
					delete(owner, want)
					keys.set(bHashed, want, false)
				}
				ref[k], owner[b] = b, k
			case 2:
				if o, ok := ref[k]; ok {
					require.True(t, tab.del(keys, k, o))
					delete(ref, k)
					delete(owner, o)
					keys.set(bHashed, o, false)
				} else {
					require.False(t, tab.del(keys, k, b))
				}
			}
			require.Equal(t, len(ref), tab.n)
			if tc.distBits == 0 {
				require.LessOrEqual(t, len(tab.slots), tab.limit)
			}
			if step%97 == 0 {
				for x := range uint64(2 * capacity) {
					got, ok := tab.get(keys, x<<40)
					want, had := ref[x<<40]
					require.Equal(t, had, ok)
					if had {
						require.Equal(t, want, got)
					}
				}
			}
		}
		tab.clear()
		_, ok := tab.get(keys, 0)
		require.False(t, ok)
	}
}

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

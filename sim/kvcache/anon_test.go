package kvcache

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestAnonymousMatchesFull drives an anonymous cache and a full one with
// the same calls a decode instance without prefix caching makes (Admit
// without hashes, Grow, Reserve, Unreserve, Release, Reset) and requires
// the same answers and counts after every call.
func TestAnonymousMatchesFull(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		capacity, bt := 1+rng.IntN(300), 1+rng.IntN(32)
		full, anon := New(capacity, bt), New(capacity, bt)
		anon.SetAnonymous()
		require.True(t, anon.anon)
		type pair struct{ f, a *Seq }
		var live []pair
		for op := 0; op < 2000; op++ {
			switch k := rng.IntN(10); {
			case k < 4:
				tokens := rng.IntN(capacity*bt/3 + 2)
				fa, fok := full.Admit(nil, tokens)
				aa, aok := anon.Admit(nil, tokens)
				require.Equal(t, fok, aok, "seed %d op %d: Admit(%d)", seed, op, tokens)
				if fok {
					require.Equal(t, fa.HitBlocks, aa.HitBlocks)
					require.Equal(t, fa.TierBlocks, aa.TierBlocks)
					live = append(live, pair{fa.Seq, aa.Seq})
				}
			case k < 6 && len(live) > 0:
				p := live[rng.IntN(len(live))]
				tokens := rng.IntN(capacity*bt/2 + 2)
				require.Equal(t, full.Grow(p.f, tokens), anon.Grow(p.a, tokens), "seed %d op %d: Grow", seed, op)
			case k < 8 && len(live) > 0:
				i := rng.IntN(len(live))
				full.Release(live[i].f)
				anon.Release(live[i].a)
				if rng.IntN(4) == 0 { // releasing twice does nothing
					full.Release(live[i].f)
					anon.Release(live[i].a)
				}
				live = append(live[:i], live[i+1:]...)
			case k == 8:
				n := rng.IntN(capacity/4 + 1)
				if rng.IntN(2) == 0 {
					require.Equal(t, full.Reserve(n), anon.Reserve(n), "seed %d op %d: Reserve", seed, op)
				} else {
					full.Unreserve(n)
					anon.Unreserve(n)
				}
			case rng.IntN(50) == 0:
				full.Reset()
				anon.Reset()
				for _, p := range live { // every running Seq is inert now
					require.False(t, full.Grow(p.f, 1))
					require.False(t, anon.Grow(p.a, 1))
				}
				live = live[:0]
			}
			require.Equal(t, full.Used(), anon.Used(), "seed %d op %d", seed, op)
			require.Equal(t, full.Free(), anon.Free())
			require.Equal(t, full.Reserved(), anon.Reserved())
			require.Zero(t, anon.Cached())
			for _, p := range live {
				require.Equal(t, p.f.Blocks(), p.a.Blocks())
			}
		}
	}
}

func TestAnonymousRefusesPublishAndReuse(t *testing.T) {
	c := New(16, 4)
	c.SetAnonymous()
	a, ok := c.Admit(nil, 8)
	require.True(t, ok)
	require.Panics(t, func() { c.Publish(a.Seq, []uint64{1, 2}) })
	c.Publish(a.Seq, nil) // nothing to publish: nothing done
	used := New(16, 4)
	_, ok = used.Admit(nil, 4)
	require.True(t, ok)
	require.Panics(t, used.SetAnonymous)
}

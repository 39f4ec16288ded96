package kvcache

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzCacheOps runs random operation sequences against a small cache (with a
// tier on odd seeds) and checks every invariant after each step: free + used
// + evictable = capacity, refcounts match the live sequences and are never
// negative, every hash maps to a resident block, and the hooks' view of the
// resident set equals the cache's.
func FuzzCacheOps(f *testing.F) {
	f.Add([]byte{5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{16, 0, 9, 0, 9, 2, 0, 2, 1, 3, 0, 0, 9, 2, 1, 6, 3, 3, 0})
	f.Add([]byte{2, 0, 200, 4, 0, 0, 1, 1, 7, 3})
	f.Add([]byte{33, 0, 40, 2, 0, 0, 40, 2, 1, 1, 90, 3, 0, 5, 0, 7, 0, 3, 1})
	f.Fuzz(cacheOps)
}

// TestCacheOpsRandom runs cacheOps on seeded random programs so that plain
// `go test` covers far more than the fuzz seeds.
func TestCacheOpsRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	for range 1000 {
		data := make([]byte, 1+rng.IntN(400))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		cacheOps(t, data)
	}
}

// cacheOps interprets data as a cache configuration and operation program.
func cacheOps(t *testing.T, data []byte) {
	if len(data) == 0 {
		return
	}
	const bt = 4
	c := New(int(data[0]%32), bt)
	if data[0]&1 == 1 {
		c.SetTier(NewTier(int(data[0] % 7)))
	}
	resident := map[uint64]bool{}
	c.SetHooks(func(h uint64) {
		require.False(t, resident[h], "onInsert of resident hash %x", h)
		resident[h] = true
	}, func(h uint64) {
		require.True(t, resident[h], "onEvict of absent hash %x", h)
		delete(resident, h)
	})
	type running struct {
		s *Seq
		h []uint64
	}
	var live []running
	pick := func(b byte) int { return int(b) % len(live) }
	for i := 1; i+1 < len(data); i += 2 {
		op, arg := data[i]%8, data[i+1]
		switch op {
		case 0, 1: // admit a prompt: few content ids, so prefixes are shared
			p := []Span{{ID: uint64(arg % 3), Tokens: int32(arg%5) * bt}, {ID: uint64(arg % 7), Tokens: int32(arg % 11)}}
			h := HashPrompt(p, bt, nil)
			tokens := int(p[0].Tokens + p[1].Tokens)
			if op == 1 {
				tokens += int(arg % 9) // room for decode tokens
			}
			wantHit, _ := c.Match(h)
			free, before := c.Free(), c.Cached()
			a, ok := c.Admit(h, tokens)
			if !ok {
				require.Equal(t, free, c.Free(), "failed Admit changed free space")
				require.Equal(t, before, c.Cached(), "failed Admit evicted")
				break
			}
			require.Equal(t, min(wantHit, c.BlocksFor(tokens)), a.HitBlocks)
			require.Equal(t, c.BlocksFor(tokens), a.Seq.Blocks())
			live = append(live, running{a.Seq, h})
		case 2: // admit a prompt of one block per content id over two ids
			h := blockChain(arg&1, arg>>1&1, arg>>2&1)
			if a, ok := c.Admit(h, int(arg%16)); ok {
				live = append(live, running{a.Seq, h})
			}
		case 3, 4: // publish (sometimes only part)
			if len(live) > 0 {
				r := live[pick(arg)]
				n := min(len(r.h), int(arg%4)+int(op)-3)
				c.Publish(r.s, r.h[:n])
				for _, h := range r.h[:min(n, r.s.Blocks())] {
					require.True(t, c.Contains(h), "published hash %x not resident", h)
				}
			}
		case 5: // grow
			if len(live) > 0 {
				r := live[pick(arg)]
				blocks, free := r.s.Blocks(), c.Free()
				want := r.s.Tokens() + int(arg%9)
				if c.Grow(r.s, want) {
					require.GreaterOrEqual(t, r.s.Blocks()*bt, want)
				} else {
					require.Equal(t, blocks, r.s.Blocks())
					require.Equal(t, free, c.Free())
				}
			}
		case 6: // release
			if len(live) > 0 {
				j := pick(arg)
				c.Release(live[j].s)
				c.Release(live[j].s) // a double release is harmless
				live = append(live[:j], live[j+1:]...)
			}
		case 7:
			if arg%8 == 0 { // instance failure
				c.Reset()
				require.Zero(t, c.Used())
				for _, r := range live {
					require.False(t, c.Grow(r.s, 1), "a Seq survived Reset")
				}
				live = live[:0]
			} else {
				h := []uint64{uint64(arg % 4), uint64(arg % 3)}
				hit, tier := c.Match(h)
				require.LessOrEqual(t, hit+tier, len(h))
			}
		}
		seqs := make([]*Seq, len(live))
		for j, r := range live {
			seqs[j] = r.s
		}
		require.NoError(t, checkInvariants(c, seqs), "after op %d arg %d at byte %d", op, arg, i)
		require.Equal(t, len(resident), c.Cached(), "hooks and cache disagree on resident hashes")
		for h := range resident {
			require.True(t, c.Contains(h))
		}
	}
}

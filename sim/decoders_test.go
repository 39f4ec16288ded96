package sim

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBlocksAtMatchesTermByTerm: blocksAt's one-division form equals
// Σ ceil((base_r + t)/B) summed member by member, for any block size,
// negative bases (members joined at a later clock than their KV) and
// members leaving.
func TestBlocksAtMatchesTermByTerm(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	for _, bs := range []int64{1, 2, 3, 7, 16, 64, 4096} {
		d := &decoders{bs: bs, resid: make([]int64, bs)}
		var bases []int64
		for step := range 400 {
			if len(bases) > 0 && rng.IntN(3) == 0 {
				k := rng.IntN(len(bases))
				b := bases[k]
				bases = append(bases[:k], bases[k+1:]...)
				d.quot -= floorDiv(b, bs)
				d.addResid(b-floorDiv(b, bs)*bs, -1)
			} else {
				b := rng.Int64N(20000) - 10000
				bases = append(bases, b)
				d.quot += floorDiv(b, bs)
				d.addResid(b-floorDiv(b, bs)*bs, 1)
			}
			for range 5 {
				clock := rng.Int64N(30000) - 100
				var want int64
				for _, b := range bases {
					want += floorDiv(b+clock+bs-1, bs)
				}
				require.Equal(t, want, d.blocksAt(clock), "bs %d step %d clock %d", bs, step, clock)
			}
		}
	}
}

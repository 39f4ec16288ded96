package results

import (
	"bytes"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTokenGapsEqualsRecords: gaps recorded in bulk (a decode step's gap
// once with the batch's count) give the same ITL histogram as the same
// gaps carried one by one in the records.
func TestTokenGapsEqualsRecords(t *testing.T) {
	infos := []ClassInfo{{Name: "chat", Kind: "chat"}, {Name: "code", Kind: "chat"}}
	perRecord, bulk := NewSummary(infos, 0), NewSummary(infos, 0)
	gaps := map[string]*TokenGaps{"chat": bulk.TokenGaps("chat", "chat"), "code": bulk.TokenGaps("code", "chat")}
	rng := rand.New(rand.NewPCG(1, 2))
	for id := range 200 {
		class := infos[id%2].Name
		// A batch of n members decoding k steps; the first step's gap is
		// the members' own for the first `fresh` of them.
		n, k := 1+rng.IntN(8), 1+rng.IntN(40)
		fresh := min(rng.IntN(3), n)
		steps := make([]int64, k)
		base := int64(5_000_000 + rng.IntN(50_000_000))
		for i := range steps {
			steps[i] = base + int64(i)*int64(rng.IntN(1500)) // near-equal runs and changes
		}
		own := make([]int64, fresh)
		for j := range own {
			own[j] = int64(rng.IntN(100_000_000))
			gaps[class].Add(own[j], 1)
		}
		gaps[class].AddRun(steps, int64(n-fresh), int64(n))
		for j := range n {
			r := Record{ID: uint64(id*10 + j), Class: class, Kind: "chat", Intended: int64(id) * 1e9, Sent: int64(id) * 1e9, OutputTokens: k + 1}
			r.FirstToken = r.Sent + 1e8
			r.LastToken = r.FirstToken + int64(k)*1e7
			if j < fresh {
				r.ITL = append([]int64{own[j]}, steps[1:]...)
			} else {
				r.ITL = steps
			}
			perRecord.Add(&r)
			gap := slices.Max(r.ITL)
			r.ITL = nil
			bulk.AddCounted(&r, gap)
		}
	}
	want, got := perRecord.Result(Meta{}), bulk.Result(Meta{})
	for _, c := range []string{"chat", "code"} {
		require.Positive(t, want.Classes[c].ITL.Count)
		require.Equal(t, want.Classes[c].ITL, got.Classes[c].ITL, c)
	}
	// The whole file: histograms, and the timeline's longest-gap series.
	var a, b bytes.Buffer
	require.NoError(t, WriteJSON(&a, want))
	require.NoError(t, WriteJSON(&b, got))
	require.Contains(t, a.String(), `"itl": [`)
	require.Equal(t, a.String(), b.String())
}

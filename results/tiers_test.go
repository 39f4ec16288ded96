package results

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// tierRecords: input lengths 100, 32000 (on the bound: lower tier), 32001
// and 200000, plus a failed request that must not count.
func tierRecords() []Record {
	mk := func(id uint64, in, cached, out int) Record {
		at := int64(id) * 1e9
		return Record{ID: id, Class: "chat", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 1e8, LastToken: at + 2e8,
			InputTokens: in, CachedTokens: cached, OutputTokens: out, TaskDone: true, TaskStart: at}
	}
	recs := []Record{mk(0, 100, 0, 10), mk(1, 32000, 16000, 20), mk(2, 32001, 1, 30), mk(3, 200000, 100000, 40)}
	bad := mk(4, 50, 0, 5)
	bad.ErrorClass = "timeout"
	return append(recs, bad)
}

func TestSummaryTokensByTier(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat", PriceTiers: []int{128000, 0, 32000, 32000}}}, 0)
	for _, r := range tierRecords() {
		s.Add(&r)
	}
	res := s.Result(Meta{Backend: "sim"})
	require.Equal(t, []TierTokens{
		{UpToTokens: 32000, Requests: 2, InputTokens: 32100, CachedTokens: 16000, OutputTokens: 30},
		{UpToTokens: 128000, Requests: 1, InputTokens: 32001, CachedTokens: 1, OutputTokens: 30},
		{UpToTokens: 0, Requests: 1, InputTokens: 200000, CachedTokens: 100000, OutputTokens: 40},
	}, res.Classes["chat"].TokensByTier)
	require.Nil(t, res.Totals.TokensByTier)

	// Tiers add up to the class totals.
	var in, out int64
	for _, x := range res.Classes["chat"].TokensByTier {
		in += x.InputTokens
		out += x.OutputTokens
	}
	require.Equal(t, *res.Classes["chat"].InputTokens, in)
	require.Equal(t, *res.Classes["chat"].OutputTokens, out)

	// Merging two halves gives the unsplit counts, through JSON.
	a, b := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat", PriceTiers: []int{32000, 128000}}}, 0), NewSummary([]ClassInfo{{Name: "chat", Kind: "chat", PriceTiers: []int{32000, 128000}}}, 0)
	for i, r := range tierRecords() {
		if i%2 == 0 {
			a.Add(&r)
		} else {
			b.Add(&r)
		}
	}
	ra, rb := roundTrip(t, a.Result(Meta{Backend: "sim"})), roundTrip(t, b.Result(Meta{Backend: "sim"}))
	m, err := Merge(ra, rb)
	require.NoError(t, err)
	require.Equal(t, res.Classes["chat"].TokensByTier, m.Classes["chat"].TokensByTier)

	// Different bounds do not merge.
	c := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat", PriceTiers: []int{1000}}}, 0)
	r0 := tierRecords()[0]
	c.Add(&r0)
	_, err = Merge(ra, c.Result(Meta{Backend: "sim"}))
	require.ErrorContains(t, err, "different price tiers")
}

func roundTrip(t *testing.T, r *Result) *Result {
	t.Helper()
	b, err := json.Marshal(r)
	require.NoError(t, err)
	var out Result
	require.NoError(t, json.Unmarshal(b, &out))
	return &out
}

func TestImportTiersRejectsBadBounds(t *testing.T) {
	for _, ts := range [][]TierTokens{
		{{UpToTokens: 10}},                      // last must be unbounded
		{{UpToTokens: 0}, {UpToTokens: 0}},      // unbounded before the last
		{{UpToTokens: 10}, {UpToTokens: 5}, {}}, // not ascending
		{{UpToTokens: 10, Requests: -1}, {}},    // negative
	} {
		_, err := importTiers(ts)
		require.Error(t, err, "%+v", ts)
	}
}

// BenchmarkAddWithTiers is BenchmarkAdd with three price tiers on every
// class: the per-tier counters must stay off the allocation path.
func BenchmarkAddWithTiers(b *testing.B) {
	recs := synthRecords(4096, 11)
	for i := range recs {
		recs[i].ITL = nil
		recs[i].Intended += 3e9
	}
	classes := make([]ClassInfo, len(testClasses))
	for i, c := range testClasses {
		c.PriceTiers = []int{1000, 8000, 0}
		classes[i] = c
	}
	s := NewSummary(classes, 2e9)
	for i := range recs {
		s.Add(&recs[i])
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.Add(&recs[i&4095])
	}
}

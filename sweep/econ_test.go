package sweep

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/pricing"
	"github.com/fleetbench/fleetbench/results"
)

// TestPerMtokMatchesResult: a sweep point's usd_per_mtok_output is the
// result's (cost charged to output tokens / output Mtok), not the whole
// fleet cost over output tokens (which read 7.78 against the result's
// 5.19 for the same chat point before the fix); the all-in figure has its
// own name, usd_per_mtok_all.
func TestPerMtokMatchesResult(t *testing.T) {
	r := chatRunner(t, 1)
	r.KeepResults = true
	r.Cost = &results.CostInputs{}
	p := r.One(Point{Fleet: "2P4D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1})
	require.Empty(t, p.Error)
	tc := p.Result.Totals.Cost
	require.NotNil(t, tc)
	require.Equal(t, tc.USDPerMTokOutput, p.Metrics["usd_per_mtok_output"])
	require.Equal(t, tc.USDPerMTokInput, p.Metrics["usd_per_mtok_input"])
	tot := p.Result.Totals
	in, _, out := tot.Tokens()
	all := p.Result.Cost.USD / float64(in+out) * 1e6
	require.InEpsilon(t, all, p.Metrics["usd_per_mtok_all"], 1e-9)
	require.Less(t, p.Metrics["usd_per_mtok_all"], p.Metrics["usd_per_mtok_output"])
}

// TestPointRevenueAndMargin: with a price list every point carries
// revenue, margin on revenue and markup on cost, computed from the
// fleet's totals (hand check against the result's own cost section).
func TestPointRevenueAndMargin(t *testing.T) {
	r := chatRunner(t, 1)
	r.KeepResults = true
	r.Cost = &results.CostInputs{Prices: map[string]*pricing.List{"*": {InputPerMTok: 0.6, CachedInputPerMTok: 0.15, OutputPerMTok: 2.4}}}
	p := r.One(Point{Fleet: "2P4D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1})
	require.Empty(t, p.Error)
	c := p.Result.Cost
	rev := *c.RevenueUSD
	require.Positive(t, rev)
	require.Equal(t, rev, p.Metrics["revenue_usd"])
	require.InDelta(t, rev-c.USD, p.Metrics["margin_usd"], 1e-6)
	require.InEpsilon(t, (rev-c.USD)/rev*100, p.Metrics["margin_pct"], 1e-5)
	require.InEpsilon(t, (rev-c.USD)/c.USD*100, p.Metrics["markup_pct"], 1e-5)
	require.Equal(t, *c.MarginPct, p.Metrics["margin_pct"], "the result's own figure")
	require.Equal(t, *c.MarkupPct, p.Metrics["markup_pct"])
	// Without a price list no revenue metric is present (absent, not 0).
	r.Cost = &results.CostInputs{}
	p = r.One(Point{Fleet: "2P4D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1})
	_, ok := p.Metrics["margin_pct"]
	require.False(t, ok)
}

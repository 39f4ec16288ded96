package results

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/pricing"
)

// TestMixedListsPerClass: chat billed per token, agent per task, on the
// hand-computed PD fixture at catalog prices (prefill 8 GPUs x 0.5 h x
// $3.59 = $14.36, decode 16 x 0.5 x $2 = $16). Agent cost = 0.75 x 14.36
// + 0.5 x 16 = $18.77 against 10 tasks x $2 = $20: markup 6.5530%,
// margin 6.15%, break-even $1.877 a task, and no token-price solve (its
// list has none). Chat cost = 0.25 x 14.36 + 0.5 x 16 = $11.59 against
// 1 x 0.6 + 1 x 0.15 + 0.5 x 2.4 = $1.95: break-even output price
// (11.59 - 0.75) / 0.5 = $21.68 per Mtok.
func TestMixedListsPerClass(t *testing.T) {
	r := pdResult()
	prices := map[string]*pricing.List{
		"chat":  {InputPerMTok: 0.6, CachedInputPerMTok: 0.15, OutputPerMTok: 2.4},
		"agent": {PerTask: 2},
	}
	require.NoError(t, ApplyCost(r, CostInputs{Prices: prices}))
	ag := r.Classes["agent"]
	require.InDelta(t, 18.77, ag.Cost.USD, 1e-9)
	rv := ag.Cost.Revenue
	require.InDelta(t, 20, rv.Amount, 1e-9)
	require.InDelta(t, 1.23/18.77*100, *rv.MarkupPct, 1e-3)
	require.InDelta(t, 6.15, *rv.MarginPct, 1e-9)
	require.InDelta(t, 1.877, *rv.BreakEvenPerTask, 1e-9)
	require.Nil(t, rv.BreakEvenPerMTokOutput, "a per-task-only list has no token break-even")

	b, _ := BookFor(ag, prices["agent"], DefaultCostSplit, 0)
	a := econ.Analyze("agent", "USD", b, 0)
	for _, s := range a.Solves {
		require.NotContains(t, []string{"input_per_mtok", "cached_input_per_mtok", "output_per_mtok", "cache_hit_rate"}, s.Variable)
	}
	ch := r.Classes["chat"]
	require.InDelta(t, 11.59, ch.Cost.USD, 1e-9)
	require.InDelta(t, 21.68, *ch.Cost.Revenue.BreakEvenPerMTokOutput, 1e-9)
	require.Nil(t, ch.Cost.Revenue.BreakEvenPerTask)
}

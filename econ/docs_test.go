package econ

import (
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/pricing"
)

// TestWorkedExample recomputes every figure of docs/economics.md's worked
// example from the formulas.
func TestWorkedExample(t *testing.T) {
	doc, err := os.ReadFile("../docs/economics.md")
	require.NoError(t, err)
	_, block, ok := strings.Cut(string(doc), "```worked-example\n")
	require.True(t, ok, "docs/economics.md has no worked-example block")
	block, _, _ = strings.Cut(block, "```")

	b := book()
	solve := func(s Solve) float64 {
		require.True(t, s.OK, "%s: %s", s.Variable, s.Note)
		return s.BreakEven
	}
	mk, _ := MarkupPct(b.Revenue(), b.Cost)
	mg, _ := MarginPct(b.Revenue(), b.Cost)
	pl := &pricing.List{InputPerMTok: 0.6, CachedInputPerMTok: 0.15, OutputPerMTok: 4}
	cut, err := ParseCut("output=-50%")
	require.NoError(t, err)
	cl := ApplyCuts(pl, []Cut{cut})
	cb := b
	cb.Components = append([]Component(nil), b.Components...)
	cb.Components[2].Price = cl.OutputPerMTok
	cb.Components[2].Amount = cb.Components[2].Volume * cl.OutputPerMTok
	cmk, _ := MarkupPct(cb.Revenue(), cb.Cost)
	cmg, _ := MarginPct(cb.Revenue(), cb.Cost)
	plan, err := ParsePlan("fee=20,mean=300,median=120")
	require.NoError(t, err)
	pe, err := plan.Evaluate(0.05)
	require.NoError(t, err)
	want := map[string]float64{
		"revenue":                          b.Revenue(),
		"markup_pct":                       mk,
		"margin_pct":                       mg,
		"break_even_output_per_mtok":       solve(b.BreakEvenPrice("output_per_mtok")),
		"break_even_input_per_mtok":        solve(b.BreakEvenPrice("input_per_mtok")),
		"break_even_cached_input_per_mtok": solve(b.BreakEvenPrice("cached_input_per_mtok")),
		"break_even_usd_per_gpu_hour":      solve(b.BreakEvenGPUPrice(2.5)),
		"break_even_traffic_multiple":      solve(b.BreakEvenTraffic()),
		"break_even_utilization":           solve(b.BreakEvenUtilization()),
		"break_even_cache_hit_rate":        solve(b.BreakEvenHitRate()),
		"cut_revenue":                      cb.Revenue(),
		"cut_markup_pct":                   cmk,
		"cut_margin_pct":                   cmg,
		"plan_margin_pct":                  pe.MarginPct,
		"plan_markup_pct":                  pe.MarkupPct,
		"plan_loss_tasks":                  pe.LossTasks,
		"plan_loss_share":                  pe.LossShare,
		"plan_loss_cost_share":             pe.LossCostShare,
	}
	seen := 0
	for _, line := range strings.Split(strings.TrimSpace(block), "\n") {
		k, v, ok := strings.Cut(line, " = ")
		require.True(t, ok, "line %q: want name = value", line)
		got, err := strconv.ParseFloat(v, 64)
		require.NoError(t, err, line)
		w, ok := want[k]
		require.True(t, ok, "docs name %q has no computation", k)
		require.InEpsilon(t, w, got, 1e-5, "%s: docs say %v, the formulas give %v", k, got, w)
		seen++
	}
	require.Equal(t, len(want), seen, "every computed figure is in the docs")
}

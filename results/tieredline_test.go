package results

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/pricing"
)

// A tiered list's line showed the first tier's price beside the line's
// volume and its revenue over every tier, so price x volume was not the
// revenue with no word why: `price agent-coding --duration 3m` printed
// "input_per_mtok 0.8 CNY/Mtok 0.906649 Mtok 1.03678" (0.8 x 0.906649 =
// 0.725). The line now says which tier its price is and the mean price
// billed (amount / volume), in the table and the JSON (tiers, mean_price).
func TestTieredLineSaysItsTierAndMeanPrice(t *testing.T) {
	pl := &pricing.List{Currency: "CNY", Tiers: []pricing.Tier{
		{UpToTokens: 32768, InputPerMTok: 0.8, CachedInputPerMTok: 0.16, OutputPerMTok: 8},
		{UpToTokens: 0, InputPerMTok: 1.2, CachedInputPerMTok: 0.16, OutputPerMTok: 16},
	}}
	require.NoError(t, pl.Validate())
	in, cached, out := int64(3_000_000), int64(2_000_000), int64(30_000)
	c := &ClassResult{InputTokens: &in, CachedTokens: &cached, OutputTokens: &out, Completed: 100, Cost: &ClassCost{USD: 1},
		TokensByTier: []TierTokens{
			{UpToTokens: 32768, Requests: 50, InputTokens: 1_000_000, CachedTokens: 500_000, OutputTokens: 10_000},
			{UpToTokens: 0, Requests: 50, InputTokens: 2_000_000, CachedTokens: 1_500_000, OutputTokens: 20_000},
		}}
	b, approx := BookFor(c, pl, DefaultCostSplit, 0.5)
	require.False(t, approx)
	a := econ.Analyze("coding at list prices", "CNY", b, 2)
	// input: 0.5 Mtok at 0.8 + 0.5 Mtok at 1.2 = 1.0 over 1 Mtok: mean 1.
	var tb strings.Builder
	require.NoError(t, a.Render(&tb))
	require.Regexp(t, `input_per_mtok\s+0\.8 CNY/Mtok \(tier 1 of 2; billed 1 on average\)\s+1 Mtok\s+1\n`, tb.String())
	require.Regexp(t, `output_per_mtok\s+8 CNY/Mtok \(tier 1 of 2; billed 13\.3333 on average\)\s+0\.03 Mtok\s+0\.4\n`, tb.String())

	raw, err := json.Marshal(a)
	require.NoError(t, err)
	var got struct {
		Lines []map[string]any `json:"lines"`
	}
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Equal(t, map[string]any{"name": "input_per_mtok", "price": 0.8, "volume": 1.0, "volume_unit": "Mtok", "amount": 1.0,
		"tiers": 2.0, "mean_price": 1.0}, got.Lines[0])

	// An untiered list's lines are unchanged: price x volume = amount.
	pl = &pricing.List{InputPerMTok: 0.27, CachedInputPerMTok: 0.07, OutputPerMTok: 1.1}
	require.NoError(t, pl.Validate())
	b, _ = BookFor(c, pl, DefaultCostSplit, 0.5)
	raw, err = json.Marshal(econ.Analyze("x", "USD", b, 2))
	require.NoError(t, err)
	require.NotContains(t, string(raw), "mean_price")
	require.NotContains(t, string(raw), "tiers")
}

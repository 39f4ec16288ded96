package results

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/pricing"
)

// listRevenue is class c's revenue under pl in pl's currency, unrounded,
// and whether the tiers had to be approximated.
func listRevenue(c *ClassResult, pl *pricing.List) (float64, bool) {
	lines, approx := billLines(c, pl)
	return econ.Book{Components: lines}.Revenue(), approx
}

// tieredList: <= 32k input: 1.0 / 0.25 cached / 4.0; above: 2.0 / (list
// cached 0.5) / 8.0, per Mtok USD.
func tieredList() *pricing.List {
	return &pricing.List{CachedInputPerMTok: 0.5, Tiers: []pricing.Tier{
		{UpToTokens: 32000, InputPerMTok: 1, CachedInputPerMTok: 0.25, OutputPerMTok: 4},
		{UpToTokens: 0, InputPerMTok: 2, OutputPerMTok: 8},
	}}
}

// tieredClass has 100 short requests (1M input, 0.4M cached, 0.2M out) and
// 10 long ones (0.8M input, 0.6M cached, 50k out).
func tieredClass() *ClassResult {
	return &ClassResult{Kind: "chat", Requests: 110, Completed: 110, Tasks: 110,
		InputTokens: new(int64(1_800_000)), CachedTokens: new(int64(1_000_000)), OutputTokens: new(int64(250_000)),
		TokensByTier: []TierTokens{
			{UpToTokens: 32000, Requests: 100, InputTokens: 1_000_000, CachedTokens: 400_000, OutputTokens: 200_000},
			{UpToTokens: 0, Requests: 10, InputTokens: 800_000, CachedTokens: 600_000, OutputTokens: 50_000},
		}}
}

// TestRevenueTieredByHand: short tier 0.6M x 1 + 0.4M x 0.25 + 0.2M x 4 =
// $1.5; long tier 0.2M x 2 + 0.6M x 0.5 + 0.05M x 8 = $1.1; total $2.6.
// Against a $2 cost: margin $0.6 (23.08%), break-even scale 2/2.6.
func TestRevenueTieredByHand(t *testing.T) {
	pl := tieredList()
	require.NoError(t, pl.Validate())
	c := tieredClass()
	rv := revenue(c, 2.0, pl)
	require.Equal(t, "USD", rv.Currency)
	require.Equal(t, 2.6, rv.Amount)
	require.Equal(t, 2.6, rv.USD)
	require.Equal(t, 0.6, rv.MarginUSD)
	require.InDelta(t, 0.6/2.6*100, *rv.MarginPct, 1e-4)
	require.InDelta(t, 2/2.6, rv.BreakEvenScale, 1e-6)
	require.InDelta(t, 0.6/2*100, *rv.MarkupPct, 1e-4)
	// Break-even output price with input and cached prices held: output
	// earned 0.2M x 4 + 0.05M x 8 = 1.2 = 0.3 Mtok at the first tier's 4;
	// the rest earned 1.4, so (2 - 1.4) / 0.3 = 2.0 (and 4.0 above 32k).
	require.InDelta(t, 2.0, *rv.BreakEvenPerMTokOutput, 1e-9)
	require.False(t, rv.TiersApproximated)

	// Break-even x volume = cost: the list scaled to break even earns the cost,
	// and the break-even task price times the tasks is the cost.
	got, _ := listRevenue(c, pl.Scale(2/2.6))
	require.InDelta(t, 2.0, got, 1e-12)
	// The break-even output price, other prices held, reproduces the cost.
	half := tieredList()
	half.Tiers[0].OutputPerMTok, half.Tiers[1].OutputPerMTok = 2, 4
	got, _ = listRevenue(c, half)
	require.InDelta(t, 2.0, got, 1e-9)
	require.Nil(t, rv.BreakEvenPerTask, "no per-task price on the list: no per-task break-even")

	// Without per-tier counts every request bills at the mean length's tier
	// (1.8M / 110 = 16363 tokens: short tier) and the result says so.
	c.TokensByTier = nil
	rv = revenue(c, 2.0, pl)
	require.True(t, rv.TiersApproximated)
	require.InDelta(t, 0.8*1+1.0*0.25+0.25*4, rv.Amount, 1e-9)
}

// TestRevenueFlatCNY: 100 tasks at 0.7 CNY at 7 CNY/USD = 70 CNY = $10 of
// revenue against $12.5 of cost: break-even 0.875 CNY per task.
func TestRevenueFlatCNY(t *testing.T) {
	pl := &pricing.List{Currency: "cny", CNYPerUSD: 7, PerTask: 0.7}
	require.NoError(t, pl.Validate())
	c := &ClassResult{Kind: "agent", Tasks: 100, OutputTokens: new(int64(2_000_000))}
	rv := revenue(c, 12.5, pl)
	require.Equal(t, "CNY", rv.Currency)
	require.Equal(t, 7.0, rv.CNYPerUSD)
	require.Equal(t, 70.0, rv.Amount)
	require.Equal(t, 10.0, rv.USD)
	require.Equal(t, 87.5, rv.Cost)
	require.Equal(t, -2.5, rv.MarginUSD)
	require.Equal(t, -25.0, *rv.MarginPct)
	require.Equal(t, 0.875, *rv.BreakEvenPerTask)
	require.Equal(t, 87.5*100/70*0.7/100, *rv.BreakEvenPerTask)
	require.Equal(t, -20.0, *rv.MarkupPct) // on cost: (70 - 87.5) / 87.5
	// A per-task-only list has no break-even token price.
	require.Nil(t, rv.BreakEvenPerMTokOutput)
}

// TestRevenueVideoSeconds bills per second of video.
func TestRevenueVideoSeconds(t *testing.T) {
	pl := &pricing.List{PerVideoSecond: 0.1}
	require.NoError(t, pl.Validate())
	rv := revenue(&ClassResult{Kind: "video", Clips: 4, VideoSeconds: 20}, 1, pl)
	require.Equal(t, 2.0, rv.Amount)
	require.Zero(t, rv.BreakEvenPerTask)                // no per-task price
	require.Equal(t, 0.05, *rv.BreakEvenPerVideoSecond) // $1 / 20 s
	require.Equal(t, 0.5, rv.BreakEvenScale)
}

// TestApplyCostRevenue wires price lists through ApplyCost: "*" is the
// default, a class list replaces it, and totals sum in USD.
func TestApplyCostRevenue(t *testing.T) {
	r := pdResult()
	prices := map[string]*pricing.List{
		"*":     {InputPerMTok: 1, CachedInputPerMTok: 0.1, OutputPerMTok: 40},
		"agent": {Currency: "CNY", CNYPerUSD: 7.2, PerTask: 7.2},
	}
	require.NoError(t, ApplyCost(r, CostInputs{Prices: prices, GPUHourUSD: map[string]float64{"h200": 3, "h100": 2.5}}))
	chat := r.Classes["chat"].Cost.Revenue
	require.Equal(t, 1.0+0.1+20, chat.Amount) // 1M x 1 + 1M x 0.1 + 0.5M x 40
	require.Equal(t, round6(21.1-r.Classes["chat"].Cost.USD), chat.MarginUSD)
	agent := r.Classes["agent"].Cost.Revenue
	require.Equal(t, 72.0, agent.Amount)
	require.Equal(t, 10.0, agent.USD)
	require.Equal(t, 31.1, *r.Cost.RevenueUSD)
	require.Equal(t, round6(31.1-r.Cost.USD), *r.Cost.MarginUSD)
}

func round6(v float64) float64 { return roundDec(v, 6) }

func TestParseGPUPrices(t *testing.T) {
	got, err := ParseGPUPrices(" H100=2.5, h20=1.2 ,")
	require.NoError(t, err)
	require.Equal(t, map[string]float64{"h100": 2.5, "h20": 1.2}, got)
	got, err = ParseGPUPrices("")
	require.NoError(t, err)
	require.Empty(t, got)
	for _, bad := range []string{"h100", "=2", "h100=x", "h100=-1", "h100=1,h100=2", "h100=Inf", "h100=NaN", "h100=25000"} {
		_, err := ParseGPUPrices(bad)
		require.Error(t, err, bad)
	}
}

func FuzzParseGPUPrices(f *testing.F) {
	f.Add("h100=2.5,h20=1.2")
	f.Add("x=")
	f.Fuzz(func(t *testing.T, s string) {
		m, err := ParseGPUPrices(s)
		if err != nil {
			return
		}
		for k, v := range m {
			require.Equal(t, strings.ToLower(k), k)
			require.GreaterOrEqual(t, v, 0.0)
			require.LessOrEqual(t, v, pricing.MaxGPUHourUSD)
		}
	})
}

// TestUndefinedFiguresAbsent: a video class priced by the token earns
// nothing, so its margin on revenue is undefined (was margin_pct: 0 in
// the JSON and in compare while the table showed '-'); a class with no
// tokens has no $/Mtok (was usd_per_mtok_input/output: 0); compare reads
// no token figure of a video class (was output_tokens_per_s 0).
func TestUndefinedFiguresAbsent(t *testing.T) {
	pl := &pricing.List{InputPerMTok: 1, OutputPerMTok: 2}
	require.NoError(t, pl.Validate())
	c := &ClassResult{Kind: "video", Requests: 4, Completed: 4, Tasks: 4, Clips: 4, VideoSeconds: 20}
	rv := revenue(c, 1, pl)
	require.Zero(t, rv.Amount)
	require.Nil(t, rv.MarginPct)
	require.Equal(t, -100.0, *rv.MarkupPct) // on cost: defined, all of it lost
	c.Cost = &ClassCost{USD: 1, PerTaskUSD: 0.25, USDPerClip: 0.25, USDPerVideoSecond: 0.05, VideoUSD: 1, Revenue: rv}
	js, err := json.Marshal(c)
	require.NoError(t, err)
	for _, key := range []string{"margin_pct", "usd_per_mtok_input", "usd_per_mtok_output", "break_even_scale"} {
		require.NotContains(t, string(js), `"`+key+`"`)
	}
	require.Contains(t, string(js), `"per_task_usd":0.25`)
	for _, name := range []string{"cost.margin_pct", "cost.usd_per_mtok_output", "output_tokens_per_s", "output_tokens", "input_tokens", "cached_tokens"} {
		ref, err := resolveMetric(name)
		require.NoError(t, err)
		_, ok := ref.value(c)
		require.False(t, ok, name)
	}
	ref, err := resolveMetric("cost.markup_pct")
	require.NoError(t, err)
	v, ok := ref.value(c)
	require.True(t, ok)
	require.Equal(t, -100.0, v)
}

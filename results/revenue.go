package results

import "github.com/fleetbench/fleetbench/pricing"

// Revenue is a class's revenue against its price list, the margin over its
// cost and the prices at which it would break even.
type Revenue struct {
	Currency  string  `json:"currency"`
	CNYPerUSD float64 `json:"cny_per_usd,omitempty"` // CNY lists: the rate used
	Amount    float64 `json:"amount"`                // revenue in Currency
	USD       float64 `json:"usd"`                   // revenue in USD
	Cost      float64 `json:"cost"`                  // the class's cost, in Currency
	MarginUSD float64 `json:"margin_usd"`            // revenue - cost
	MarginPct float64 `json:"margin_pct"`            // (revenue - cost) / revenue x 100; 0 without revenue
	// BreakEvenScale is cost / revenue: the price list multiplied by it
	// earns exactly the cost (1.25 = prices must rise 25%). 0 without revenue.
	BreakEvenScale float64 `json:"break_even_scale,omitempty"`
	// BreakEvenPerMTokOutput is the break-even output price per million
	// tokens (Currency) with input and cached prices kept at the list's
	// ratios to it, i.e. the reference output price x BreakEvenScale. The
	// reference is the first tier's (or untiered) output price. A list
	// without token prices gets cost / output Mtok (output pays for all).
	BreakEvenPerMTokOutput float64 `json:"break_even_per_mtok_output,omitempty"`
	// BreakEvenPerTask is the flat price per task (Currency) that alone
	// earns the cost: cost / tasks.
	BreakEvenPerTask float64 `json:"break_even_per_task,omitempty"`
	// TiersApproximated is set when the result has no per-tier token counts
	// for the list's tiers, so every request was billed at the tier of the
	// class's mean input length. Rerun with the price list in the scenario
	// to count tokens per tier.
	TiersApproximated bool `json:"tiers_approximated,omitempty"`
}

// revenue prices class c's volume with pl against its cost costUSD.
func revenue(c *ClassResult, costUSD float64, pl *pricing.List) *Revenue {
	amount, approx := listRevenue(c, pl)
	costCur := pl.FromUSD(costUSD)
	rv := &Revenue{Currency: pl.Currency, Amount: roundDec(amount, 6), USD: roundDec(pl.ToUSD(amount), 6),
		Cost: roundDec(costCur, 6), TiersApproximated: approx}
	if pl.Currency == "CNY" {
		rv.CNYPerUSD = pl.CNYPerUSD
	}
	rv.MarginUSD = roundDec(pl.ToUSD(amount)-costUSD, 6)
	if amount > 0 {
		rv.MarginPct = roundSig((amount - costCur) / amount * 100)
		rv.BreakEvenScale = roundSig(costCur / amount)
	}
	_, _, refOut := pl.TierPrices(-1)
	switch {
	case amount > 0 && refOut > 0:
		rv.BreakEvenPerMTokOutput = roundSig(refOut * costCur / amount)
	case c.OutputTokens > 0:
		rv.BreakEvenPerMTokOutput = roundSig(costCur / float64(c.OutputTokens) * 1e6)
	}
	if n := tasksOf(c); n > 0 {
		rv.BreakEvenPerTask = roundSig(costCur / float64(n))
	}
	return rv
}

// tasksOf is what a per-task price bills: tasks, or clips for a video
// class that reports no tasks.
func tasksOf(c *ClassResult) int64 {
	if c.Tasks > 0 {
		return c.Tasks
	}
	return c.Clips
}

// listRevenue is class c's revenue under pl in pl's currency, unrounded,
// and whether the tiers had to be approximated.
func listRevenue(c *ClassResult, pl *pricing.List) (float64, bool) {
	bill := func(n int, unc, cached, out int64) float64 {
		in, cp, op := pl.TierPrices(n)
		return (float64(max(unc, 0))*in + float64(cached)*cp + float64(out)*op) / 1e6
	}
	var amount float64
	approx := false
	switch {
	case len(pl.Tiers) == 0:
		amount = bill(0, c.InputTokens-c.CachedTokens, c.CachedTokens, c.OutputTokens)
	case tiersMatch(c.TokensByTier, pl.TierBounds()):
		for i, t := range c.TokensByTier {
			n := t.UpToTokens // every length in the bucket bills at this tier
			if n == 0 && i > 0 {
				n = c.TokensByTier[i-1].UpToTokens + 1
			}
			amount += bill(n, t.InputTokens-t.CachedTokens, t.CachedTokens, t.OutputTokens)
		}
	default:
		approx = true
		n := 0
		if c.Completed > 0 {
			n = int(c.InputTokens / c.Completed)
		}
		amount = bill(n, c.InputTokens-c.CachedTokens, c.CachedTokens, c.OutputTokens)
	}
	amount += pl.PerTask*float64(tasksOf(c)) + pl.PerVideoSecond*c.VideoSeconds
	return amount, approx
}

// tiersMatch reports whether per-tier counts were taken with bounds.
func tiersMatch(ts []TierTokens, bounds []int) bool {
	if len(ts) != len(bounds)+1 {
		return false
	}
	for i, b := range bounds {
		if ts[i].UpToTokens != b {
			return false
		}
	}
	return ts[len(ts)-1].UpToTokens == 0
}

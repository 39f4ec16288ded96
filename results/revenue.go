package results

import (
	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/pricing"
)

// Revenue is a class's revenue against its price list, the margin over its
// cost and the prices at which it would break even (docs/economics.md).
type Revenue struct {
	Currency  string  `json:"currency"`
	CNYPerUSD float64 `json:"cny_per_usd,omitempty"` // CNY lists: the rate used
	Amount    float64 `json:"amount"`                // revenue in Currency
	USD       float64 `json:"usd"`                   // revenue in USD
	Cost      float64 `json:"cost"`                  // the class's cost, in Currency
	MarginUSD float64 `json:"margin_usd"`            // revenue - cost
	// MarginPct is the margin on revenue: (revenue - cost) / revenue x 100;
	// absent without revenue (undefined: the list earned nothing).
	MarginPct *float64 `json:"margin_pct,omitempty"`
	// MarkupPct is the margin on cost, as providers publish it:
	// (revenue - cost) / cost x 100; absent without cost.
	MarkupPct *float64 `json:"markup_pct,omitempty"`
	// BreakEvenScale is cost / revenue: the price list multiplied by it
	// earns exactly the cost (1.25 = prices must rise 25%). 0 without revenue.
	BreakEvenScale float64 `json:"break_even_scale,omitempty"`
	// BreakEvenPerMTokOutput is the output price per million tokens
	// (Currency) at which revenue equals cost with every other price held
	// (econ.Book.BreakEvenPrice; tiered lists: every tier's output price
	// moves by the same factor and this is the first tier's). 0 when the
	// other prices alone cover the cost; absent for a list without token
	// prices.
	BreakEvenPerMTokOutput *float64 `json:"break_even_per_mtok_output,omitempty"`
	// BreakEvenPerTask is the per-task price (Currency) at which revenue
	// equals cost with the other prices held; only for lists with a
	// per-task price.
	BreakEvenPerTask *float64 `json:"break_even_per_task,omitempty"`
	// BreakEvenPerVideoSecond likewise, for lists with a per-second price.
	BreakEvenPerVideoSecond *float64 `json:"break_even_per_video_second,omitempty"`
	// BreakEvenNotes says, keyed by the break-even's JSON key, why a
	// break-even price reads as it does: a 0 means the other prices alone
	// cover the cost (any price of that line breaks even), not a price of
	// nothing a reader should set.
	BreakEvenNotes map[string]string `json:"break_even_notes,omitempty"`
	// TiersApproximated is set when the result has no per-tier token counts
	// for the list's tiers, so every request was billed at the tier of the
	// class's mean input length. Rerun with the price list in the scenario
	// to count tokens per tier.
	TiersApproximated bool `json:"tiers_approximated,omitempty"`

	// usd is USD before rounding: the fleet's margin percentages sum it,
	// so that a fleet of one priced class reads that class's figures.
	usd float64
}

// revenue prices class c's volume with pl against its cost costUSD.
func revenue(c *ClassResult, costUSD float64, pl *pricing.List) *Revenue {
	lines, approx := billLines(c, pl)
	b := econ.Book{Components: lines, Cost: pl.FromUSD(costUSD)}
	amount := b.Revenue()
	costCur := b.Cost
	rv := &Revenue{Currency: pl.Currency, Amount: roundDec(amount, 6), USD: roundDec(pl.ToUSD(amount), 6),
		Cost: roundDec(costCur, 6), TiersApproximated: approx}
	if pl.Currency == "CNY" {
		rv.CNYPerUSD = pl.CNYPerUSD
	}
	rv.usd = pl.ToUSD(amount)
	rv.MarginUSD = roundDec(rv.usd-costUSD, 6)
	if m, ok := econ.MarginPct(amount, costCur); ok {
		m = roundSig(m)
		rv.MarginPct = &m
		rv.BreakEvenScale = roundSig(costCur / amount)
	}
	if m, ok := econ.MarkupPct(amount, costCur); ok {
		m = roundSig(m)
		rv.MarkupPct = &m
	}
	solve := func(name string) *float64 {
		if s := b.BreakEvenPrice(name); s.OK {
			v := roundSig(s.BreakEven)
			return &v
		}
		return nil
	}
	if pl.HasTokenPrices() {
		rv.BreakEvenPerMTokOutput = solve("output_per_mtok")
	}
	if pl.PerTask > 0 {
		rv.BreakEvenPerTask = solve("per_task")
	}
	if pl.PerVideoSecond > 0 {
		rv.BreakEvenPerVideoSecond = solve("per_video_second")
	}
	rv.noteCovered()
	return rv
}

// noteCovered notes every break-even price of 0 (econ.CoveredNote: the
// other prices alone cover the cost), for results written now and older
// files read alike.
func (rv *Revenue) noteCovered() {
	for key, v := range map[string]*float64{
		"break_even_per_mtok_output":  rv.BreakEvenPerMTokOutput,
		"break_even_per_task":         rv.BreakEvenPerTask,
		"break_even_per_video_second": rv.BreakEvenPerVideoSecond,
	} {
		if v != nil && *v == 0 {
			if rv.BreakEvenNotes == nil {
				rv.BreakEvenNotes = map[string]string{}
			}
			rv.BreakEvenNotes[key] = econ.CoveredNote
		}
	}
}

// tasksOf is what a per-task price bills: tasks, or clips for a video
// class that reports no tasks.
func tasksOf(c *ClassResult) int64 {
	if c.Tasks > 0 {
		return c.Tasks
	}
	return c.Clips
}

func billLines(c *ClassResult, pl *pricing.List) ([]econ.Component, bool) {
	in0, cached0, out0 := pl.TierPrices(-1)
	lines := []econ.Component{
		{Name: "input_per_mtok", Price: in0},
		{Name: "cached_input_per_mtok", Price: cached0},
		{Name: "output_per_mtok", Price: out0},
		{Name: "per_task", Price: pl.PerTask, Volume: float64(tasksOf(c))},
		{Name: "per_video_second", Price: pl.PerVideoSecond, Volume: c.VideoSeconds},
	}
	if !pl.DiscountsCached() {
		lines[1].BilledAs = "input_per_mtok" // no discount: its price is the input's
	}
	if len(pl.Tiers) > 1 {
		for i := range 3 { // the token lines: Price is the first tier's
			lines[i].Tiers = len(pl.Tiers)
		}
	}
	bill := func(n int, unc, cached, out int64) {
		in, cp, op := pl.TierPrices(n)
		u, ca, o := float64(max(unc, 0))/1e6, float64(max(cached, 0))/1e6, float64(max(out, 0))/1e6
		lines[0].Volume += u
		lines[0].Amount += u * in
		lines[1].Volume += ca
		lines[1].Amount += ca * cp
		lines[2].Volume += o
		lines[2].Amount += o * op
	}
	approx := false
	in, cached, out := c.Tokens()
	switch {
	case len(pl.Tiers) == 0:
		bill(0, in-cached, cached, out)
	case tiersMatch(c.TokensByTier, pl.TierBounds()):
		for i, t := range c.TokensByTier {
			n := t.UpToTokens // every length in the bucket bills at this tier
			if n == 0 && i > 0 {
				n = c.TokensByTier[i-1].UpToTokens + 1
			}
			bill(n, t.InputTokens-t.CachedTokens, t.CachedTokens, t.OutputTokens)
		}
	default:
		approx = true
		n := 0
		if c.Completed > 0 {
			n = int(in / c.Completed)
		}
		bill(n, in-cached, cached, out)
	}
	lines[3].Amount = pl.PerTask * lines[3].Volume
	lines[4].Amount = pl.PerVideoSecond * lines[4].Volume
	return lines, approx
}

// BookFor is class c's economics under pl for the break-even solves
// (econ.Book), in pl's currency: c.Cost must be set (ApplyCost). split
// weighs cached input's prefill work (CostSplit.CachedInput); utilization
// is the measured busy share of the pools the class runs on
// (ClassUtilization; 0: unknown).
func BookFor(c *ClassResult, pl *pricing.List, split CostSplit, utilization float64) (econ.Book, bool) {
	lines, approx := billLines(c, pl)
	in, cached, _ := c.Tokens()
	b := econ.Book{Components: lines, CachedWeight: split.CachedInput, InputTokens: float64(in),
		Utilization: utilization}
	if in > 0 {
		b.HitRate = float64(cached) / float64(in)
	}
	if c.Cost != nil {
		b.Cost = pl.FromUSD(c.Cost.USD)
		b.CostInput = pl.FromUSD(c.Cost.InputUSD + c.Cost.CachedUSD)
	}
	return b, approx
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

// TotalsBook is the econ.Book of a volume given only by its totals (a
// published day: input tokens with the cached ones included, cached,
// output, tasks, video seconds) and its cost in USD, priced with pl. With
// no fleet to attribute the cost, the part charged to input is split by
// the token weights of split (CostSplit: an uncached input token weighs
// 1, a cached one CachedInput, an output token Output), as ApplyCost does
// for colocated pools. Tiered lists bill every token at the first tier
// (no per-request lengths).
func TotalsBook(input, cached, output, tasks int64, videoSeconds, costUSD float64, pl *pricing.List, split CostSplit) econ.Book {
	if split == (CostSplit{}) {
		split = DefaultCostSplit
	}
	c := &ClassResult{InputTokens: &input, CachedTokens: &cached, OutputTokens: &output, Tasks: tasks, VideoSeconds: videoSeconds}
	lines, _ := billLines(c, pl)
	b := econ.Book{Components: lines, Cost: pl.FromUSD(costUSD), CachedWeight: split.CachedInput, InputTokens: float64(input)}
	if input > 0 {
		b.HitRate = float64(cached) / float64(input)
	}
	unc := float64(max(input-cached, 0))
	wIn := unc + float64(cached)*split.CachedInput
	if w := wIn + float64(output)*split.Output; w > 0 {
		b.CostInput = b.Cost * wIn / w
	}
	return b
}

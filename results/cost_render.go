package results

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// UtilNote labels the cost section's util column: busy time is not load.
const UtilNote = "util: the share of the pool's GPU time spent stepping over the window; a pool at light load steps continuously with small batches, so a high util is not saturation (the SLO verdict and attainment say whether it kept up)"

// RenderCost writes the cost section of r as text: the fleet's GPU-hours
// and cost per pool, then per class the cost per task and per unit,
// energy, and revenue, margin and break-even prices where a price list
// was given. It writes nothing when r has no cost.
func RenderCost(w io.Writer, r *Result) error {
	if r == nil || r.Cost == nil {
		return nil
	}
	c := r.Cost
	var b strings.Builder
	fmt.Fprintf(&b, "\ncost over %s s: %s GPU-hours, %s", fmtNum(c.WindowS), fmtNum(c.GPUHours), fmtUSD(c.USD))
	if c.EnergyKWh > 0 {
		fmt.Fprintf(&b, ", %s kWh at TDP while busy", fmtNum(c.EnergyKWh))
	}
	if c.UnattributedUSD > 0 {
		fmt.Fprintf(&b, " (%s on idle pools, charged to no class)", fmtUSD(c.UnattributedUSD))
	}
	b.WriteString("\n")
	if c.LowerBound {
		b.WriteString("LOWER BOUND: the fleet fell behind the offered load; the backlog it served after the window is not charged, so every cost below is a lower bound and every margin an upper bound\n")
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "pool\tgpu\t$/GPU-h\tsource\tGPU-h\tUSD\tutil\t")
	anyUtil := false
	for _, k := range sortedKeys(c.ByPool) {
		p := c.ByPool[k]
		util := "-"
		if u, ok := p.Util(); ok {
			util, anyUtil = Pct(u), true
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", k, orDash(p.GPU), fmtNum(p.USDPerGPUHour), orDash(p.PriceSource), fmtNum(p.GPUHours), fmtMoney(p.USD), util)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if anyUtil {
		b.WriteString(UtilNote + "\n")
	}
	names := sortedKeys(r.Classes)
	cols := make([]*ClassResult, 0, len(names)+1)
	for _, n := range names {
		cols = append(cols, r.Classes[n])
	}
	cols = append(cols, r.Totals)
	tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	const labelWidth = 26
	// fleet, when set, gives the total column's figure where the totals'
	// ClassCost has none (revenue and margin are the fleet's).
	var fleet func() (float64, bool)
	// covered marks a break-even price of 0 (the other prices alone cover
	// the cost): a bare 0 would read as "give it away".
	covered, anyCovered := false, false
	row := func(label string, f func(cc *ClassCost) (float64, bool)) {
		cells := make([]string, len(cols))
		any := false
		for i, col := range cols {
			cells[i] = "-"
			if col == r.Totals && fleet != nil {
				if v, ok := fleet(); ok {
					// The fleet's figure alone shows the row (a fleet
					// whose priced class cost nothing has a markup).
					cells[i], any = fmtNum(v), true
				}
				continue
			}
			if col == nil || col.Cost == nil {
				continue
			}
			if v, ok := f(col.Cost); ok {
				cells[i], any = fmtNum(v), true
				if covered && v == 0 {
					cells[i], anyCovered = "0 (covered)", true
				}
			}
		}
		if any {
			fmt.Fprintf(tw, "%-*s\t%s\t\n", labelWidth, label, strings.Join(cells, "\t"))
		}
	}
	nz := func(g func(cc *ClassCost) float64) func(cc *ClassCost) (float64, bool) {
		return func(cc *ClassCost) (float64, bool) { v := g(cc); return v, v != 0 }
	}
	rev := func(g func(rv *Revenue) float64) func(cc *ClassCost) (float64, bool) {
		return func(cc *ClassCost) (float64, bool) {
			if cc.Revenue == nil {
				return 0, false
			}
			return g(cc.Revenue), true
		}
	}
	// Ratios and break-even prices are undefined (0) without revenue or
	// volume: show "-", not a misleading 0.
	revNZ := func(g func(rv *Revenue) float64) func(cc *ClassCost) (float64, bool) {
		return func(cc *ClassCost) (float64, bool) {
			v, ok := rev(g)(cc)
			return v, ok && v != 0
		}
	}
	b.WriteString("\n")
	fmt.Fprintf(tw, "%-*s\t%s\ttotal\t\n", labelWidth, "class cost (USD)", strings.Join(names, "\t"))
	row("USD", func(cc *ClassCost) (float64, bool) { return cc.USD, true })
	row("per task", nz(func(cc *ClassCost) float64 { return cc.PerTaskUSD }))
	row("per Mtok input (uncached)", nz(func(cc *ClassCost) float64 { return cc.USDPerMTokInput }))
	row("per Mtok cached input", nz(func(cc *ClassCost) float64 { return cc.USDPerMTokCached }))
	row("per Mtok output", nz(func(cc *ClassCost) float64 { return cc.USDPerMTokOutput }))
	row("per clip", nz(func(cc *ClassCost) float64 { return cc.USDPerClip }))
	row("per video second", nz(func(cc *ClassCost) float64 { return cc.USDPerVideoSecond }))
	row("energy kWh", nz(func(cc *ClassCost) float64 { return cc.EnergyKWh }))
	row("J per output token", nz(func(cc *ClassCost) float64 { return cc.JPerOutTok }))
	// A list in another currency shows its own amount; USD lists would
	// show the same number twice.
	foreign := false
	for _, n := range names {
		if cc := r.Classes[n].Cost; cc != nil && cc.Revenue != nil && cc.Revenue.Currency != "USD" {
			foreign = true
		}
	}
	if foreign {
		row("revenue ¤", rev(func(rv *Revenue) float64 { return rv.Amount }))
	}
	// The total column carries the fleet's revenue and margin (the line
	// under the table): the margin is over the whole fleet's cost, so
	// unpriced classes and idle pools count against it.
	fleet = c.Revenue
	row("revenue USD", rev(func(rv *Revenue) float64 { return rv.USD }))
	mlabel := "margin USD"
	if c.LowerBound {
		mlabel = "margin USD (upper bound)"
	}
	fleet = c.Margin
	row(mlabel, rev(func(rv *Revenue) float64 { return rv.MarginUSD }))
	fleet = nil
	// Optional figures: the margin on revenue is absent without revenue;
	// break-even prices are absent when the list has no such price, and 0
	// when the other prices alone cover the cost.
	opt := func(g func(rv *Revenue) *float64) func(cc *ClassCost) (float64, bool) {
		return func(cc *ClassCost) (float64, bool) {
			if cc.Revenue == nil || g(cc.Revenue) == nil {
				return 0, false
			}
			return *g(cc.Revenue), true
		}
	}
	fleet = func() (float64, bool) { return deref(c.MarkupPct) }
	row("markup % on cost", opt(func(rv *Revenue) *float64 { return rv.MarkupPct }))
	fleet = func() (float64, bool) { return deref(c.MarginPct) }
	row("margin % on revenue", opt(func(rv *Revenue) *float64 { return rv.MarginPct }))
	fleet = nil
	row("break-even x list", revNZ(func(rv *Revenue) float64 { return rv.BreakEvenScale }))
	covered = true
	row("break-even /Mtok output ¤", opt(func(rv *Revenue) *float64 { return rv.BreakEvenPerMTokOutput }))
	row("break-even /task ¤", opt(func(rv *Revenue) *float64 { return rv.BreakEvenPerTask }))
	row("break-even /video s ¤", opt(func(rv *Revenue) *float64 { return rv.BreakEvenPerVideoSecond }))
	covered = false
	if err := tw.Flush(); err != nil {
		return err
	}
	revUSD, priced := c.Revenue()
	marginUSD, _ := c.Margin()
	if priced {
		b.WriteString("¤ = in the class's price-list currency; markup_pct = (revenue - cost) / cost, margin_pct = (revenue - cost) / revenue;\nbreak-even prices hold the other prices (docs/economics.md)\n")
	}
	if anyCovered {
		b.WriteString("0 (covered): the class's other prices alone cover its cost, so any price of that line breaks even\n")
	}
	for _, n := range names {
		if cc := r.Classes[n].Cost; cc != nil && cc.Revenue != nil {
			if cc.Revenue.Currency != "USD" {
				fmt.Fprintf(&b, "%s: prices in %s at %s CNY/USD\n", n, cc.Revenue.Currency, fmtNum(cc.Revenue.CNYPerUSD))
			}
			if cc.Revenue.TiersApproximated {
				fmt.Fprintf(&b, "%s: no per-tier token counts for its price tiers: billed at the tier of the mean input length (put the price list in the scenario to count tiers)\n", n)
			}
		}
	}
	unpriced := c.UnattributedUSD > 0
	for _, n := range names {
		if cc := r.Classes[n].Cost; cc == nil || cc.Revenue == nil {
			unpriced = true
		}
	}
	if priced && unpriced {
		b.WriteString("total margin is the fleet's: revenue less the whole fleet's cost, unpriced classes and idle pools included\n")
	}
	if priced {
		bound := ""
		if c.LowerBound {
			bound = " (upper bound: the fleet fell behind)"
		}
		fmt.Fprintf(&b, "revenue %s, margin %s%s\n", fmtUSD(revUSD), fmtUSD(marginUSD), bound)
	}
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

func fmtMoney(v float64) string {
	if v >= 100 || v <= -100 {
		return fmt.Sprintf("%.2f", v)
	}
	return fmtNum(v)
}

// fmtUSD writes dollars with the sign first: -$8.89.
func fmtUSD(v float64) string {
	if v < 0 {
		return "-$" + fmtMoney(-v)
	}
	return "$" + fmtMoney(v)
}

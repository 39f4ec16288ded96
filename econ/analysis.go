package econ

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fleetbench/fleetbench/pricing"
)

// ApplyCuts returns a copy of pl with every cut applied (tiers included).
func ApplyCuts(pl *pricing.List, cuts []Cut) *pricing.List {
	q := pl.Clone()
	for _, c := range cuts {
		k := c.Factor
		if c.Applies("input") {
			q.InputPerMTok *= k
			for i := range q.Tiers {
				q.Tiers[i].InputPerMTok *= k
			}
		}
		if c.Applies("cached") {
			q.CachedInputPerMTok *= k
			for i := range q.Tiers {
				q.Tiers[i].CachedInputPerMTok *= k
			}
		}
		if c.Applies("output") {
			q.OutputPerMTok *= k
			for i := range q.Tiers {
				q.Tiers[i].OutputPerMTok *= k
			}
		}
		if c.Applies("task") {
			q.PerTask *= k
		}
		if c.Applies("video") {
			q.PerVideoSecond *= k
		}
	}
	return q
}

// Analysis is one priced volume: revenue by line, cost, both margins and
// every break-even solve that applies to its list.
type Analysis struct {
	Label     string      `json:"label"`
	Currency  string      `json:"currency"`
	Lines     []Component `json:"lines"`
	Revenue   float64     `json:"revenue"`
	Cost      float64     `json:"cost"`
	MarginAmt float64     `json:"margin"`
	// MarkupPct is on cost, MarginPct on revenue; nil when undefined.
	MarkupPct *float64 `json:"markup_pct"`
	MarginPct *float64 `json:"margin_pct"`
	Solves    []Solve  `json:"break_even"`
}

// Analyze prices book b (amounts in currency) and solves the break-even
// of each variable that applies: every price the list sets (a per-task-
// only list gets no token-price solve; cached input billed at the input
// price gets none of its own), the cache hit rate (lists with
// token prices and input), the fleet utilization and traffic multiple,
// and the $/GPU-hour (gpuUSDPerHour: the fleet's mean price, 0 to skip).
func Analyze(label, currency string, b Book, gpuUSDPerHour float64) Analysis {
	a := Analysis{Label: label, Currency: currency, Revenue: b.Revenue(), Cost: b.Cost}
	for _, c := range b.Components {
		// A line the list does not set (price 0, nothing earned) is left
		// out: "per_task price 0, volume 136" read as free tasks.
		// A line billed at another's price that billed nothing (no
		// cached tokens on a list without a discount) says nothing.
		if (c.Price != 0 || c.Amount != 0) && (c.BilledAs == "" || c.Volume > 0) {
			a.Lines = append(a.Lines, c)
		}
	}
	a.MarginAmt = a.Revenue - a.Cost
	if v, ok := MarkupPct(a.Revenue, a.Cost); ok {
		a.MarkupPct = &v
	}
	if v, ok := MarginPct(a.Revenue, a.Cost); ok {
		a.MarginPct = &v
	}
	tokens := false
	for _, c := range b.Components {
		if c.Price > 0 && c.BilledAs == "" {
			a.Solves = append(a.Solves, b.BreakEvenPrice(c.Name))
			switch c.Name {
			case "input_per_mtok", "cached_input_per_mtok", "output_per_mtok":
				tokens = true
			}
		}
	}
	if tokens && b.InputTokens > 0 {
		a.Solves = append(a.Solves, b.BreakEvenHitRate())
	}
	if b.Utilization > 0 {
		a.Solves = append(a.Solves, b.BreakEvenUtilization())
	}
	a.Solves = append(a.Solves, b.BreakEvenTraffic())
	if gpuUSDPerHour > 0 {
		a.Solves = append(a.Solves, b.BreakEvenGPUPrice(gpuUSDPerHour))
	}
	a.tidy()
	return a
}

// tidy rounds a's figures to 12 significant digits, once every solve is
// done: binary floating point wrote 0.27 x 0.0806 as 0.021762000000000004
// and a break-even of 1.89 as 1.8900000000000001 in the JSON. Tables show 6
// digits and are unchanged.
func (a *Analysis) tidy() {
	for _, v := range []*float64{&a.Revenue, &a.Cost, &a.MarginAmt, a.MarkupPct, a.MarginPct} {
		if v != nil {
			*v = sig12(*v)
		}
	}
	for i := range a.Lines {
		c := &a.Lines[i]
		c.Price, c.Volume, c.Amount = sig12(c.Price), sig12(c.Volume), sig12(c.Amount)
	}
	for i := range a.Solves {
		s := &a.Solves[i]
		s.Current, s.BreakEven = sig12(s.Current), sig12(s.BreakEven)
	}
}

// Sig12 is v to 12 significant digits (as is for 0, NaN and infinities):
// the precision of the price and cost commands' JSON figures.
func Sig12(v float64) float64 { return sig12(v) }

// sig12 is v to 12 significant digits (as is for 0, NaN and infinities).
func sig12(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return v
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 12, 64), 64)
	if err != nil {
		return v
	}
	return r
}

func fmtG(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// withUnit is "v unit", or v for no unit.
func withUnit(v, unit string) string {
	if unit == "" {
		return v
	}
	return v + " " + unit
}

// solveUnit names a solve's unit for the table.
func solveUnit(name, cur string) string {
	switch name {
	case "input_per_mtok", "cached_input_per_mtok", "output_per_mtok":
		return cur + "/Mtok"
	case "per_task":
		return cur + "/task"
	case "per_video_second":
		return cur + "/video s"
	case "usd_per_gpu_hour":
		return "USD/GPU-h"
	case "cache_hit_rate", "utilization":
		return "share"
	}
	return "x"
}

// Render writes the analysis as a block of text.
func (a Analysis) Render(w io.Writer) error {
	var b strings.Builder
	pct := func(p *float64) string {
		if p == nil {
			return "-"
		}
		return strconv.FormatFloat(*p, 'f', 2, 64) + "%"
	}
	fmt.Fprintf(&b, "%s: revenue %s %s, cost %s %s, margin %s %s\n", a.Label, fmtG(a.Revenue), a.Currency, fmtG(a.Cost), a.Currency, fmtG(a.MarginAmt), a.Currency)
	fmt.Fprintf(&b, "  markup on cost (markup_pct) %s; margin on revenue (margin_pct) %s\n", pct(a.MarkupPct), pct(a.MarginPct))
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  line\tprice\tvolume\trevenue (%s)\t\n", a.Currency)
	for _, c := range a.Lines {
		price := withUnit(fmtG(c.Price), solveUnit(c.Name, a.Currency))
		if c.BilledAs != "" {
			price += " (as " + strings.TrimSuffix(c.BilledAs, "_per_mtok") + ": no discount listed)"
		}
		if c.Tiers > 1 {
			price += fmt.Sprintf(" (tier 1 of %d; billed %s on average)", c.Tiers, fmtG(c.MeanPrice()))
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t\n", c.Name, price,
			withUnit(fmtG(c.Volume), strings.ReplaceAll(VolumeUnit(c.Name), "video_seconds", "video s")), fmtG(c.Amount))
	}
	fmt.Fprintln(tw, "  break-even (one variable, the others held)\tnow\tbreak-even\tprofitable\t")
	for _, s := range a.Solves {
		be, side := "-", s.Note
		if s.OK {
			be = fmtG(s.BreakEven)
			switch s.Bound {
			case "min":
				side = "at or above"
			case "max":
				side = "at or below"
			}
			if s.Note != "" {
				side += " (" + s.Note + ")"
			}
		}
		fmt.Fprintf(tw, "  %s (%s)\t%s\t%s\t%s\t\n", s.Variable, solveUnit(s.Variable, a.Currency), fmtG(s.Current), be, side)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	lines := strings.Split(b.String(), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

// Render writes the plan's economics as a block of text.
func (e PlanEconomics) Render(w io.Writer, currency string) error {
	p := e.Plan
	u := p.Usage
	dist := fmt.Sprintf("lognormal mean %s median %s", fmtG(u.Mean), fmtG(u.Median))
	if u.Dist == "pareto" {
		dist = fmt.Sprintf("pareto min %s alpha %s", fmtG(u.Min), fmtG(u.Alpha))
	}
	_, err := fmt.Fprintf(w, `plan %s: fee %s %s/month, tasks per subscriber per month %s, cost %s %s/task
  mean subscriber: %s tasks, cost %s %s; plan margin on revenue (margin_pct) %.2f%%, markup on cost (markup_pct) %.2f%%
  below cost: subscribers above %s tasks/month: %s of subscribers, causing %s of the cost
  p99 subscriber: %s tasks, cost %s %s
  break-even fee %s %s/month; break-even cost per task %s %s
`, p.Name, fmtG(p.FeePerMonth), currency, dist, fmtG(e.CostPerTask), currency,
		fmtG(e.MeanTasks), fmtG(e.MeanCost), currency, e.MarginPct, e.MarkupPct,
		fmtG(e.LossTasks), sharePct(e.LossShare), sharePct(e.LossCostShare),
		fmtG(e.P99Tasks), fmtG(e.P99Cost), currency,
		fmtG(e.BreakEvenFee), currency, fmtG(e.BreakEvenCostPerTask), currency)
	return err
}

// sharePct writes a share in percent to two decimals, or to two
// significant digits below 0.01%: 0.0021% of subscribers causing 2.78% of
// the cost read "0.00% of subscribers", as if there were none.
func sharePct(v float64) string {
	p := v * 100
	if p != 0 && math.Abs(p) < 0.01 {
		prec := int(math.Ceil(-math.Log10(math.Abs(p)))) + 1
		return strconv.FormatFloat(p, 'f', prec, 64) + "%"
	}
	return strconv.FormatFloat(p, 'f', 2, 64) + "%"
}

package sweep

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Formats Render accepts.
var Formats = []string{"table", "json", "csv", "markdown"}

// column is one column of the table and markdown views.
type column struct {
	head string
	get  func(p *sweepfile.Point) string
}

func metricCol(head, key string, f func(float64) string) column {
	return column{head, func(p *sweepfile.Point) string {
		v, ok := p.Shown(key)
		if !ok {
			return "-"
		}
		return f(v)
	}}
}

func ms(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return strconv.FormatFloat(v, 'f', 1, 64)
}
func pctS(v float64) string { return results.Pct(v) }
func usd(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 1:
		return strconv.FormatFloat(v, 'f', 2, 64)
	case v >= 0.01:
		return strconv.FormatFloat(v, 'f', 4, 64)
	}
	return results.Fixed(v, 3)
}
func num(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

// columns picks the columns for s: the scale column only in scale curves,
// latency columns from results.Metrics.
func columns(s *sweepfile.Sweep) []column {
	cols := []column{
		{"#", func(p *sweepfile.Point) string { return strconv.Itoa(p.Index) }},
		{"fleet", func(p *sweepfile.Point) string { return p.Fleet }},
		{"gpu", func(p *sweepfile.Point) string { return p.GPU }},
		{"tp", func(p *sweepfile.Point) string { return tpText(p.TP) }},
		{"routing", func(p *sweepfile.Point) string {
			if ro := routingOf(p); ro != "" {
				return ro
			}
			return "-"
		}},
		{"load", func(p *sweepfile.Point) string { return num(p.RateScale) + "x" }},
	}
	if slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { return p.Scale != 0 }) {
		cols = append(cols, column{"scale", func(p *sweepfile.Point) string { return num(p.Scale) + "x" }})
	}
	cols = append(cols,
		column{"gpus", func(p *sweepfile.Point) string { return orDashS(gpusText(p.GPUs)) }},
		column{"slo", verdict},
	)
	// Each latency metric's SweepStats, when some point shows it (a
	// video-only sweep has no token metric, a kind-mixed point no pooled
	// latency); a ZeroUnknown one (queue) when some point measured a wait.
	has := func(key string) bool {
		return slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { _, ok := p.Shown(key); return ok })
	}
	for i := range results.Metrics {
		m := &results.Metrics[i]
		for _, st := range m.SweepStats {
			key := m.SweepKey(st)
			if !has(key) || m.ZeroUnknown && !slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { v, _ := p.Shown(key); return v > 0 }) {
				continue
			}
			cols = append(cols, metricCol(m.Name+" "+st, key, ms))
		}
	}
	if has("cache_hit_rate") { // none without prompt tokens (video)
		cols = append(cols, metricCol("hit", "cache_hit_rate", pctS))
	}
	cols = append(cols,
		metricCol("attain", "slo_attainment", pctS),
		metricCol("goodput/s", "goodput_rps", num),
		metricCol("util", "utilization", pctS),
		metricCol("$/h", "usd_per_hour", usd),
		metricCol("$/task", "usd_per_task", usd),
	)
	// Revenue columns when some point was priced against a price list.
	if slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { _, ok := p.Metrics["revenue_usd"]; return ok }) {
		cols = append(cols,
			metricCol("revenue $", "revenue_usd", usd),
			metricCol("markup", "markup_pct", pct100),
			metricCol("margin", "margin_pct", pct100),
		)
	}
	return cols
}

// UtilLegend labels a util column: busy time is not load (a pool at
// light load steps continuously with small batches).
const UtilLegend = "util: the share of the fleet's GPU time spent stepping over the window; a pool at light load steps continuously with small batches, so a high util is not saturation (slo and attain say whether the fleet kept up)"

// routingOf is a point's routing policy; empty for a video-only fleet,
// which routes no LLM request (files written before said cache-aware).
func routingOf(p *sweepfile.Point) string {
	if !routesLLM(p.Fleet) {
		return ""
	}
	return p.Routing
}

// tpText is a point's tensor parallelism; "-" for a fleet without LLM
// pools (video only), whose TP is 0.
func tpText(tp int) string {
	if tp <= 0 {
		return "-"
	}
	return strconv.Itoa(tp)
}

// pct100 writes a figure already in percent.
func pct100(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }

// Render writes s in format: "table" (aligned columns for a terminal),
// "markdown" (a pull-request comment), "csv" (one row per point, every
// metric) or "json" (the sweep file).
func Render(w io.Writer, s *sweepfile.Sweep, format string) error {
	switch format {
	case "json":
		return sweepfile.WriteJSON(w, s)
	case "csv":
		return renderCSV(w, s)
	case "table", "markdown":
		if s.Target != "" {
			return renderLive(w, s, format == "markdown")
		}
		return renderText(w, s, format == "markdown")
	}
	return fmt.Errorf("unknown format %q (use %s)", format, strings.Join(Formats, ", "))
}

func title(s *sweepfile.Sweep) string {
	t := fmt.Sprintf("sweep of scenario %s (seed %d)", s.Scenario.Name, s.Scenario.Seed)
	if s.Search != "" {
		t += ", search " + s.Search
	}
	if s.Objective != "" {
		t += " (" + s.Objective + ")"
	}
	if s.Shard != "" {
		t += ", shard " + s.Shard
	}
	return t + fmt.Sprintf(": %d points", len(s.Points))
}

func renderText(w io.Writer, s *sweepfile.Sweep, md bool) error {
	cols := columns(s)
	var b strings.Builder
	if md {
		fmt.Fprintf(&b, "**%s**\n\n|", title(s))
		for _, c := range cols {
			b.WriteString(" " + c.head + " |")
		}
		b.WriteString("\n|")
		for range cols {
			b.WriteString("---|")
		}
		b.WriteByte('\n')
		for i := range s.Points {
			b.WriteByte('|')
			for _, c := range cols {
				b.WriteString(" " + c.get(&s.Points[i]) + " |")
			}
			b.WriteByte('\n')
		}
	} else {
		b.WriteString(title(s) + "\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		for i, c := range cols {
			if i > 0 {
				tw.Write([]byte{'\t'})
			}
			tw.Write([]byte(c.head))
		}
		tw.Write([]byte("\t\n"))
		for i := range s.Points {
			for j, c := range cols {
				if j > 0 {
					tw.Write([]byte{'\t'})
				}
				tw.Write([]byte(c.get(&s.Points[i])))
			}
			tw.Write([]byte("\t\n"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	bullet := "  "
	if md {
		bullet = "- "
		b.WriteByte('\n') // a list after a table needs a blank line
	}
	if slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { _, ok := p.Metrics["utilization"]; return ok }) {
		b.WriteString(bullet + UtilLegend + "\n")
	}
	if slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { return p.OverContext != nil && p.Error == "" }) {
		b.WriteString(bullet + results.OverContextMark + " " + results.OverContextNote + "\n")
	}
	for _, p := range s.Points {
		switch {
		case p.Error != "":
			fmt.Fprintf(&b, "%spoint %d (%s): %s\n", bullet, p.Index, p.Fleet, p.Error)
		case p.FellBehind:
			// Its window cost leaves out the backlog served after it.
			bounds := "its costs are lower bounds (the backlog served after the window is not charged)"
			if _, ok := p.Metrics["revenue_usd"]; ok {
				bounds += ", its markup and margin upper bounds"
			}
			fmt.Fprintf(&b, "%spoint %d (%s): fell behind the offered load: %s\n", bullet, p.Index, p.Fleet, bounds)
		}
		if p.Error == "" {
			for _, n := range p.FailedClasses {
				fmt.Fprintf(&b, "%spoint %d (%s): every request of class %s failed (%s): no fleet size changes that\n",
					bullet, p.Index, p.Fleet, n, sweepfile.FailedErrorsText(&p, n))
			}
			for _, n := range p.IdleClasses {
				fmt.Fprintf(&b, "%spoint %d (%s): no request of class %s arrived in the window: its SLO is not judged, so the point does not meet every SLO; lengthen the run (--duration, --requests)\n",
					bullet, p.Index, p.Fleet, n)
			}
		}
	}
	if a := s.Answer; a != nil {
		on := a.GPU
		if a.TP > 0 {
			on += " tp" + strconv.Itoa(a.TP)
		}
		routing := ""
		if ro := routingOf(a); ro != "" {
			routing = " " + ro + " routing,"
		}
		fmt.Fprintf(&b, "%sanswer: point %d, %s on %s (%d GPUs),%s %sx load", bullet, a.Index, a.Fleet, on, a.GPUs, routing, num(a.RateScale))
		if v, ok := a.Metrics["usd_per_task"]; ok {
			fmt.Fprintf(&b, ", $%s per task", usd(v))
		}
		if v, ok := a.Metrics["goodput_rps"]; ok {
			fmt.Fprintf(&b, ", goodput %s/s", num(v))
		}
		b.WriteByte('\n')
	} else if s.Search != "" && s.Search != sweepfile.SearchScale {
		fmt.Fprintf(&b, "%sanswer: none (no point qualifies)\n", bullet)
	}
	if mixed := sweepfile.MixedNote(s.Points); mixed != "" {
		fmt.Fprintf(&b, "%snote: %s\n", bullet, mixed)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "%snote: %s\n", bullet, n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// CSVNum is a CSV cell: integers (up to 2^53) exactly, other values to 6
// significant digits, the precision of the result file's rates and shares,
// never in exponent form (0.1+0.2 is "0.3", 3e-7 is "0.0000003"). The
// sweep's JSON keeps full precision. The scale curve's CSV uses it too.
func CSVNum(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	r, err := strconv.ParseFloat(strconv.FormatFloat(v, 'g', 6, 64), 64)
	if err != nil { // NaN and infinities never reach a sweep file (JSON cannot hold them)
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// renderCSV writes one row per point with every metric any point has, in
// sorted column order; absent metrics are empty cells.
func renderCSV(w io.Writer, s *sweepfile.Sweep) error {
	var keys []string
	for _, p := range s.Points {
		for k := range p.Metrics {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	// A kind-mixed sweep labels its points (kind: the totals' latency
	// columns pool kinds) and adds each class's latencies as
	// "class:metric" columns.
	mixed := slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { return p.Kind != "" })
	type classKey struct{ class, key string }
	var ckeys []classKey
	for _, p := range s.Points {
		for c, m := range p.Classes {
			for k := range m {
				if !slices.Contains(ckeys, classKey{c, k}) {
					ckeys = append(ckeys, classKey{c, k})
				}
			}
		}
	}
	slices.SortFunc(ckeys, func(a, b classKey) int { return strings.Compare(a.class+":"+a.key, b.class+":"+b.key) })
	cw := csv.NewWriter(w)
	head := []string{"index", "fleet", "gpu", "tp", "routing", "rate_scale", "scale", "gpus", "meets_slo", "fell_behind", "answer"}
	if mixed {
		head = append(head, "kind")
	}
	head = append(head, keys...)
	for _, ck := range ckeys {
		head = append(head, ck.class+":"+ck.key)
	}
	warned := slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { return len(p.Warnings) > 0 })
	head = append(head, "error")
	if warned {
		head = append(head, "warnings") // kinds; the sweep file has the texts
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, p := range s.Points {
		tp := ""
		if p.TP > 0 {
			tp = strconv.Itoa(p.TP)
		}
		row := []string{strconv.Itoa(p.Index), p.Fleet, p.GPU, tp, routingOf(&p),
			CSVNum(p.RateScale), scaleCell(p.Scale),
			gpusText(p.GPUs), strconv.FormatBool(p.MeetsSLO), strconv.FormatBool(p.FellBehind), strconv.FormatBool(s.Answer != nil && s.Answer.Index == p.Index)}
		if mixed {
			row = append(row, p.Kind)
		}
		for _, k := range keys {
			if v, ok := p.Metrics[k]; ok {
				row = append(row, CSVNum(v))
			} else {
				row = append(row, "")
			}
		}
		for _, ck := range ckeys {
			if v, ok := p.Classes[ck.class][ck.key]; ok {
				row = append(row, CSVNum(v))
			} else {
				row = append(row, "")
			}
		}
		row = append(row, p.Error)
		if warned {
			var kinds []string
			for _, w := range p.Warnings {
				k, _, _ := strings.Cut(w, ":")
				kinds = append(kinds, k)
			}
			row = append(row, strings.Join(kinds, "; "))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// scaleCell is a point's scale-curve multiplier, empty for a point of no
// scale curve (Scale 0: no multiplier was applied).
func scaleCell(v float64) string {
	if v == 0 {
		return ""
	}
	return CSVNum(v)
}

// gpusText is a point's GPU count, "" when unknown (a live step, a fleet
// that could not be built): never 0.
func gpusText(n int) string {
	if n <= 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// orDashS is s, or "-" when empty (a table cell).
func orDashS(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package htmlreport

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// sweepView is one sweep's section.
type sweepView struct {
	Kind     string // "Sweep", or "Scale curve" (fleetbench scale)
	Label    string
	Meta     string
	Verdict  verdict
	KPIs     []kpi
	Notes    []string
	Charts   []chartRef
	Points   table
	Omitted  int // points beyond maxTableRows not listed
	HasTable bool
}

// maxTableRows bounds the point table; the charts still show every point.
const maxTableRows = 400

// Sweep metric keys (sweepfile.Point.Metrics).
const (
	mCost       = "usd_per_task"
	mCostHour   = "usd_per_hour"
	mAttain     = "slo_attainment"
	mTTFT99     = "ttft_p99_ms"
	mE2E99      = "e2e_p99_ms"
	mHit        = "cache_hit_rate"
	mUtil       = "utilization"
	mRevenue    = "revenue_usd"
	mGPUsPer1k  = "gpus_per_1k_rps"
	colorMeet   = "#059669"
	colorMiss   = "#dc2626"
	colorAnswer = "#111827"
)

var searchTitles = map[string]string{
	"":           "grid",
	"min-fleet":  "smallest fleet meeting every SLO",
	"max-load":   "highest load within SLOs",
	"best-split": "best prefill:decode split",
	"scale":      "scale curve",
}

func sweepSection(b *builder, i int, sr SweepRun) sweepView {
	s := sr.Sweep
	v := sweepView{Kind: "Sweep", Label: sr.Label, Notes: s.Notes}
	search := searchTitles[s.Search]
	if search == "" {
		search = s.Search
	}
	v.Meta = fmt.Sprintf("scenario %s · seed %d · search: %s", orDash(s.Scenario.Name), s.Scenario.Seed, search)
	if s.Objective != "" {
		v.Meta += " (" + s.Objective + ")"
	}
	if s.Shard != "" {
		v.Meta += " · shard " + s.Shard
	}
	pts := validPoints(s.Points)
	meets, failed := 0, 0
	for _, p := range s.Points {
		if p.Error != "" {
			failed++
		} else if p.MeetsSLO {
			meets++
		}
	}
	switch a := s.Answer; {
	case s.Interrupted:
		// Points cut short or not run: no verdict on fleets that did not
		// run to their end (the notes say what ran).
		v.Verdict = verdict{Status: "none", Text: fmt.Sprintf("Interrupted: %d of %d points ran to their end; no verdict", len(s.Points)-failed, len(s.Points)), Details: s.Notes}
		v.Notes = nil
	case len(s.Points) > 0 && failed == len(s.Points):
		v.Verdict = verdict{Status: "bad", Text: fmt.Sprintf("no point ran: every one of the %d failed (see each point's error)", len(s.Points))}
	case a != nil:
		v.Verdict = verdict{Status: "ok", Text: "Answer: " + pointName(a, s.Points)}
		v.Verdict.Details = []string{answerLine(a)}
	case s.Search != "" && s.Search != "scale":
		v.Verdict = verdict{Status: "bad", Text: "No point meets every SLO", Details: s.Notes}
		v.Notes = nil
	case meets > 0:
		v.Verdict = verdict{Status: "ok", Text: fmt.Sprintf("%d of %d points meet every SLO", meets, len(s.Points))}
	default:
		v.Verdict = verdict{Status: "bad", Text: fmt.Sprintf("none of %d points meets every SLO", len(s.Points))}
	}
	if n := sweepfile.MixedNote(append(slices.Clip(s.Points), s.Predicted...)); n != "" {
		v.Notes = append(slices.Clip(v.Notes), n)
	}
	if has(pts, mGPUsPer1k) { // a scale curve: one answer per traffic level
		v.Kind = "Scale curve"
		v.Verdict = verdict{Status: "ok", Text: fmt.Sprintf("%d traffic levels with an answer", len(pts))}
		if s.Interrupted {
			v.Verdict = verdict{Status: "none", Text: fmt.Sprintf("%d traffic levels with an answer; interrupted: the search stopped there", len(pts)), Details: s.Notes}
		}
		v.KPIs = curveKPIs(pts)
		v.Charts = sweepCharts(b, s, pts)
		v.Points, v.Omitted = pointTable(s)
		v.HasTable = len(v.Points.Rows) > 0
		return v
	}
	v.KPIs = append(v.KPIs, kpi{"points", strconv.Itoa(len(s.Points)), fmt.Sprintf("%d meet SLOs, %d failed to run", meets, failed)})
	if c, ok := minMetric(pts, mCost, true); ok {
		v.KPIs = append(v.KPIs, kpi{"cheapest task meeting SLOs", usd(c.Metrics[mCost]), pointName(c, s.Points)})
	}
	if c, ok := minGPUs(pts); ok {
		v.KPIs = append(v.KPIs, kpi{"fewest GPUs meeting SLOs", strconv.Itoa(c.GPUs), pointName(c, s.Points)})
	}
	v.Charts = sweepCharts(b, s, pts)
	v.Points, v.Omitted = pointTable(s)
	v.HasTable = len(v.Points.Rows) > 0
	return v
}

func validPoints(ps []sweepfile.Point) []*sweepfile.Point {
	out := make([]*sweepfile.Point, 0, len(ps))
	for i := range ps {
		if ps[i].Error == "" {
			out = append(out, &ps[i])
		}
	}
	return out
}

// minMetric is the SLO-meeting point with the lowest metric key.
func minMetric(pts []*sweepfile.Point, key string, meets bool) (*sweepfile.Point, bool) {
	var best *sweepfile.Point
	for _, p := range pts {
		v, ok := p.Metrics[key]
		if !ok || (meets && !p.MeetsSLO) {
			continue
		}
		if best == nil || v < best.Metrics[key] {
			best = p
		}
	}
	return best, best != nil
}

func minGPUs(pts []*sweepfile.Point) (*sweepfile.Point, bool) {
	var best *sweepfile.Point
	for _, p := range pts {
		if p.MeetsSLO && p.GPUs > 0 && (best == nil || p.GPUs < best.GPUs) {
			best = p
		}
	}
	return best, best != nil
}

// dims says which point coordinates vary across the sweep, so that names
// and series labels mention only those.
type dims struct{ fleet, gpu, tp, routing, rate, scale bool }

func varying(ps []sweepfile.Point) dims {
	var d dims
	if len(ps) == 0 {
		return d
	}
	a := ps[0]
	for _, p := range ps[1:] {
		d.fleet = d.fleet || p.Fleet != a.Fleet
		d.gpu = d.gpu || p.GPU != a.GPU
		d.tp = d.tp || p.TP != a.TP
		d.routing = d.routing || p.Routing != a.Routing
		d.rate = d.rate || p.RateScale != a.RateScale
		d.scale = d.scale || p.Scale != a.Scale
	}
	return d
}

// pointName names a point by its fleet plus the coordinates that vary.
func pointName(p *sweepfile.Point, all []sweepfile.Point) string {
	return p.Fleet + groupName(p, varying(all))
}

func groupName(p *sweepfile.Point, d dims) string {
	var parts []string
	if d.gpu {
		parts = append(parts, p.GPU)
	}
	if d.tp && p.TP > 0 {
		parts = append(parts, "tp"+strconv.Itoa(p.TP))
	}
	if d.routing && p.Routing != "" { // none on a video-only fleet
		parts = append(parts, p.Routing)
	}
	if d.rate {
		parts = append(parts, "×"+trim(p.RateScale)+" load")
	}
	if d.scale && p.Scale > 0 {
		parts = append(parts, "scale "+trim(p.Scale))
	}
	if len(parts) == 0 {
		return ""
	}
	return " · " + strings.Join(parts, " · ")
}

func answerLine(a *sweepfile.Point) string {
	var parts []string
	if a.GPUs > 0 { // unknown for a live endpoint
		parts = append(parts, plural(a.GPUs, "GPU", "GPUs")+" "+gpuTP(a))
	}
	if v, ok := a.Metrics[mCost]; ok {
		parts = append(parts, usd(v)+" per task")
	}
	if v, ok := a.Metrics[mAttain]; ok {
		parts = append(parts, "SLO attainment "+pctNum(v))
	}
	if v, ok := a.Shown(mTTFT99); ok {
		parts = append(parts, "TTFT p99 "+msNum(v)+unitMs(v))
	}
	if a.RateScale != 0 && a.RateScale != 1 {
		parts = append(parts, "load ×"+trim(a.RateScale))
	}
	return strings.Join(parts, " · ")
}

// gpuTP is a point's GPU and tensor parallelism ("h100 tp4"); a video-only
// fleet has none (TP 0).
func gpuTP(p *sweepfile.Point) string {
	if p.TP <= 0 {
		return p.GPU
	}
	return p.GPU + " tp" + strconv.Itoa(p.TP)
}

// sameCoords says whether p is the answer point (the answer is a copy).
func sameCoords(p, a *sweepfile.Point) bool {
	return a != nil && p.Index == a.Index && p.Fleet == a.Fleet && p.GPU == a.GPU && p.TP == a.TP &&
		p.Routing == a.Routing && p.RateScale == a.RateScale && p.Scale == a.Scale
}

// xChoice picks the sweep's x axis: the scale multiplier for a scale
// curve, the traffic multiplier when only load varies, the fleet (as
// categories in grid order) when the GPU count is fixed, else GPU count.
type xChoice struct {
	name, unit string
	log        bool
	cats       []string
	of         func(p *sweepfile.Point) float64
}

func chooseX(s *sweepfile.Sweep, pts []*sweepfile.Point) xChoice {
	d := varying(s.Points)
	switch {
	case d.scale && has(pts, mGPUsPer1k):
		return xChoice{name: "traffic (× the scenario's rates; fleet searched at each level, log scale)", unit: "x", log: true, of: func(p *sweepfile.Point) float64 { return p.Scale }}
	case d.scale:
		return xChoice{name: "scale (traffic and fleet ×)", unit: "x", log: true, of: func(p *sweepfile.Point) float64 { return p.Scale }}
	case d.rate && !d.fleet:
		return xChoice{name: "traffic multiplier", unit: "x", of: func(p *sweepfile.Point) float64 { return p.RateScale }}
	}
	gpus := map[int]bool{}
	for _, p := range pts {
		gpus[p.GPUs] = true
	}
	if len(gpus) <= 1 && d.fleet {
		idx := map[string]int{}
		var cats []string
		for _, p := range pts {
			if _, ok := idx[p.Fleet]; !ok {
				idx[p.Fleet] = len(cats)
				cats = append(cats, p.Fleet)
			}
		}
		return xChoice{name: "fleet", cats: cats, of: func(p *sweepfile.Point) float64 { return float64(idx[p.Fleet]) }}
	}
	return xChoice{name: "fleet size (GPUs)", of: func(p *sweepfile.Point) float64 { return float64(p.GPUs) }}
}

// seriesGroups splits points into series by the coordinates that vary,
// other than those on the x axis (fleet, and load or scale when plotted).
func seriesGroups(s *sweepfile.Sweep, pts []*sweepfile.Point, x xChoice) ([]string, map[string][]*sweepfile.Point) {
	d := varying(s.Points)
	d.fleet = false
	if x.unit == "x" {
		d.rate, d.scale = false, false
	}
	groups := map[string][]*sweepfile.Point{}
	var order []string
	for _, p := range pts {
		g := strings.TrimPrefix(groupName(p, d), " · ")
		if _, ok := groups[g]; !ok {
			order = append(order, g)
		}
		groups[g] = append(groups[g], p)
	}
	for _, g := range order {
		ps := groups[g]
		sort.SliceStable(ps, func(i, j int) bool { return x.of(ps[i]) < x.of(ps[j]) })
	}
	return order, groups
}

func has(pts []*sweepfile.Point, key string) bool {
	for _, p := range pts {
		if _, ok := p.Shown(key); ok {
			return true
		}
	}
	return false
}

func xAxis(x xChoice) axis { return axis{Name: x.name, Unit: x.unit, Log: x.log} }

// sweepCharts adds cost and attainment against the x axis, the scale
// curve's hit rate and utilization, and the cost-latency Pareto frontier.
func sweepCharts(b *builder, s *sweepfile.Sweep, pts []*sweepfile.Point) []chartRef {
	if len(pts) == 0 {
		return nil
	}
	var refs []chartRef
	if s.Target != "" {
		refs = liveChart(b, s)
	}
	x := chooseX(s, pts)
	order, groups := seriesGroups(s, pts, x)
	costKey := mCost
	if !has(pts, mCost) {
		costKey = mCostHour
	}
	// A scale curve (fleetbench scale) holds one answer per traffic level:
	// every point meets the SLOs, the fleet is not multiplied with the
	// traffic and points of different levels are no Pareto candidates.
	curve := has(pts, mGPUsPer1k)
	if curve {
		return append(refs, curveCharts(b, pts, x, costKey)...)
	}
	if has(pts, costKey) || has(pts, mAttain) {
		c := &chartSpec{X: xAxis(x), Categories: x.cats, Y: axis{Name: costLabel(costKey), Unit: "usd"},
			Y2: &axis{Name: "SLO attainment", Unit: "pct", Min: ptr(0), Max: ptr(100)}, Legend: true}
		for gi, g := range order {
			name := func(what string) string {
				if g == "" {
					return what
				}
				return g + " · " + what
			}
			// One group: a colour per metric; several: a colour per group
			// and a dash per metric.
			cc, ca := color(gi), color(gi)
			if len(order) == 1 {
				cc, ca = color(0), color(3)
			}
			if has(pts, costKey) {
				c.Series = append(c.Series, metricSeries(name(costLabel(costKey)), cc, "", 0, groups[g], x, costKey, 1))
			}
			if has(pts, mAttain) {
				c.Series = append(c.Series, metricSeries(name("SLO attainment"), ca, "dashed", 1, groups[g], x, mAttain, 100))
			}
		}
		c.Series = append(c.Series, verdictDots(pts, s.Answer, x, costKey)...)
		note := "solid: cost (left axis); dashed: SLO attainment (right); green dots meet every SLO, red miss"
		if s.Answer != nil {
			note += "; ringed: the search's answer"
		}
		refs = append(refs, b.add(c, "Cost and SLO attainment vs "+x.name, note, true))
	}
	if x.unit == "x" && x.log && (has(pts, mHit) || has(pts, mUtil)) {
		c := &chartSpec{X: xAxis(x), Y: axis{Name: "cache hit rate, utilization", Unit: "pct", Min: ptr(0), Max: ptr(100)}, Y2: &axis{Name: costLabel(costKey), Unit: "usd"}, Legend: true}
		for gi, g := range order {
			ch, cu, cc := color(gi), color(gi), color(gi)
			if len(order) == 1 {
				ch, cu, cc = color(2), color(3), color(0)
			}
			if has(pts, mHit) {
				c.Series = append(c.Series, metricSeries("cache hit rate"+suffix(g), ch, "", 0, groups[g], x, mHit, 100))
			}
			if has(pts, mUtil) {
				c.Series = append(c.Series, metricSeries("utilization"+suffix(g), cu, "dotted", 0, groups[g], x, mUtil, 100))
			}
			if has(pts, costKey) {
				c.Series = append(c.Series, metricSeries(costLabel(costKey)+suffix(g), cc, "dashed", 1, groups[g], x, costKey, 1))
			}
		}
		refs = append(refs, b.add(c, "Economies of scale", "traffic and fleet multiplied together: does the cache hit rate rise and the cost per task fall?", true))
	}
	latKey := mTTFT99
	if !has(pts, latKey) {
		latKey = mE2E99
	}
	if has(pts, costKey) && has(pts, latKey) {
		refs = append(refs, b.add(paretoChart(s, pts, costKey, latKey), "Pareto frontier: "+costLabel(costKey)+" vs "+latLabel(latKey),
			"every point of the sweep; the line joins the points no other point beats on both cost and latency", true))
	}
	return refs
}

func suffix(g string) string {
	if g == "" {
		return ""
	}
	return " · " + g
}

func costLabel(key string) string {
	if key == mCostHour {
		return "$ per hour"
	}
	return "$ per task"
}

func latLabel(key string) string {
	if key == mE2E99 {
		return "E2E p99"
	}
	return "TTFT p99"
}

func metricSeries(name, col, dash string, ax int, ps []*sweepfile.Point, x xChoice, key string, scale float64) series {
	s := series{Name: name, Color: col, Kind: "line", Dash: dash, Axis: ax}
	for _, p := range ps {
		v, ok := p.Shown(key)
		if !ok || math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		s.Data = append(s.Data, []float64{x.of(p), roundTo(v*scale, 9)})
		s.Labels = append(s.Labels, p.Fleet)
	}
	return s
}

// verdictDots overlays the cost curve with SLO-coloured dots and rings the
// answer.
func verdictDots(pts []*sweepfile.Point, ans *sweepfile.Point, x xChoice, costKey string) []series {
	meet := series{Name: "meets SLOs", Color: colorMeet, Kind: "scatter", Size: 9}
	miss := series{Name: "misses SLOs", Color: colorMiss, Kind: "scatter", Size: 9}
	answer := series{Name: "answer", Color: colorAnswer, Kind: "scatter", Size: 22, Symbol: "emptyCircle", Note: "answer"}
	for _, p := range pts {
		v, ok := p.Metrics[costKey]
		if !ok {
			continue
		}
		pt := []float64{x.of(p), roundTo(v, 9)}
		dst := &miss
		if p.MeetsSLO {
			dst = &meet
		}
		dst.Data, dst.Labels = append(dst.Data, pt), append(dst.Labels, p.Fleet)
		if sameCoords(p, ans) {
			answer.Data, answer.Labels = append(answer.Data, pt), append(answer.Labels, p.Fleet)
		}
	}
	out := []series{meet, miss}
	if len(answer.Data) > 0 {
		out = append(out, answer)
	}
	return out
}

// pointTable lists the points in grid order, the answer highlighted.
func pointTable(s *sweepfile.Sweep) (table, int) {
	t := table{Corner: "fleet"}
	// Each latency metric's p99 that sweeps keep (results.Metrics), when
	// some point has it (a video-only sweep has no token metric); a
	// ZeroUnknown one (queue) only when some point measured a wait.
	has := func(key string) bool {
		return slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { _, ok := p.Shown(key); return ok })
	}
	var lat []*results.Metric
	for i := range results.Metrics {
		m := &results.Metrics[i]
		key := m.SweepKey("p99")
		if slices.Contains(m.SweepStats, "p99") && has(key) &&
			(!m.ZeroUnknown || slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { v, _ := p.Shown(key); return v > 0 })) {
			lat = append(lat, m)
		}
	}
	heads := []string{"GPU", "GPUs", "load ×", "SLOs", "attainment"}
	for _, m := range lat {
		heads = append(heads, m.Label+" p99 "+m.Unit)
	}
	hit := has(mHit) // none without prompt tokens (video)
	if hit {
		heads = append(heads, "hit rate")
	}
	for _, h := range append(heads, "util.", "$ / task", "$ / hour") {
		t.Head = append(t.Head, headCell{Text: h})
	}
	priced := slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { _, ok := p.Metrics[mRevenue]; return ok })
	if priced {
		for _, h := range []string{"revenue $", "markup on cost", "margin on revenue"} {
			t.Head = append(t.Head, headCell{Text: h})
		}
	}
	metricCell := func(p *sweepfile.Point, key string, f func(float64) string) cell {
		if v, ok := p.Shown(key); ok {
			return cell{Text: f(v)}
		}
		return cell{Text: "–", Class: "muted"}
	}
	n := min(len(s.Points), maxTableRows)
	for i := range n {
		p := &s.Points[i]
		label := p.Fleet
		switch _, curve := p.Metrics[mGPUsPer1k]; {
		case p.Scale > 0 && curve:
			label += " (×" + trim(p.Scale) + " traffic)"
		case p.Scale > 0:
			label += " (scale " + trim(p.Scale) + ")"
		}
		rw := row{Label: label}
		if p.Error != "" {
			rw.Cells = []cell{orMuted(p.GPU), gpusCell(p), {Text: trim(p.RateScale)}, {Text: "error: " + p.Error, Class: "bad"}}
			t.Rows = append(t.Rows, rw)
			continue
		}
		slo := cell{Text: "met", Class: "ok"}
		switch {
		case p.FellBehind:
			slo = cell{Text: "fell behind", Class: "bad"} // its window cost is a lower bound
		case !p.MeetsSLO && p.Stopped != "":
			// A live step stopped once its miss was certain: its figures
			// are those of the requests that finished before the stop.
			slo = cell{Text: "missed · stopped early: figures cover what finished before the stop", Class: "bad"}
		case !p.MeetsSLO:
			slo = cell{Text: "missed", Class: "bad"}
		}
		if sameCoords(p, s.Answer) {
			rw.Label = "★ " + rw.Label
			slo.Text += " · answer"
		}
		rw.Cells = []cell{orMuted(gpuTP(p)), gpusCell(p), {Text: trim(p.RateScale)}, slo,
			metricCell(p, mAttain, pctNum)}
		for _, m := range lat {
			rw.Cells = append(rw.Cells, metricCell(p, m.SweepKey("p99"), msPlain))
		}
		if hit {
			rw.Cells = append(rw.Cells, metricCell(p, mHit, pctNum))
		}
		rw.Cells = append(rw.Cells, metricCell(p, mUtil, pctNum), metricCell(p, mCost, usd), metricCell(p, mCostHour, usd))
		if priced {
			pct := func(v float64) string { return pctNum(v / 100) }
			rw.Cells = append(rw.Cells, metricCell(p, mRevenue, usd), metricCell(p, "markup_pct", pct), metricCell(p, "margin_pct", pct))
		}
		t.Rows = append(t.Rows, rw)
	}
	return t, len(s.Points) - n
}

// gpusCell is a point's GPU count, "–" when unknown (a live endpoint, a
// fleet that could not be built), never 0.
func gpusCell(p *sweepfile.Point) cell {
	if p.GPUs <= 0 {
		return cell{Text: "–", Class: "muted"}
	}
	return cell{Text: strconv.Itoa(p.GPUs)}
}

// orMuted is a text cell, "–" when empty.
func orMuted(s string) cell {
	if s == "" {
		return cell{Text: "–", Class: "muted"}
	}
	return cell{Text: s}
}

package htmlreport

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// Metric keys scale.AsSweep adds to a scale curve's points: GPUs per 1k
// req/s and the change from the previous level, split into its factors.
const (
	mChangeFrom  = "change_from"
	mChangeTotal = "change_total_pct"
)

// changeParts are the decomposition's factors, in the order scale
// prints them (percentage points of the change of GPUs per 1k req/s).
var changeParts = []struct{ key, name, color string }{
	{"change_cache_reuse_pct", "cache reuse", "#059669"},
	{"change_batching_pct", "batching", "#2563eb"},
	{"change_utilization_pct", "utilization", "#d97706"},
	{"change_pd_balance_pct", "P:D balance", "#7c3aed"},
}

// curveCharts draws a scale curve (fleetbench scale): GPUs per 1k req/s
// per traffic level with each level's fleet, where the change between
// levels comes from, and hit rate, utilization and cost per task.
func curveCharts(b *builder, pts []*sweepfile.Point, x xChoice, costKey string) []chartRef {
	ps := append([]*sweepfile.Point(nil), pts...)
	sort.SliceStable(ps, func(i, j int) bool { return x.of(ps[i]) < x.of(ps[j]) })
	var refs []chartRef

	top := 0.0
	for _, p := range ps {
		top = math.Max(top, p.Metrics[mGPUsPer1k])
	}
	// Headroom above the highest point for its label.
	// One category per level, named by its answer, so that every label
	// shows whole (levels are usually geometric: even spacing is a log axis).
	// With video pools (held at the scenario's size) the figure covers the
	// LLM pools and requests (scale.Level.GPUsPer1kRPS).
	perRPS, completed := "GPUs per 1k req/s", "GPUs per 1k completed req/s"
	if slices.ContainsFunc(ps, func(p *sweepfile.Point) bool { return p.Metrics["video_gpus"] > 0 }) {
		perRPS, completed = "LLM GPUs per 1k LLM req/s", "LLM GPUs per 1k completed LLM req/s"
	}
	g := &chartSpec{X: axis{Name: "traffic (× the scenario's rates) and the smallest fleet meeting every SLO there"},
		Y: axis{Name: perRPS, Min: ptr(0), Max: ptr(niceCeil(top * 1.1))}, Legend: true}
	line := series{Name: completed, Color: color(0), Kind: "line"}
	for i, p := range ps {
		g.Categories = append(g.Categories, "×"+trim(x.of(p))+": "+p.Fleet+" · "+strconv.Itoa(p.GPUs)+" GPUs")
		line.Data = append(line.Data, []float64{float64(i), roundTo(p.Metrics[mGPUsPer1k], 9)})
		line.Labels = append(line.Labels, p.Fleet)
	}
	g.Series = append(g.Series, line)
	if first := ps[0]; first.Metrics[mGPUsPer1k] > 0 {
		g.Marks = append(g.Marks, mark{Axis: "y", Value: roundTo(first.Metrics[mGPUsPer1k], 9),
			Label: "×" + trim(x.of(first)) + " level: no economy of scale", Color: "#94a3b8"})
	}
	refs = append(refs, b.add(g, "GPUs per unit of traffic",
		"each point is the smallest fleet meeting every SLO at that traffic level; below the grey line (the first level's figure) is an economy of scale, above it a diseconomy", true))

	var steps []*sweepfile.Point
	for _, p := range ps {
		if _, ok := p.Metrics[mChangeTotal]; ok {
			steps = append(steps, p)
		}
	}
	if len(steps) > 0 {
		d := &chartSpec{Y: axis{Name: "change of GPUs per 1k req/s (percentage points)"}, Legend: true}
		for _, p := range steps {
			d.Categories = append(d.Categories, fmt.Sprintf("×%s → ×%s (%+.1f%%)", trim(p.Metrics[mChangeFrom]), trim(x.of(p)), p.Metrics[mChangeTotal]))
		}
		d.X = axis{Name: "traffic step (total change of GPUs per 1k req/s)"}
		for _, part := range changeParts {
			s := series{Name: part.name, Color: part.color, Kind: "bar"}
			for i, p := range steps {
				s.Data = append(s.Data, []float64{float64(i), roundTo(p.Metrics[part.key], 3)})
			}
			d.Series = append(d.Series, s)
		}
		refs = append(refs, b.add(d, "Where the change comes from",
			"each step's change of GPUs per 1k req/s split into its measured factors, which add up to the total in the label (negative saves GPUs): GPUs/(req/s) = tokens computed per request (cache reuse) × busy GPU-s per computed token (batching) / (the binding pool's utilization × the P:D balance of pool utilizations)", true))
	}

	if has(ps, mHit) || has(ps, mUtil) {
		c := &chartSpec{X: xAxis(x), Y: axis{Name: "cache hit rate, utilization", Unit: "pct", Min: ptr(0), Max: ptr(100)}, Legend: true}
		if has(ps, mHit) {
			c.Series = append(c.Series, metricSeries("cache hit rate", color(2), "", 0, ps, x, mHit, 100))
		}
		if has(ps, mUtil) {
			c.Series = append(c.Series, metricSeries("utilization", color(3), "dotted", 0, ps, x, mUtil, 100))
		}
		if has(ps, costKey) {
			c.Y2 = &axis{Name: costLabel(costKey), Unit: "usd", Min: ptr(0)}
			c.Series = append(c.Series, metricSeries(costLabel(costKey), color(0), "dashed", 1, ps, x, costKey, 1))
		}
		refs = append(refs, b.add(c, "Cache hit rate, utilization and cost per task",
			"at each level's answer; utilization is the busy share of the fleet's GPU time; $ per task follows GPUs per req/s (the fleet's cost over the tasks it completed)", true))
	}
	return refs
}

// curveKPIs are a scale curve's headline figures: GPUs per 1k req/s and
// $ per task at the first and last level with an answer.
func curveKPIs(pts []*sweepfile.Point) []kpi {
	ps := append([]*sweepfile.Point(nil), pts...)
	sort.SliceStable(ps, func(i, j int) bool { return ps[i].Scale < ps[j].Scale })
	a, z := ps[0], ps[len(ps)-1]
	level := func(p *sweepfile.Point) string {
		return "×" + trim(p.Scale) + ": " + p.Fleet + ", " + strconv.Itoa(p.GPUs) + " GPUs"
	}
	out := []kpi{{"traffic levels", strconv.Itoa(len(ps)), "×" + trim(a.Scale) + " to ×" + trim(z.Scale)}}
	for _, p := range []*sweepfile.Point{a, z} {
		name := "GPUs per 1k req/s"
		if p.Metrics["video_gpus"] > 0 {
			name = "LLM GPUs per 1k LLM req/s"
		}
		out = append(out, kpi{name + " at ×" + trim(p.Scale), fmt.Sprintf("%.4g", p.Metrics[mGPUsPer1k]), level(p)})
	}
	if ca, okA := a.Metrics[mCost]; okA {
		if cz, okZ := z.Metrics[mCost]; okZ && ca > 0 {
			out = append(out, kpi{"$ per task", usd(ca) + " → " + usd(cz), fmt.Sprintf("%+.1f%% from ×%s to ×%s", (cz/ca-1)*100, trim(a.Scale), trim(z.Scale))})
		}
	}
	return out
}

// niceCeil rounds v > 0 up to one or two significant digits (1, 1.5, 2,
// 2.5, 3, 4, 5, 6, 8 x 10^k), an axis maximum with round ticks.
func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

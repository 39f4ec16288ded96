package htmlreport

import (
	"fmt"
	"math"

	"github.com/fleetbench/fleetbench/results"
)

// chartSpec is one chart as the page script reads it: generic axes and
// series, so report.js stays a thin mapping onto ECharts options.
type chartSpec struct {
	ID         string   `json:"id"`
	X          axis     `json:"x"`
	Y          axis     `json:"y"`
	Y2         *axis    `json:"y2,omitempty"`
	Categories []string `json:"categories,omitempty"` // category x axis when set
	Series     []series `json:"series"`
	Marks      []mark   `json:"marks,omitempty"`
	Legend     bool     `json:"legend,omitempty"`
}

// axis describes one axis. Unit picks the tick and tooltip format: "ms",
// "pct" (values are percentages), "usd", "s", "x" or "".
type axis struct {
	Name string   `json:"name"`
	Log  bool     `json:"log,omitempty"`
	Unit string   `json:"unit,omitempty"`
	Min  *float64 `json:"min,omitempty"`
	Max  *float64 `json:"max,omitempty"`
}

// series is one line, bar or scatter set. Data holds [x, y] pairs (x is a
// category index on a category axis); Labels, when set, name each point in
// the tooltip.
type series struct {
	Name   string      `json:"name"`
	Color  string      `json:"color"`
	Kind   string      `json:"kind"` // line | step | bar | scatter
	Dash   string      `json:"dash,omitempty"`
	Axis   int         `json:"axis,omitempty"` // 1: right y axis
	Size   float64     `json:"size,omitempty"` // symbol size; with Symbol "rect", the width of a 3 px tick
	Symbol string      `json:"symbol,omitempty"`
	Data   [][]float64 `json:"data"`
	Labels []string    `json:"labels,omitempty"`
	Note   string      `json:"note,omitempty"` // a label drawn at each point (the search answer)
}

// mark is a reference line (Axis "x" or "y") or, with To set, a shaded
// band along x.
type mark struct {
	Axis  string   `json:"axis"`
	Value float64  `json:"value"`
	To    *float64 `json:"to,omitempty"`
	Label string   `json:"label"`
	Color string   `json:"color"`
}

func ptr(v float64) *float64 { return &v }

// shown says whether a class of this kind gets a chart for m: video has no
// tokens (its TTFT is its queue wait), and a chat task is one request, so
// its task time repeats E2E. A ZeroUnknown metric (queue) that is all zeros
// says nothing.
func shown(m *results.Metric, kind string, cs []*results.ClassResult) bool {
	switch {
	case !m.Shown:
		return false
	case kind == "video" && (m.TokenOnly || m.TaskOnly):
		return false
	case kind != "agent" && m.TaskOnly:
		return false
	}
	for _, c := range cs {
		if p := m.Of(c); p != nil && p.Count > 0 && (!m.ZeroUnknown || p.Max > 0) {
			return true
		}
	}
	return false
}

var pctKeys = []struct{ key, label string }{{"p50", "p50"}, {"p90", "p90"}, {"p95", "p95"}, {"p99", "p99"}, {"p999", "p99.9"}}

// latencyCharts adds a CDF and a percentile bar chart per latency metric
// of class name, one series per run.
func latencyCharts(b *builder, name string, runs []Run) []chartRef {
	cs := make([]*results.ClassResult, len(runs))
	kind := ""
	for i, r := range runs {
		cs[i] = r.Result.Classes[name]
		if cs[i] != nil && kind == "" {
			kind = cs[i].Kind
		}
	}
	var refs []chartRef
	for i := range results.Metrics {
		m := &results.Metrics[i]
		if !shown(m, kind, cs) {
			continue
		}
		bounds := sloBounds(cs, m)
		cdf := &chartSpec{X: axis{Name: "latency (ms)", Unit: "ms"}, Y: axis{Name: "share of requests ≤ x", Unit: "pct", Min: ptr(0), Max: ptr(100)}, Legend: len(runs) > 1}
		minV, maxV := math.Inf(1), 0.0
		missing := 0
		for i, r := range runs {
			pts, err := cdfPoints(r.Result.Histograms[name][m.Key])
			if err != nil || len(pts) == 0 {
				missing++
				continue
			}
			for _, p := range pts {
				minV, maxV = math.Min(minV, p[0]), math.Max(maxV, p[0])
			}
			cdf.Series = append(cdf.Series, series{Name: r.Label, Color: color(i), Kind: "line", Data: pts})
		}
		// The axis reaches every SLO bound so the headroom shows; a log
		// axis spreads a long tail (or a far bound) but cannot show 0 ms.
		for _, bd := range bounds {
			cdf.Marks = append(cdf.Marks, mark{Axis: "x", Value: bd.ms, Label: bd.pct + " SLO " + msNum(bd.ms) + unitMs(bd.ms), Color: "#dc2626"})
			if bd.ms > maxV && len(cdf.Series) > 0 {
				maxV = bd.ms
				cdf.X.Max = ptr(roundTo(bd.ms*1.1, 3))
			}
		}
		cdf.X.Log = minV > 0 && maxV/minV > 20
		note := ""
		if missing > 0 {
			note = fmt.Sprintf("%s without a histogram of this metric", plural(missing, "file", "files"))
		}
		title := m.Title
		if len(cdf.Series) > 0 {
			refs = append(refs, b.add(cdf, title+": CDF", note, false))
		}
		bars := &chartSpec{X: axis{Name: "percentile"}, Y: axis{Name: "latency", Unit: "ms"}, Legend: len(runs) > 1}
		for _, pk := range pctKeys {
			bars.Categories = append(bars.Categories, pk.label)
		}
		for i, r := range runs {
			p := m.Of(cs[i])
			if p == nil || p.Count == 0 {
				continue
			}
			s := series{Name: r.Label, Color: color(i), Kind: "bar"}
			for j, pk := range pctKeys {
				v, _ := p.Get(pk.key)
				s.Data = append(s.Data, []float64{float64(j), v})
			}
			bars.Series = append(bars.Series, s)
		}
		if len(bounds) > 0 && len(bars.Series) > 0 {
			// Each bound sits on its own percentile's bar as a red bar-wide
			// tick, so "p99 ≤ 2 s" is not read as a bound on p50.
			slo := series{Name: "SLO bound", Color: "#dc2626", Kind: "scatter", Symbol: "rect", Size: 36}
			for _, bd := range bounds {
				for j, pk := range pctKeys {
					if pk.key == bd.pct {
						slo.Data = append(slo.Data, []float64{float64(j), bd.ms})
						slo.Labels = append(slo.Labels, bd.pct+" SLO")
					}
				}
			}
			bars.Series = append(bars.Series, slo)
			bars.Legend = true
		}
		refs = append(refs, b.add(bars, title+": percentiles", "", false))
	}
	return refs
}

type bound struct {
	pct string
	ms  float64
}

// sloBounds are the SLO targets on metric m, from the first run whose
// class has them (runs of one scenario share SLOs).
func sloBounds(cs []*results.ClassResult, m *results.Metric) []bound {
	if m.SLO == nil {
		return nil
	}
	for _, c := range cs {
		if c == nil || c.SLO == nil {
			continue
		}
		var out []bound
		for _, t := range c.SLO.Targets {
			if t.Metric == m.SLO.Key {
				out = append(out, bound{t.Percentile, t.Bound * m.SLO.MsPerUnit})
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

// cdfQuantiles are the percentiles a CDF is drawn through: even steps in
// the body, finer ones in the tail where SLOs live.
var cdfQuantiles = func() []float64 {
	var q []float64
	for p := 0.0; p < 90; p += 2.5 {
		q = append(q, p)
	}
	for p := 90.0; p < 99; p += 0.5 {
		q = append(q, p)
	}
	for p := 99.0; p < 99.95; p += 0.1 {
		q = append(q, roundTo(p, 1))
	}
	return append(q, 99.95, 99.99, 100)
}()

// cdfPoints turns an encoded histogram into [ms, percent] points. Bad or
// missing data gives no points and an error, never a panic.
func cdfPoints(enc string) ([][]float64, error) {
	if enc == "" {
		return nil, nil
	}
	h, err := decodeHist(enc)
	if err != nil {
		return nil, err
	}
	if h.TotalCount() == 0 {
		return nil, nil
	}
	vals := h.ValueAtPercentilesSlice(cdfQuantiles)
	out := make([][]float64, 0, len(vals))
	for i, us := range vals {
		p := []float64{float64(us) / 1000, cdfQuantiles[i]}
		if n := len(out); n > 0 && out[n-1][0] == p[0] {
			out[n-1][1] = p[1] // one point per value: the highest share
			continue
		}
		out = append(out, p)
	}
	return out, nil
}

// timelineCharts draws throughput, queue and KV usage over run time, one
// series (or a few) per run, with the warm-up shaded.
func timelineCharts(b *builder, runs []Run) []chartRef {
	var tls []*results.Timeline
	for _, r := range runs {
		tls = append(tls, r.Result.Timeline)
	}
	has := false
	for _, t := range tls {
		has = has || t != nil
	}
	if !has {
		return nil
	}
	multi := len(runs) > 1
	name := func(i int, what string) string {
		if multi {
			return runs[i].Label + " · " + what
		}
		return what
	}
	x := axis{Name: "run time (s)", Unit: "s", Min: ptr(0)}
	end := 0.0
	for _, t := range tls {
		if t != nil {
			end = max(end, float64(len(t.Completions))*t.IntervalS)
		}
	}
	if end > 0 {
		x.Max = ptr(end)
	}
	warm := warmupMarks(runs)

	thr := &chartSpec{X: x, Y: axis{Name: "output tok/s"}, Y2: &axis{Name: "requests/s"}, Marks: warm, Legend: true}
	for i, t := range tls {
		if t == nil || t.IntervalS <= 0 {
			continue
		}
		reqCol := color(i)
		if !multi {
			reqCol = color(1)
		}
		if t.OutputTokens != nil { // none in a video-only run
			thr.Series = append(thr.Series, series{Name: name(i, "output tok/s"), Color: color(i), Kind: "line", Data: perSecond(t, t.OutputTokens)})
		}
		thr.Series = append(thr.Series,
			series{Name: name(i, "completed req/s"), Color: reqCol, Kind: "line", Dash: "dashed", Axis: 1, Data: perSecond(t, t.Completions)})
		if sum(t.Errors) > 0 {
			thr.Series = append(thr.Series, series{Name: name(i, "errors/s"), Color: "#dc2626", Kind: "line", Dash: "dotted", Axis: 1, Data: perSecond(t, t.Errors)})
		}
	}
	var refs []chartRef
	if len(thr.Series) > 0 {
		refs = append(refs, b.add(thr, "Throughput", "per bucket of the result's timeline; shaded: warm-up, excluded from the metrics", true))
	}
	queue := &chartSpec{X: x, Y: axis{Name: "requests"}, Marks: warm, Legend: true}
	kv := &chartSpec{X: x, Y: axis{Name: "KV cache in use", Unit: "pct", Min: ptr(0)}, Marks: warm, Legend: true}
	other := &chartSpec{X: x, Y: axis{Name: "value"}, Marks: warm, Legend: true}
	dashes := []string{"", "dashed", "dotted"}
	for i, t := range tls {
		if t == nil {
			continue
		}
		q := 0
		for _, g := range sortedKeys(t.Gauges) {
			gs := t.Gauges[g]
			if gs == nil {
				continue
			}
			switch g {
			case "waiting", "running", "video_queue":
				// One run: a colour per gauge; several: a colour per run
				// and a dash per gauge.
				col, dash := color(q), ""
				if multi {
					col, dash = color(i), dashes[q%len(dashes)]
				}
				queue.Series = append(queue.Series, series{Name: name(i, gaugeLabel(g)), Color: col, Kind: "line", Dash: dash, Data: gaugePoints(t, gs.N, gs.Mean, 1)})
				q++
			case "kv_usage":
				kv.Series = append(kv.Series,
					series{Name: name(i, "mean"), Color: color(i), Kind: "line", Data: gaugePoints(t, gs.N, gs.Mean, 100)},
					series{Name: name(i, "max"), Color: color(i), Kind: "line", Dash: "dotted", Data: gaugeMax(t, gs.N, gs.Max, 100)})
			default:
				other.Series = append(other.Series, series{Name: name(i, g), Color: color(i), Kind: "line", Dash: dashes[len(other.Series)%len(dashes)], Data: gaugePoints(t, gs.N, gs.Mean, 1)})
			}
		}
	}
	if len(queue.Series) > 0 {
		refs = append(refs, b.add(queue, "Queue and batch", "mean per bucket over the fleet: requests waiting for admission, running in a batch, video jobs queued", true))
	}
	if len(kv.Series) > 0 {
		refs = append(refs, b.add(kv, "KV cache usage", "share of KV capacity in use: mean and max per bucket", true))
	}
	if len(other.Series) > 0 {
		refs = append(refs, b.add(other, "Other gauges", "mean per bucket", true))
	}
	return refs
}

func gaugeLabel(g string) string {
	switch g {
	case "waiting":
		return "waiting"
	case "running":
		return "running"
	case "video_queue":
		return "video queue"
	}
	return g
}

// warmupMarks shades each run's warm-up (time before its window starts);
// runs with the same warm-up share one band.
func warmupMarks(runs []Run) []mark {
	seen := map[float64]bool{}
	var out []mark
	for _, r := range runs {
		w := r.Result.Window
		if w.StartS <= 0 || seen[w.StartS] || r.Result.Timeline == nil {
			continue
		}
		seen[w.StartS] = true
		out = append(out, mark{Axis: "x", Value: 0, To: ptr(w.StartS), Label: "warm-up", Color: "#94a3b8"})
	}
	return out
}

// maxPoints bounds the points of a timeline series: 1 s buckets over a
// 10-minute run are noise at chart width, so neighbouring buckets are
// combined (counts summed into a rate, gauges averaged by sample count).
const maxPoints = 150

// binWidth is how many buckets make one plotted point.
func binWidth(n int) int { return max(1, (n+maxPoints-1)/maxPoints) }

func perSecond(t *results.Timeline, counts []int64) [][]float64 {
	k := binWidth(len(counts))
	var out [][]float64
	for i := 0; i < len(counts); i += k {
		j := min(i+k, len(counts))
		var c int64
		for _, v := range counts[i:j] {
			c += v
		}
		out = append(out, []float64{roundTo(float64(i)*t.IntervalS, 6), roundTo(float64(c)/(float64(j-i)*t.IntervalS), 6)})
	}
	return out
}

// gaugePoints averages the bucket means of each bin, weighted by samples;
// bins without a sample are skipped rather than drawn as 0.
func gaugePoints(t *results.Timeline, n []int64, vals []float64, scale float64) [][]float64 {
	return binGauge(t, n, vals, scale, false)
}

// gaugeMax is the largest bucket max of each bin.
func gaugeMax(t *results.Timeline, n []int64, vals []float64, scale float64) [][]float64 {
	return binGauge(t, n, vals, scale, true)
}

func binGauge(t *results.Timeline, n []int64, vals []float64, scale float64, takeMax bool) [][]float64 {
	m := min(len(n), len(vals))
	k := binWidth(m)
	var out [][]float64
	for i := 0; i < m; i += k {
		var cnt int64
		var acc float64
		for b := i; b < min(i+k, m); b++ {
			if n[b] <= 0 {
				continue
			}
			if takeMax {
				if cnt == 0 || vals[b] > acc {
					acc = vals[b]
				}
			} else {
				acc += vals[b] * float64(n[b])
			}
			cnt += n[b]
		}
		if cnt == 0 {
			continue
		}
		if !takeMax {
			acc /= float64(cnt)
		}
		out = append(out, []float64{roundTo(float64(i)*t.IntervalS, 6), roundTo(acc*scale, 6)})
	}
	return out
}

func sum(xs []int64) int64 {
	var s int64
	for _, x := range xs {
		s += x
	}
	return s
}

package htmlreport

import (
	"fmt"
	"html/template"
	"slices"
	"sort"
	"strings"

	"github.com/fleetbench/fleetbench/results"
)

// palette gives each run (or sweep series) one colour across every chart;
// colour-blind-safe tones, most distinct first.
var palette = []string{"#2563eb", "#ea580c", "#059669", "#9333ea", "#dc2626", "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d", "#7c3aed", "#0f766e"}

func color(i int) string { return palette[i%len(palette)] }

// page is the template's model.
type page struct {
	Title    string
	Subtitle string
	Runs     []runView
	Compare  *table // key totals side by side (several runs only)
	Classes  []classView
	Timeline []chartRef
	Sweeps   []sweepView
	Data     pageData // chart data, JSON in the page
	Lib, JS  template.JS
	CSS      template.CSS
}

// pageData is the JSON the page's script turns into charts.
type pageData struct {
	Charts []*chartSpec `json:"charts"`
}

// runView is one run's header card.
type runView struct {
	Label, Color string
	Meta         string // scenario · backend · seed
	Fleet        string
	Verdict      verdict
	KPIs         []kpi
	Warnings     []string
	Events       []string // autoscaler and failure events (results.EventLines)
}

// verdict is the answer a planner reads first.
type verdict struct {
	Status  string // ok | bad | none
	Text    string
	Details []string
}

// kpi is one key number.
type kpi struct{ Label, Value, Note string }

// table is a small HTML table: a header row and labelled rows.
type table struct {
	Corner string // heading of the label column
	Head   []headCell
	Rows   []row
}

type headCell struct{ Text, Color string }

type row struct {
	Label string
	Cells []cell
}

// cell is one value; Class styles it (ok, bad, muted), Delta is the change
// against the first run.
type cell struct{ Text, Class, Delta, DeltaClass string }

// classView is one workload class: its table and charts.
type classView struct {
	Name, Kind string
	Verdicts   []verdict // per run
	Table      table
	Charts     []chartRef
}

// chartRef places a chart in the page; its data is in pageData.
type chartRef struct {
	ID, Title, Note string
	Wide            bool
}

// builder numbers charts in page order, so ids are deterministic.
type builder struct {
	data pageData
}

func (b *builder) add(spec *chartSpec, title, note string, wide bool) chartRef {
	spec.ID = fmt.Sprintf("chart-%d", len(b.data.Charts)+1)
	b.data.Charts = append(b.data.Charts, spec)
	return chartRef{ID: spec.ID, Title: title, Note: note, Wide: wide}
}

func buildPage(in Input) *page {
	p := &page{Title: in.Title}
	if p.Title == "" {
		p.Title = "fleetbench report"
	}
	var parts []string
	if n := len(in.Runs); n > 0 {
		parts = append(parts, plural(n, "result", "results"))
	}
	if n := len(in.Sweeps); n > 0 {
		parts = append(parts, plural(n, "sweep", "sweeps"))
	}
	p.Subtitle = strings.Join(parts, " · ")
	b := &builder{}
	for i, r := range in.Runs {
		p.Runs = append(p.Runs, runHeader(i, r))
	}
	if len(in.Runs) > 1 {
		p.Compare = compareTable(in.Runs)
	}
	for _, name := range classNames(in.Runs) {
		p.Classes = append(p.Classes, classSection(b, name, in.Runs))
	}
	p.Timeline = timelineCharts(b, in.Runs)
	for i, s := range in.Sweeps {
		p.Sweeps = append(p.Sweeps, sweepSection(b, i, s))
	}
	p.Data = b.data
	return p
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// classNames is the union of class names over runs, sorted.
func classNames(runs []Run) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range runs {
		for n, c := range r.Result.Classes {
			if c != nil && !seen[n] {
				seen[n] = true
				out = append(out, n)
			}
		}
	}
	sort.Strings(out)
	return out
}

// runHeader builds a run's verdict card.
func runHeader(i int, run Run) runView {
	r := run.Result
	v := runView{Label: run.Label, Color: color(i), Warnings: r.Warnings, Events: results.EventLines(r)}
	v.Meta = fmt.Sprintf("scenario %s · %s · seed %d · window %s", orDash(r.Scenario.Name), orDash(r.Backend), r.Scenario.Seed, seconds(r.Window.DurationS))
	v.Fleet = fleetLine(r.Fleet)
	v.Verdict = runVerdict(r)
	t := r.Totals
	// Video work makes no tokens: its throughput is requests (clips).
	reqs := "–" // no measurement window: no rate
	if v, ok := results.Ratio(t.RequestsPerS); ok {
		reqs = rate(v, "req/s")
	}
	through := kpi{"throughput", reqs, num(t.VideoSeconds) + " s of video"}
	if tok, ok := results.Ratio(t.OutputTokensPerS); ok {
		through = kpi{"throughput", rate(tok, "tok/s"), reqs}
	}
	attain, goodput := kpi{"SLO attainment", pctText(results.Ratio(t.SLOAttainment)), fmt.Sprintf("%d of %d requests", t.SLOMet, t.Requests)},
		kpi{"goodput", "–", "requests/s meeting every SLO"}
	if g, ok := results.Ratio(t.GoodputRPS); ok {
		goodput.Value = rate(g, "req/s")
	}
	if t.SLOAttainment == nil && t.Requests > 0 {
		// Not 0 of N: no request could be judged (a bounded metric was
		// not measured, e.g. TTFT of a --no-stream run).
		attain.Note = "not judged: a metric the SLO bounds was not measured"
	}
	v.KPIs = append(v.KPIs,
		attain, goodput,
		through,
		worstTTFT(r),
		kpi{"cache hit rate", pctText(results.Ratio(t.CacheHitRate)), "of prompt tokens"},
	)
	if sm := r.ServerMetrics; sm != nil {
		s := sm.Summary
		if s.PrefixCacheHitRateSource != "" {
			v.KPIs = append(v.KPIs, kpi{"server prefix-cache hit rate", pctText(s.PrefixCacheHitRate, true), "scraped (" + s.PrefixCacheHitRateSource + ")"})
		}
		if s.KVUsage.N > 0 {
			v.KPIs = append(v.KPIs, kpi{"server KV-cache usage", pctText(s.KVUsage.Mean, true), "mean; max " + pctText(s.KVUsage.Max, true)})
		}
	}
	// Drops at --max-inflight are not failures (results.Check judges them
	// apart): the errors card counts failures of the requests sent.
	rt := results.RatesOf(t)
	errNote := "none failed"
	if rt.Failed > 0 {
		errNote = pctText(rt.ErrorRate, true) + " failed"
	}
	if n := t.ErrorsByClass["cancelled"]; n > 0 {
		// Cut off by the run's interruption, not failed by the server.
		errNote += fmt.Sprintf(", %d of them cancelled at the interruption", n)
	}
	if rt.Dropped > 0 {
		errNote += fmt.Sprintf("; %d arrivals dropped at --max-inflight", rt.Dropped)
	}
	if rt.Failed > 0 {
		errNote += firstError(t)
	}
	v.KPIs = append(v.KPIs, kpi{"errors", fmt.Sprint(rt.Failed), errNote})
	if c := r.Cost; c != nil {
		note := fmt.Sprintf("%s GPU-hours", num(c.GPUHours))
		if u, ok := results.FleetUtilization(r); ok {
			note += ", utilization " + pctText(u, true) // 0% is an idle fleet; unknown (endpoint) is left out
		}
		if c.LowerBound {
			note = "LOWER BOUND: the fleet fell behind the offered load; " + note
		}
		v.KPIs = append(v.KPIs, kpi{"fleet cost", usd(c.USD), note})
	}
	if t.Cost != nil && t.Cost.PerTaskUSD > 0 {
		note := "" // no output tokens (video): no $/Mtok
		if t.Cost.USDPerMTokOutput > 0 {
			note = usd(t.Cost.USDPerMTokOutput) + " per Mtok output"
		}
		v.KPIs = append(v.KPIs, kpi{"cost per task", usd(t.Cost.PerTaskUSD), note})
	}
	return v
}

// firstError quotes the first message of the commonest error class of c
// (results.ClassResult.ErrorExamples), cut to a card's width: why
// requests failed. "" without one.
func firstError(c *results.ClassResult) string {
	best, n := "", int64(0)
	for _, k := range sortedKeys(c.ErrorExamples) {
		if m := c.ErrorsByClass[k]; k != results.ErrorClassDropped && m > n {
			best, n = k, m
		}
	}
	if best == "" {
		return ""
	}
	msg := c.ErrorExamples[best]
	if len(msg) > 160 {
		msg = strings.ToValidUTF8(msg[:160], "") + "..."
	}
	return "; first " + best + ": " + msg
}

// runVerdict: SLOs met when every class with objectives met all of them;
// otherwise the missed targets, worst first in class order.
func runVerdict(r *results.Result) verdict {
	var missed []string
	judged, overCtx := 0, false
	for _, n := range sortedKeys(r.Classes) {
		c := r.Classes[n]
		if c == nil || c.SLO == nil {
			continue
		}
		judged++
		overCtx = overCtx || c.SLO.OverContext
		for _, t := range c.SLO.Targets {
			if !t.Met {
				missed = append(missed, n+": "+targetText(t))
			}
		}
	}
	switch {
	case judged == 0:
		return verdict{Status: "none", Text: "No SLOs defined"}
	case len(missed) == 0:
		return overContext(overCtx, finishedOnly(r.Interrupted(), verdict{Status: "ok", Text: fmt.Sprintf("SLOs met (%s)", plural(judged, "class", "classes"))}))
	}
	return overContext(overCtx, finishedOnly(r.Interrupted(), verdict{Status: "bad", Text: fmt.Sprintf("SLOs missed (%s)", plural(len(missed), "target", "targets")), Details: missed}))
}

// finishedOnly marks a verdict judged on the finished requests of an
// interrupted run.
func finishedOnly(on bool, v verdict) verdict {
	return qualified(on, v, results.FinishedOnlyMark, results.FinishedOnlyNote)
}

// overContext marks a verdict over requests that include some over the
// model's context, which a real server refuses.
func overContext(on bool, v verdict) verdict {
	return qualified(on, v, results.OverContextMark, results.OverContextNote)
}

// qualified marks a verdict (when on) that holds only with a caveat: a met
// is no clean pass (not green), the text ends in mark, and note says why.
func qualified(on bool, v verdict, mark, note string) verdict {
	if !on {
		return v
	}
	if v.Status == "ok" {
		v.Status = "none"
	}
	v.Text += mark
	v.Details = append(v.Details, mark+" "+note)
	return v
}

func classVerdict(c *results.ClassResult) verdict {
	if c == nil {
		return verdict{Status: "none", Text: "not in this run"}
	}
	if c.SLO == nil {
		return verdict{Status: "none", Text: "no SLO"}
	}
	if c.SLO.Met {
		return overContext(c.SLO.OverContext, finishedOnly(c.SLO.FinishedOnly, verdict{Status: "ok", Text: "SLO met"}))
	}
	var d []string
	for _, t := range c.SLO.Targets {
		if !t.Met {
			d = append(d, targetText(t))
		}
	}
	return overContext(c.SLO.OverContext, finishedOnly(c.SLO.FinishedOnly, verdict{Status: "bad", Text: "SLO missed", Details: d}))
}

// targetText is a missed target for people: "TTFT p99 335.6 ms > 300 ms".
func targetText(t results.SLOTarget) string {
	name, unit := t.Metric, ""
	if m, ok := results.MetricBySLOKey(t.Metric); ok {
		name, unit = m.SLO.Label, " "+m.SLO.Unit
	}
	if t.Actual == nil {
		return fmt.Sprintf("%s %s not measured (bound %s%s)", name, t.Percentile, trim(t.Bound), unit)
	}
	return fmt.Sprintf("%s %s %s%s > %s%s", name, t.Percentile, trim(roundTo(*t.Actual, 1)), unit, trim(t.Bound), unit)
}

// worstTTFT is the highest TTFT p99 over the token-generating classes: the
// totals would mix in video, whose "first token" is the whole queue wait.
func worstTTFT(r *results.Result) kpi {
	var worst *results.ClassResult
	name, n := "", 0
	for _, cn := range sortedKeys(r.Classes) {
		c := r.Classes[cn]
		if c == nil || c.Kind == "video" || c.TTFT == nil || c.TTFT.Count == 0 {
			continue
		}
		n++
		if worst == nil || c.TTFT.P99 > worst.TTFT.P99 {
			worst, name = c, cn
		}
	}
	if worst == nil {
		why := "no token-generating class"
		for _, c := range r.Classes {
			switch {
			case c == nil || !c.HasTokens():
			case c.Completed > 0:
				// Tokens came back, but no first token was timed (a
				// --no-stream run sees whole responses only).
				return kpi{"TTFT p99", "–", "not measured (no streamed first token)"}
			default:
				why = "not measured (no request completed)"
			}
		}
		return kpi{"TTFT p99", "–", why}
	}
	note := "p50 " + msField(worst.TTFT, "p50")
	if n > 1 {
		note = "worst class: " + name
	}
	return kpi{"TTFT p99", msText(worst.TTFT), note}
}

// poolLayout is how an instance's GPUs work together: a wide pool's layout
// ("tp1 dp32 ep32", not "tp32"), sequence parallelism for video, else
// tensor parallelism.
func poolLayout(p results.PoolInfo) string {
	switch {
	case p.Layout != "":
		return p.Layout
	case p.Role == "video":
		return fmt.Sprintf("sp%d", p.GPUsPerInstance)
	}
	return fmt.Sprintf("tp%d", p.GPUsPerInstance)
}

func fleetLine(f *results.FleetInfo) string {
	if f == nil {
		return "fleet not recorded"
	}
	var parts []string
	if f.Spec != "" {
		parts = append(parts, f.Spec)
	}
	var pools []string
	for _, p := range f.Pools {
		pools = append(pools, fmt.Sprintf("%s %d×%s %s", p.Role, p.Instances, p.GPU, poolLayout(p)))
	}
	if f.GPUs > 0 {
		parts = append(parts, plural(f.GPUs, "GPU", "GPUs"))
	}
	if f.Model != "" {
		parts = append(parts, f.Model)
	}
	if len(pools) > 0 {
		parts = append(parts, strings.Join(pools, ", "))
	}
	if f.Routing != "" {
		parts = append(parts, "routing "+f.Routing)
	}
	return strings.Join(parts, " · ")
}

// metricRow describes a row of the comparison tables. lower says a lower
// value is better (so a rise is coloured as a regression).
type metricRow struct {
	latency bool // a latency percentile: meaningless over mixed kinds
	label   string
	get     func(c *results.ClassResult) (float64, bool)
	text    func(v float64) string
	lower   bool
	// points: the figure is a ratio shown in percent, whose change is the
	// difference in percentage points (a relative change of it reads
	// as the wrong figure: 50% -> 60% is not +20%).
	points bool
}

// latencyRows are each latency metric's ReportStats, in registry order.
func latencyRows() []metricRow {
	var rows []metricRow
	for i := range results.Metrics {
		m := &results.Metrics[i]
		for _, st := range m.ReportStats {
			rows = append(rows, metricRow{latency: true, label: m.Label + " " + st + " " + m.Unit, lower: m.LowerIsBetter, text: msPlain,
				get: func(c *results.ClassResult) (float64, bool) { return m.Stat(c, st) }})
		}
	}
	return rows
}

var classRows = slices.Concat([]metricRow{
	{label: "requests", text: intText, get: func(c *results.ClassResult) (float64, bool) { return float64(c.Requests), true }},
	{label: "errors", text: intText, lower: true, get: func(c *results.ClassResult) (float64, bool) { return float64(c.Failed()), true }},
	{label: "dropped (--max-inflight)", text: intText, lower: true, get: func(c *results.ClassResult) (float64, bool) {
		d := c.ErrorsByClass[results.ErrorClassDropped]
		return float64(d), d > 0
	}},
	{label: "tasks", text: intText, get: func(c *results.ClassResult) (float64, bool) { return float64(c.Tasks), c.Tasks > 0 }},
}, latencyRows(), []metricRow{
	{label: "cache hit rate", text: pctNum, points: true, get: func(c *results.ClassResult) (float64, bool) { return results.Ratio(c.CacheHitRate) }},
	{label: "output tok/s", text: num, get: func(c *results.ClassResult) (float64, bool) { return results.Ratio(c.OutputTokensPerS) }},
	{label: "completed/s", text: num, get: func(c *results.ClassResult) (float64, bool) {
		v, ok := results.Ratio(c.RequestsPerS)
		return v, ok && c.Requests > 0
	}},
	{label: "SLO attainment", text: pctNum, points: true, get: func(c *results.ClassResult) (float64, bool) { return results.Ratio(c.SLOAttainment) }},
	{label: "goodput req/s", text: num, get: func(c *results.ClassResult) (float64, bool) { return results.Ratio(c.GoodputRPS) }},
	{label: "cost per task", text: usd, lower: true, get: func(c *results.ClassResult) (float64, bool) {
		if c.Cost == nil {
			return 0, false
		}
		return c.Cost.PerTaskUSD, c.Cost.PerTaskUSD > 0
	}},
	{label: "$ per Mtok output", text: usd, lower: true, get: func(c *results.ClassResult) (float64, bool) {
		if c.Cost == nil {
			return 0, false
		}
		return c.Cost.USDPerMTokOutput, c.Cost.USDPerMTokOutput > 0
	}},
})

// sideBySide renders rows for one class (or the totals) across runs; rows
// no run has data for are dropped. Deltas are against the first run.
func sideBySide(runs []Run, rows []metricRow, get func(r *results.Result) *results.ClassResult) table {
	var t table
	for i, r := range runs {
		t.Head = append(t.Head, headCell{Text: r.Label, Color: color(i)})
	}
	for _, mr := range rows {
		rw := row{Label: mr.label}
		anyData := false
		base, baseOK := 0.0, false
		for i, r := range runs {
			c := get(r.Result)
			if c == nil {
				rw.Cells = append(rw.Cells, cell{Text: "–", Class: "muted"})
				continue
			}
			v, ok := mr.get(c)
			if !ok {
				rw.Cells = append(rw.Cells, cell{Text: "–", Class: "muted"})
				continue
			}
			anyData = true
			ce := cell{Text: mr.text(v)}
			if i == 0 {
				base, baseOK = v, true
			} else if baseOK {
				if mr.points {
					ce.Delta, ce.DeltaClass = pointsDelta(base, v, mr.lower)
				} else {
					ce.Delta, ce.DeltaClass = delta(base, v, mr.lower, mr.text)
				}
			}
			rw.Cells = append(rw.Cells, ce)
		}
		if anyData {
			t.Rows = append(t.Rows, rw)
		}
	}
	return t
}

// delta is the relative change from base to v, classed as better or worse
// when it exceeds 2% (smaller moves are noise in a latency percentile).
// From a base of 0 it is the absolute change, written with text.
func delta(base, v float64, lower bool, text func(float64) string) (string, string) {
	if base == 0 {
		switch {
		case v == 0:
			return "±0", "muted"
		case v < 0:
			return "-" + text(-v) + " from 0", deltaClass(v, 0, lower)
		}
		return "+" + text(v) + " from 0", deltaClass(v, 0, lower)
	}
	d := (v - base) / base
	return fmt.Sprintf("%+.1f%%", d*100), deltaClass(d, 0.02, lower)
}

// pointsDelta is the change of a ratio in percentage points, classed as
// better or worse when it exceeds one point.
func pointsDelta(base, v float64, lower bool) (string, string) {
	d := (v - base) * 100
	return fmt.Sprintf("%+.1f pts", d), deltaClass(d, 1, lower)
}

// deltaClass classes a change d: "muted" within ±noise, else "bad" when it
// moves the wrong way (up when lower is better) and "ok" otherwise.
func deltaClass(d, noise float64, lower bool) string {
	switch {
	case d <= noise && d >= -noise:
		return "muted"
	case (d > 0) == lower:
		return "bad"
	}
	return "ok"
}

// compareTable puts the runs' totals side by side. Latency percentiles over
// classes of different kinds (chat with video) mean nothing, so a mixed
// total shows counts and rates only; the class sections have latencies.
func compareTable(runs []Run) *table {
	rows := classRows
	for _, r := range runs {
		if r.Result.Totals.Kind == "mixed" {
			rows = nil
			for _, mr := range classRows {
				if !mr.latency {
					rows = append(rows, mr)
				}
			}
			break
		}
	}
	t := sideBySide(runs, rows, func(r *results.Result) *results.ClassResult { return r.Totals })
	return &t
}

func classSection(b *builder, name string, runs []Run) classView {
	cv := classView{Name: name}
	for _, r := range runs {
		c := r.Result.Classes[name]
		if c != nil && cv.Kind == "" {
			cv.Kind = c.Kind
		}
		cv.Verdicts = append(cv.Verdicts, classVerdict(c))
	}
	cv.Table = sideBySide(runs, classRows, func(r *results.Result) *results.ClassResult { return r.Classes[name] })
	cv.Charts = latencyCharts(b, name, runs)
	return cv
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

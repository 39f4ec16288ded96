package htmlreport

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

var update = flag.Bool("update", false, "regenerate golden files")

// libStub stands in for the 1 MB chart library in the golden file.
const libStub = "/* chart library */"

func TestRenderGolden(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, render(&buf, fixtureInput(), libStub))
	path := filepath.Join("testdata", "report.golden.html")
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./results/htmlreport -update to create %s", path)
	require.Equal(t, string(want), buf.String())
}

func TestRenderIsDeterministicAndSelfContained(t *testing.T) {
	var a, b bytes.Buffer
	require.NoError(t, Render(&a, fixtureInput()))
	require.NoError(t, Render(&b, fixtureInput()))
	require.Equal(t, a.String(), b.String(), "same inputs must give byte-identical HTML")
	page := a.String()
	require.Equal(t, 1, strings.Count(page, echartsJS), "the chart library is inlined exactly once")
	page = strings.Replace(page, echartsJS, libStub, 1) // its own strings are not the page's markup
	// Offline: nothing is fetched at view time.
	require.NotRegexp(t, `<script[^>]+src=`, page)
	require.NotContains(t, page, "<link")
	require.NotRegexp(t, `url\(`, page)
}

// pageChartData extracts the chart specs embedded in a rendered page.
func pageChartData(t *testing.T, page string) pageData {
	t.Helper()
	m := regexp.MustCompile(`(?s)<script type="application/json" id="fb-data">(.*?)</script>`).FindStringSubmatch(page)
	require.Len(t, m, 2, "page has no #fb-data element")
	var d pageData
	require.NoError(t, json.Unmarshal([]byte(m[1]), &d))
	return d
}

func TestRenderPageContent(t *testing.T) {
	in := fixtureInput()
	var buf bytes.Buffer
	require.NoError(t, render(&buf, in, libStub))
	page := buf.String()
	d := pageChartData(t, page)
	// Every chart spec has its element, and ids are unique.
	ids := map[string]bool{}
	for _, c := range d.Charts {
		require.False(t, ids[c.ID], "duplicate chart id %s", c.ID)
		ids[c.ID] = true
		pageHas(t, page, `id="`+c.ID+`"`)
		require.NotEmpty(t, c.Series, "chart %s has no series", c.ID)
	}
	// The endpoint run is 35% slower: its chat TTFT p99 misses the bound.
	sim, ep := in.Runs[0].Result, in.Runs[1].Result
	require.True(t, sim.Classes["chat"].SLO.Met, "fixture: sim meets chat SLOs")
	require.False(t, ep.Classes["t2v"].SLO.Met && ep.Classes["chat"].SLO.Met && ep.Classes["coding"].SLO.Met, "fixture: endpoint misses an SLO")
	pageHas(t, page, "SLOs met (3 classes)")
	pageHas(t, page, "SLOs missed")
	// Side-by-side totals with deltas against the first file.
	pageHas(t, page, "Totals side by side")
	require.True(t, regexp.MustCompile(`class="delta bad">&#43;\d+\.\d%`).MatchString(page), "a worse delta is marked bad")
	// Latency charts per class; a video class has no TTFT/TPOT/ITL charts.
	for _, want := range []string{"TTFT (time to first token): CDF", "TPOT (time per output token): percentiles", "ITL (inter-token latency): CDF",
		"Task completion (whole session): CDF", "Queue wait: CDF", "Throughput", "Queue and batch", "KV cache usage",
		"Cost and SLO attainment vs fleet size (GPUs)", "Pareto frontier", "Economies of scale", "Answer: 3P6D", "error: fleet needs at least one prefill instance"} {
		pageHas(t, page, want)
	}
	t2v := page[strings.Index(page, "Class t2v"):]
	t2v = t2v[:strings.Index(t2v, "</section>")]
	require.False(t, strings.Contains(t2v, "TTFT (time"), "video class has no TTFT chart")
	pageHas(t, t2v, "E2E (request latency): CDF")
}

// pageHas is Contains without printing the whole page on failure.
func pageHas(t *testing.T, page, want string) {
	t.Helper()
	require.True(t, strings.Contains(page, want), "page lacks %q", want)
}

func TestRenderRejectsBadInput(t *testing.T) {
	many := Input{}
	for range maxRuns + 1 {
		many.Runs = append(many.Runs, Run{Label: "x", Result: fixtureResult("sim", 10, 1, 1)})
	}
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{"empty", Input{}, "nothing to report"},
		{"nil result", Input{Runs: []Run{{Label: "a.json"}}}, `result 1 ("a.json") is nil`},
		{"nil sweep", Input{Sweeps: []SweepRun{{Label: "s"}}}, `sweep 1 ("s") is nil`},
		{"too many", many, "at most 12 fit side by side"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := Render(&bytes.Buffer{}, tc.in)
			require.ErrorContains(t, err, tc.want)
		})
	}
	require.ErrorContains(t, render(&bytes.Buffer{}, fixtureInput(), "x</script>y"), "contains \"</script\"")
}

func TestRunVerdict(t *testing.T) {
	met := &results.SLOVerdict{Met: true, Targets: []results.SLOTarget{{Metric: "ttft_ms", Percentile: "p99", Bound: 500, Actual: ptr(120), Met: true}}}
	missed := &results.SLOVerdict{Met: false, Targets: []results.SLOTarget{{Metric: "tpot_ms", Percentile: "p99", Bound: 40, Actual: ptr(52.5), Met: false}}}
	tests := []struct {
		name    string
		classes map[string]*results.ClassResult
		status  string
		text    string
		details []string
	}{
		{"no slo", map[string]*results.ClassResult{"a": {}}, "none", "No SLOs defined", nil},
		{"all met", map[string]*results.ClassResult{"a": {SLO: met}, "b": {SLO: met}, "c": {}}, "ok", "SLOs met (2 classes)", nil},
		{"one missed", map[string]*results.ClassResult{"a": {SLO: met}, "b": {SLO: missed}}, "bad", "SLOs missed (1 target)", []string{"b: TPOT p99 52.5 ms > 40 ms"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v := runVerdict(&results.Result{Classes: tc.classes, Totals: &results.ClassResult{}})
			require.Equal(t, tc.status, v.Status)
			require.Equal(t, tc.text, v.Text)
			require.Equal(t, tc.details, v.Details)
		})
	}
}

func TestDelta(t *testing.T) {
	tests := []struct {
		base, v    float64
		lower      bool
		text, want string
	}{
		{100, 120, true, "+20.0%", "bad"},
		{100, 80, true, "-20.0%", "ok"},
		{100, 120, false, "+20.0%", "ok"},
		{100, 101, true, "+1.0%", "muted"},
		{0, 0, true, "±0", "muted"},
		// From 0 there is no relative change: the absolute one ("new"
		// read as a metric new in this run; queue p99 0 -> 50.6 ms).
		{0, 50.6, true, "+50.6 from 0", "bad"},
		{0, -2, false, "-2.00 from 0", "bad"},
	}
	for _, tc := range tests {
		text, cls := delta(tc.base, tc.v, tc.lower, num)
		require.Equal(t, tc.text, text, "%v -> %v", tc.base, tc.v)
		require.Equal(t, tc.want, cls, "%v -> %v", tc.base, tc.v)
	}
}

// A hit rate going from 50% to 60% moved 10 points: the run comparison
// showed "+20.0%", a relative change of a figure that is itself a
// percentage.
func TestDeltaOfPercentRowsInPoints(t *testing.T) {
	hit := func(h, att float64) Run {
		return Run{Label: "r", Result: &results.Result{Totals: &results.ClassResult{Kind: "chat", CacheHitRate: &h, SLOAttainment: &att}}}
	}
	tb := sideBySide([]Run{hit(0.5, 0.9), hit(0.6, 0.85)}, classRows, func(r *results.Result) *results.ClassResult { return r.Totals })
	got := map[string]cell{}
	for _, rw := range tb.Rows {
		got[rw.Label] = rw.Cells[1]
	}
	require.Equal(t, "+10.0 pts", got["cache hit rate"].Delta)
	require.Equal(t, "ok", got["cache hit rate"].DeltaClass)
	require.Equal(t, "-5.0 pts", got["SLO attainment"].Delta)
	require.Equal(t, "bad", got["SLO attainment"].DeltaClass)
}

func encode(t testing.TB, h *hdr.Histogram) string {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	require.NoError(t, err)
	return string(b)
}

func TestCDFPoints(t *testing.T) {
	h := hdr.New(histLowestUs, histHighestUs, histSigDigits)
	for ms := int64(1); ms <= 1000; ms++ {
		require.NoError(t, h.RecordValue(ms*1000))
	}
	pts, err := cdfPoints(encode(t, h))
	require.NoError(t, err)
	require.NotEmpty(t, pts)
	for i := 1; i < len(pts); i++ {
		require.Greater(t, pts[i][0], pts[i-1][0], "latency strictly rises")
		require.Greater(t, pts[i][1], pts[i-1][1], "share strictly rises")
	}
	require.Equal(t, 100.0, pts[len(pts)-1][1])
	require.InDelta(t, 1000, pts[len(pts)-1][0], 1)
	for _, p := range pts {
		if p[1] == 50 {
			require.InDelta(t, 500, p[0], 0.5, "uniform 1..1000 ms: median 500 ms")
		}
	}

	other := hdr.New(1, 1000, 2)
	require.NoError(t, other.RecordValue(5))
	tests := []struct{ name, enc, want string }{
		{"not base64", "!!!", "corrupt histogram"},
		{"too short", "AAAA", "corrupt histogram"},
		{"other geometry", encode(t, other), "geometry"},
		{"huge", strings.Repeat("A", maxHistBytes+4), "more than"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := cdfPoints(tc.enc)
			require.ErrorContains(t, err, tc.want)
		})
	}
	pts, err = cdfPoints("")
	require.NoError(t, err)
	require.Empty(t, pts)
}

func FuzzDecodeHist(f *testing.F) {
	h := hdr.New(histLowestUs, histHighestUs, histSigDigits)
	_ = h.RecordValue(1234)
	f.Add(encode(f, h))
	f.Add("HISTFAA")
	f.Add("")
	f.Fuzz(func(t *testing.T, enc string) {
		pts, err := cdfPoints(enc)
		if err == nil {
			for i := 1; i < len(pts); i++ {
				require.GreaterOrEqual(t, pts[i][1], pts[i-1][1])
			}
		}
	})
}

func BenchmarkRender(b *testing.B) {
	in := fixtureInput()
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := Render(&buf, in); err != nil {
			b.Fatal(err)
		}
	}
	b.SetBytes(int64(buf.Len()))
}

// TestFleetCostKPI: the fleet cost card says a measured idle fleet's
// utilization (0%), leaves out an endpoint run's (unknown), and says when
// the cost is a lower bound because the fleet fell behind.
func TestFleetCostKPI(t *testing.T) {
	note := func(backend string, lower bool) string {
		r := &results.Result{Backend: backend, Window: results.Window{DurationS: 100},
			Fleet:   &results.FleetInfo{Pools: []results.PoolInfo{{Role: "colocated", Instances: 1, GPUs: 1, GPUsPerInstance: 1}}},
			Cost:    &results.Cost{USD: 1, GPUHours: 0.0278, LowerBound: lower},
			Classes: map[string]*results.ClassResult{}, Totals: &results.ClassResult{}}
		for _, k := range runHeader(0, Run{Result: r}).KPIs {
			if k.Label == "fleet cost" {
				return k.Note
			}
		}
		t.Fatal("no fleet cost KPI")
		return ""
	}
	require.Contains(t, note("sim", false), "utilization 0.0%")
	require.NotContains(t, note("endpoint", false), "utilization")
	require.Contains(t, note("sim", true), "LOWER BOUND")
}

// TestSweepTableSaysFellBehind: a sweep point whose fleet fell behind the
// offered load reads "fell behind" in the HTML points table, not "missed".
func TestSweepTableSaysFellBehind(t *testing.T) {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Points: []sweepfile.Point{
		{Index: 0, Fleet: "1C", GPUs: 1, FellBehind: true, Metrics: map[string]float64{"ttft_p99_ms": 30000}},
		{Index: 1, Fleet: "2C", GPUs: 2, Metrics: map[string]float64{"ttft_p99_ms": 900}},
		{Index: 2, Fleet: "3C", GPUs: 3, MeetsSLO: true, Metrics: map[string]float64{"ttft_p99_ms": 300}},
	}}
	tb, _ := pointTable(s)
	var texts []string
	for _, r := range tb.Rows {
		for _, c := range r.Cells {
			if c.Text == "fell behind" || c.Text == "missed" || c.Text == "met" {
				texts = append(texts, c.Text)
			}
		}
	}
	require.Equal(t, []string{"fell behind", "missed", "met"}, texts)
}

// A cell under a label (row or column) that names a unit is a number in
// that unit: an "E2E p99 ms" row printed "11.4 s" before.
func TestTableUnitsAgreeWithLabels(t *testing.T) {
	var buf bytes.Buffer
	require.NoError(t, render(&buf, fixtureInput(), libStub))
	page := buf.String()
	tag := regexp.MustCompile(`<[^>]*>`)
	text := func(s string) string { return strings.TrimSpace(tag.ReplaceAllString(s, "")) }
	plainMs := regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?$`)
	checked := 0
	for _, tbl := range regexp.MustCompile(`(?s)<table>(.*?)</table>`).FindAllStringSubmatch(page, -1) {
		var head []string
		if h := regexp.MustCompile(`(?s)<thead>(.*?)</thead>`).FindStringSubmatch(tbl[1]); h != nil {
			for _, c := range regexp.MustCompile(`(?s)<th>(.*?)</th>`).FindAllStringSubmatch(h[1], -1) {
				head = append(head, text(c[1]))
			}
		}
		body := regexp.MustCompile(`(?s)<tbody>(.*?)</tbody>`).FindStringSubmatch(tbl[1])
		if body == nil {
			continue
		}
		for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(body[1], -1) {
			label := regexp.MustCompile(`(?s)<th>(.*?)</th>`).FindStringSubmatch(tr[1])
			cells := regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(tr[1], -1)
			for j, c := range cells {
				v := text(regexp.MustCompile(`(?s)<span class="delta.*?</span>`).ReplaceAllString(c[1], ""))
				col := ""
				if j+1 < len(head) {
					col = head[j+1]
				}
				if v == "–" || (!strings.HasSuffix(col, " ms") && (label == nil || !strings.HasSuffix(text(label[1]), " ms"))) {
					continue
				}
				checked++
				require.Regexp(t, plainMs, v, "row %q, column %q: a cell under an \"ms\" label must be a number of ms", text(label[1]), col)
			}
		}
	}
	require.Greater(t, checked, 20)
}

// TestVideoKPIs: a video-only run has no token throughput (was "0.00
// tok/s") and no $/Mtok (was "$0 per Mtok output"); small rates keep two
// significant digits, so a goodput of 0.0054 req/s does not read as the
// 0.014 req/s of requests ("0.01" both before) next to 37.5% attainment.
func TestVideoKPIs(t *testing.T) {
	v := &results.ClassResult{Kind: "video", Requests: 8, Completed: 8, Tasks: 8, Clips: 8, VideoSeconds: 40.5, SLOMet: 3, SLOAttainment: ptrTo(0.375),
		RequestsPerS: new(0.0143), GoodputRPS: new(0.00537), Cost: &results.ClassCost{USD: 3.3, PerTaskUSD: 0.4125, USDPerClip: 0.4125}}
	r := &results.Result{Backend: "sim", Window: results.Window{DurationS: 558},
		Classes: map[string]*results.ClassResult{"t2v": v}, Totals: v}
	kpis := map[string]kpi{}
	for _, k := range runHeader(0, Run{Result: r}).KPIs {
		kpis[k.Label] = k
	}
	require.NotContains(t, kpis["throughput"].Value+kpis["throughput"].Note, "tok/s")
	require.NotContains(t, kpis["cost per task"].Note, "Mtok")
	require.Equal(t, "0.0054 req/s", kpis["goodput"].Value)
	require.Contains(t, kpis["throughput"].Value+" "+kpis["throughput"].Note, "0.014 req/s")
}

// TestFleetLineLayouts: a wide pool prints its layout (was "tp32" for an
// instance laid out tp1 dp32 ep32) and a video pool its sequence
// parallelism (was "tp8").
func TestFleetLineLayouts(t *testing.T) {
	got := fleetLine(&results.FleetInfo{Pools: []results.PoolInfo{
		{Role: "prefill", Instances: 4, GPU: "h800", GPUsPerInstance: 32, Layout: "tp1 dp32 ep32"},
		{Role: "decode", Instances: 2, GPU: "h100", GPUsPerInstance: 4},
		{Role: "video", Instances: 4, GPU: "h100", GPUsPerInstance: 8},
	}})
	require.Equal(t, "prefill 4×h800 tp1 dp32 ep32, decode 2×h100 tp4, video 4×h100 sp8", got)
}

func ptrTo(v float64) *float64 { return &v }

// An interrupted run's SLO verdict covers its finished requests only: the
// HTML verdict and class chips do not read as a clean (green) met.
func TestInterruptedVerdictIsNoCleanMet(t *testing.T) {
	c := &results.ClassResult{Kind: "chat", SLO: &results.SLOVerdict{Met: true, FinishedOnly: true}}
	r := &results.Result{Classes: map[string]*results.ClassResult{"chat": c}, Totals: &results.ClassResult{}, Extra: map[string]any{"interrupted": true}}
	for _, v := range []verdict{runVerdict(r), classVerdict(c)} {
		require.NotEqual(t, "ok", v.Status, v.Text)
		require.True(t, strings.HasSuffix(v.Text, "*"), v.Text)
		require.Contains(t, strings.Join(v.Details, " "), "finished requests only")
	}
	c.SLO.FinishedOnly, r.Extra = false, nil
	require.Equal(t, "ok", runVerdict(r).Status)
	require.Equal(t, "ok", classVerdict(c).Status)
}

// A class that served requests over the model's context had a green
// "SLO met" verdict: it is now no clean pass, marked and explained.
func TestOverContextVerdictIsNoCleanMet(t *testing.T) {
	c := &results.ClassResult{Kind: "chat", SLO: &results.SLOVerdict{Met: true, OverContext: true}}
	r := &results.Result{Classes: map[string]*results.ClassResult{"code": c}, Totals: &results.ClassResult{}}
	for _, v := range []verdict{runVerdict(r), classVerdict(c)} {
		require.NotEqual(t, "ok", v.Status, v.Text)
		require.True(t, strings.HasSuffix(v.Text, results.OverContextMark), v.Text)
		require.Contains(t, strings.Join(v.Details, " "), "over the model's context")
	}
	c.SLO.OverContext = false
	require.Equal(t, "ok", runVerdict(r).Status)
	require.Equal(t, "ok", classVerdict(c).Status)
}

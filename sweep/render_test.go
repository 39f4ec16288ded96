package sweep

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// fixtureSweep is a hand-made sweep covering every rendering case: a met
// point, a missed one, an error, a scale column and an answer with notes.
func fixtureSweep() *sweepfile.Sweep {
	m := func(ttft50, ttft99, hit, att, good, util, perH, perTask float64) map[string]float64 {
		return map[string]float64{"ttft_p50_ms": ttft50, "ttft_p99_ms": ttft99, "tpot_p99_ms": 17.5, "e2e_p99_ms": 22345,
			"cache_hit_rate": hit, "slo_attainment": att, "goodput_rps": good, "utilization": util,
			"usd_per_hour": perH, "usd_per_task": perTask}
	}
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: results.ScenarioInfo{Name: "chat", Seed: 1, Hash: "f8c1"},
		Search: sweepfile.SearchScale, Grid: "points=3",
		Points: []sweepfile.Point{
			{Index: 0, Fleet: "1P1D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1, Scale: 1, GPUs: 8, MeetsSLO: true, Metrics: m(68, 305, 0.346, 1, 5.385, 0.668, 21.52, 0.00111)},
			{Index: 1, Fleet: "10P10D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 10, Scale: 10, GPUs: 80, MeetsSLO: false, Metrics: m(70, 2100, 0.41, 0.97, 51.2, 0.70, 215.2, 0.00107)},
			{Index: 2, Fleet: "100P100D", GPU: "h100", TP: 1, Routing: "cache-aware", RateScale: 100, Scale: 100, GPUs: 200, Error: "configuration: model does not fit"},
		},
		Notes: []string{"a note"},
	}
	return s
}

func TestRenderGolden(t *testing.T) {
	minFleet := fixtureSweep()
	minFleet.Search, minFleet.Grid = sweepfile.SearchMinFleet, "points=3"
	for i := range minFleet.Points {
		minFleet.Points[i].Scale = 0
	}
	minFleet.Answer = sweepfile.PickAnswer(minFleet.Search, "", minFleet.Points)
	for _, tc := range []struct {
		name, format string
		s            *sweepfile.Sweep
	}{
		{"scale.table", "table", fixtureSweep()},
		{"scale.md", "markdown", fixtureSweep()},
		{"scale.csv", "csv", fixtureSweep()},
		{"minfleet.table", "table", minFleet},
		{"minfleet.json", "json", minFleet},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			require.NoError(t, Render(&b, tc.s, tc.format))
			path := filepath.Join("testdata", tc.name+".golden")
			if *update {
				require.NoError(t, os.MkdirAll("testdata", 0o755))
				require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
			}
			want, err := os.ReadFile(path)
			require.NoError(t, err, "run go test ./sweep -run TestRenderGolden -update")
			require.Equal(t, string(want), b.String())
		})
	}
	require.ErrorContains(t, Render(&bytes.Buffer{}, fixtureSweep(), "xml"), "unknown format")
}

// TestCSVRounding: CSV cells carry 6 significant digits, as the result
// file's rates and shares do (integers up to 2^53 exactly), so 0.1+0.2 is
// 0.3 and not 0.30000000000000004; the JSON keeps full precision. Before,
// `sweep --csv` wrote e.g. lag_share 0.001526796634636894 and
// usd_per_mtok_all 8.602679180421793.
func TestCSVRounding(t *testing.T) {
	tenth, fifth := 0.1, 0.2 // variables: constant arithmetic would be exact
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Points: []sweepfile.Point{{
		Fleet: "2C", RateScale: tenth * 3, GPUs: 8,
		Metrics: map[string]float64{"a": tenth + fifth, "b": 8.602679180421793, "c": 1234567, "d": -2528.0546757792963, "e": 3e-7, "f": 0.4915318206926657},
	}}}
	var b bytes.Buffer
	require.NoError(t, Render(&b, s, "csv"))
	require.Equal(t, "index,fleet,gpu,tp,routing,rate_scale,scale,gpus,meets_slo,fell_behind,answer,a,b,c,d,e,f,error\n"+
		"0,2C,,,,0.3,,8,false,false,false,0.3,8.60268,1234567,-2528.05,0.0000003,0.491532,\n", b.String())
	b.Reset()
	require.NoError(t, Render(&b, s, "json"))
	require.Contains(t, b.String(), "8.602679180421793")
}

// TestRenderVideoAndBehind: a video-only fleet has no tensor parallelism
// (tp printed "0"), and a point whose fleet fell behind prints costs that
// are bounds: the table says so under it.
func TestRenderVideoAndBehind(t *testing.T) {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: results.ScenarioInfo{Name: "video-burst", Seed: 1},
		Points: []sweepfile.Point{
			{Index: 0, Fleet: "64V", GPU: "h100", Routing: "cache-aware", RateScale: 1, GPUs: 64, MeetsSLO: true, Metrics: map[string]float64{"usd_per_task": 1.86, "e2e_p99_ms": 279183}},
			{Index: 1, Fleet: "32V", GPU: "h100", Routing: "cache-aware", RateScale: 1, GPUs: 32, FellBehind: true, Metrics: map[string]float64{"usd_per_task": 0.93, "e2e_p99_ms": 534774}},
		}}
	for _, format := range []string{"table", "markdown"} {
		var b bytes.Buffer
		require.NoError(t, Render(&b, s, format))
		require.NotRegexp(t, `h100\s*\|?\s*0\s`, b.String(), format)
		require.Contains(t, b.String(), "point 1 (32V): fell behind the offered load", format)
	}
	var b bytes.Buffer
	require.NoError(t, Render(&b, s, "csv"))
	require.Contains(t, b.String(), "0,64V,h100,,,1,", "a video-only fleet routes no LLM requests: no routing (older files said cache-aware)")
	b.Reset()
	require.NoError(t, Render(&b, s, "table"))
	require.Regexp(t, `64V +h100 +- +- +1x`, b.String())
	require.NotContains(t, b.String(), "cache-aware")
}

// A point of a video-only fleet says no routing policy: no LLM request is
// routed (its table said cache-aware, the simulator's default).
func TestVideoOnlyPointHasNoRouting(t *testing.T) {
	sc, err := scenarios.Resolve("video-burst")
	require.NoError(t, err)
	r := &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Workload: scenarios.WorkloadOptions{Requests: 20}}
	p := r.One(Point{Fleet: "8V", GPU: "h100", RateScale: 1})
	require.Empty(t, p.Error)
	require.Empty(t, p.Routing)
	require.Zero(t, p.TP)
	js, err := json.Marshal(p)
	require.NoError(t, err)
	require.NotContains(t, string(js), `"routing"`)
	ch := chatRunner(t, 1)
	ch.Workload = scenarios.WorkloadOptions{Requests: 20}
	require.Equal(t, "cache-aware", ch.One(Point{Fleet: "1P1D", GPU: "h100", TP: 1, RateScale: 1}).Routing)
}

// Notes named a video-only point "64V h100 tp0 " (a TP it does not have,
// an empty routing): they name what it has.
func TestFleetCfgOfVideoOnlyPoint(t *testing.T) {
	require.Equal(t, "64V h100", fmtFleetCfg(sweepfile.Point{Fleet: "64V", GPU: "h100"}))
	require.Equal(t, "2P4D h100 tp4 cache-aware", fmtFleetCfg(sweepfile.Point{Fleet: "2P4D", GPU: "h100", TP: 4, Routing: "cache-aware"}))
	require.Equal(t, "live", fmtFleetCfg(sweepfile.Point{Fleet: "live"}))
}

// A video-only sweep's table had ttft p50, ttft p99, tpot p99 and hit
// columns of nothing but "-" (no point generates tokens): a column is shown
// when some point has its figure.
func TestSweepColumnsOnlyWhatSomePointHas(t *testing.T) {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: results.ScenarioInfo{Name: "video-burst", Seed: 1},
		Points: []sweepfile.Point{
			{Index: 0, Fleet: "64V", GPU: "h100", RateScale: 1, GPUs: 64, MeetsSLO: true,
				Metrics: map[string]float64{"e2e_p99_ms": 279183, "queue_p99_ms": 12, "slo_attainment": 1, "goodput_rps": 0.026}},
			{Index: 1, Fleet: "8V", GPU: "h100", RateScale: 1, GPUs: 8, Error: "configuration: too few GPUs"},
		}}
	var b bytes.Buffer
	require.NoError(t, Render(&b, s, "table"))
	head := strings.SplitN(b.String(), "\n", 3)[1]
	for _, gone := range []string{"ttft", "tpot", "hit"} {
		require.NotContains(t, head, gone)
	}
	for _, kept := range []string{"e2e p99", "queue p99", "attain", "goodput/s", "util", "$/task"} {
		require.Contains(t, head, kept)
	}
}

// The sweep table's $/task column never writes an exponent: the demo's
// min-fleet sweep printed 7e-05 for the 1C point above 0.00014 for 2C.
func TestUSDNoExponent(t *testing.T) {
	for v, want := range map[float64]string{7e-05: "0.00007", 0.00014: "0.00014", 0.000213: "0.000213", 0.0123: "0.0123", 2.5: "2.50", 250: "250"} {
		require.Equal(t, want, usd(v), "%v", v)
	}
}

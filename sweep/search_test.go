package sweep

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/pricing"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// chatRunner runs the built-in chat scenario, shortened to 2 virtual
// minutes (30 s of it warm-up) so that a test sweep takes seconds.
func chatRunner(t testing.TB, jobs int) *Runner {
	t.Helper()
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	return &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: jobs,
		Workload: scenarios.WorkloadOptions{Duration: 2 * time.Minute}}
}

// equivalenceRunner is chatRunner for the tests that compare two ways of
// running one sweep (jobs, shards): the property holds at any duration, so
// under -short (make test's race pass, where the simulator runs ~10x
// slower and only the concurrency is new) 20 virtual seconds do.
func equivalenceRunner(t testing.TB, jobs int) *Runner {
	r := chatRunner(t, jobs)
	if testing.Short() {
		r.Workload.Duration = 20 * time.Second
	}
	return r
}

// plainPassOnly skips a test whose checks are about the answer, not the
// concurrency, under -short: make test runs it in the plain pass, and its
// race pass (-race -short, ~10x slower) keeps every search's concurrent
// path through TestDeterministicAcrossJobs and TestShardsMergedEqualUnsharded.
func plainPassOnly(t *testing.T) {
	if testing.Short() {
		t.Skip("answer checks run without -short (make test's plain pass); the race pass keeps the concurrent paths")
	}
}

func sweepJSON(t *testing.T, s *sweepfile.Sweep) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, sweepfile.WriteJSON(&b, s))
	return b.String()
}

// At 4x the chat scenario's traffic one TP-4 prefill instance cannot keep
// TTFT within its SLO, whatever the decode side; two can.
var minFleetGrid = Grid{Fleets: PDFleets(seq(1, 3), seq(1, 3)), RateScales: []float64{4}}

func TestMinFleetSmallestPassingFleet(t *testing.T) {
	plainPassOnly(t)
	r := chatRunner(t, 2)
	sw, err := Run(r, Spec{Search: sweepfile.SearchMinFleet, Grid: minFleetGrid})
	require.NoError(t, err)
	a := sw.Answer
	require.NotNil(t, a, "notes: %v", sw.Notes)
	require.True(t, a.MeetsSLO)
	require.Equal(t, "2P1D", a.Fleet)
	require.Equal(t, 12, a.GPUs)
	// The next smaller grid points were evaluated and miss the SLO.
	smaller := 0
	for _, p := range sw.Points {
		if p.GPUs < a.GPUs {
			smaller++
			require.False(t, p.MeetsSLO, "point %d %s with %d GPUs meets the SLO but was not picked", p.Index, p.Fleet, p.GPUs)
		}
	}
	require.Equal(t, 1, smaller, "1P1D (8 GPUs) is the only smaller grid point")
	// The exhaustive sweep agrees, and evaluates more points.
	ex, err := Run(r, Spec{Search: sweepfile.SearchMinFleet, Grid: minFleetGrid, Exhaustive: true})
	require.NoError(t, err)
	require.Len(t, ex.Points, 9)
	require.Less(t, len(sw.Points), 9)
	require.Equal(t, a, ex.Answer)
	for _, p := range ex.Points {
		if p.MeetsSLO {
			require.GreaterOrEqual(t, p.GPUs, a.GPUs)
		}
	}
}

func TestMinFleetNoneQualifies(t *testing.T) {
	sw, err := Run(chatRunner(t, 2), Spec{Search: sweepfile.SearchMinFleet, Grid: Grid{Fleets: []string{"1P1D"}, RateScales: []float64{8}}})
	require.NoError(t, err)
	require.Nil(t, sw.Answer)
	require.Contains(t, sw.Notes[len(sw.Notes)-1], "no grid point meets every SLO")
}

func TestShardsMergedEqualUnsharded(t *testing.T) {
	r := equivalenceRunner(t, 2)
	for _, spec := range []Spec{
		{Grid: Grid{Fleets: []string{"1P1D", "2P2D"}, RateScales: []float64{1, 3, 5}}},
		{Search: sweepfile.SearchMinFleet, Grid: minFleetGrid, Exhaustive: true},
		{Search: sweepfile.SearchBestSplit, Budget: 16, Grid: Grid{RateScales: []float64{5}}},
	} {
		t.Run(spec.Search, func(t *testing.T) {
			whole, err := Run(r, spec)
			require.NoError(t, err)
			var shards []*sweepfile.Sweep
			for i := range 3 {
				s := spec
				s.ShardI, s.ShardN = i, 3
				sh, err := Run(r, s)
				require.NoError(t, err)
				require.Equal(t, whole.Grid, sh.Grid)
				shards = append(shards, sh)
			}
			// Merge order does not matter.
			merged, err := sweepfile.Merge(shards[2], shards[0], shards[1])
			require.NoError(t, err)
			require.Equal(t, sweepJSON(t, whole), sweepJSON(t, merged))
		})
	}
}

func TestDeterministicAcrossJobs(t *testing.T) {
	for _, spec := range []Spec{
		{Grid: Grid{Fleets: []string{"1P1D", "2P1D", "1P2D"}, RateScales: []float64{2, 4}}},
		{Search: sweepfile.SearchMinFleet, Grid: minFleetGrid},
		{Search: sweepfile.SearchMaxLoad, Tolerance: 0.1, Grid: Grid{Fleets: []string{"1P1D", "2P1D"}}},
	} {
		t.Run(spec.Search, func(t *testing.T) {
			one, err := Run(equivalenceRunner(t, 1), spec)
			require.NoError(t, err)
			four, err := Run(equivalenceRunner(t, 4), spec)
			require.NoError(t, err)
			require.Equal(t, sweepJSON(t, one), sweepJSON(t, four))
		})
	}
}

func TestMaxLoadFindsTheBoundary(t *testing.T) {
	plainPassOnly(t)
	r := chatRunner(t, 2)
	const tol = 0.05
	sw, err := Run(r, Spec{Search: sweepfile.SearchMaxLoad, Tolerance: tol, Grid: Grid{Fleets: []string{"1P1D"}}})
	require.NoError(t, err)
	a := sw.Answer
	require.NotNil(t, a, "notes: %v", sw.Notes)
	require.True(t, a.MeetsSLO)
	// The lowest failing probe lies above the answer, within the tolerance.
	hi := 0.0
	for _, p := range sw.Points {
		if !p.MeetsSLO && p.RateScale > a.RateScale && (hi == 0 || p.RateScale < hi) {
			hi = p.RateScale
		}
		if p.MeetsSLO {
			require.LessOrEqual(t, p.RateScale, a.RateScale)
		}
	}
	require.NotZero(t, hi, "no failing probe above the answer")
	require.LessOrEqual(t, (hi-a.RateScale)/a.RateScale, tol)
	require.Greater(t, a.RateScale, 1.0, "1P1D sustains more than the scenario's own load")
	// Probes are in increasing load order with stable indexes.
	for i, p := range sw.Points {
		require.Equal(t, i, p.Index)
		if i > 0 {
			require.Greater(t, p.RateScale, sw.Points[i-1].RateScale)
		}
	}
	// Re-running the two sides of the boundary gives the same verdicts.
	base := Point{Fleet: "1P1D", GPU: "h100", TP: 4, Routing: "cache-aware"}
	base.RateScale = a.RateScale
	require.True(t, r.One(base).MeetsSLO)
	base.RateScale = hi
	require.False(t, r.One(base).MeetsSLO)
	require.Contains(t, sw.Notes[0], "sustains")
}

func TestMaxLoadBracketsDownward(t *testing.T) {
	plainPassOnly(t)
	// Starting at 8x (far past 1P1D's capacity) the search halves first.
	sw, err := Run(chatRunner(t, 2), Spec{Search: sweepfile.SearchMaxLoad, Tolerance: 0.1, Grid: Grid{Fleets: []string{"1P1D"}, RateScales: []float64{8}}})
	require.NoError(t, err)
	require.NotNil(t, sw.Answer)
	require.Less(t, sw.Answer.RateScale, 8.0)
	require.Greater(t, sw.Answer.RateScale, 1.0)
}

func TestBestSplit(t *testing.T) {
	plainPassOnly(t)
	r := chatRunner(t, 2)
	sw, err := Run(r, Spec{Search: sweepfile.SearchBestSplit, Budget: 16, Grid: Grid{RateScales: []float64{5}}})
	require.NoError(t, err)
	require.Equal(t, sweepfile.ObjectiveGoodput, sw.Objective)
	var fleets []string
	for _, p := range sw.Points {
		fleets = append(fleets, p.Fleet)
		require.Equal(t, 16, p.GPUs)
	}
	require.Equal(t, []string{"1P3D", "2P2D", "3P1D"}, fleets)
	require.NotNil(t, sw.Answer)
	for _, p := range sw.Points {
		require.LessOrEqual(t, p.Metrics["goodput_rps"], sw.Answer.Metrics["goodput_rps"])
	}
	// With one TP-4 prefill instance 5x traffic queues up: the picked split
	// has more than one.
	require.NotEqual(t, "1P3D", sw.Answer.Fleet)

	cost, err := Run(r, Spec{Search: sweepfile.SearchBestSplit, Objective: sweepfile.ObjectiveCost, Budget: 16, Grid: Grid{RateScales: []float64{5}}})
	require.NoError(t, err)
	require.NotNil(t, cost.Answer)
	require.True(t, cost.Answer.MeetsSLO)
	for _, p := range cost.Points {
		if p.MeetsSLO {
			require.LessOrEqual(t, cost.Answer.Metrics["usd_per_task"], p.Metrics["usd_per_task"])
		}
	}
}

func TestScaleCurve(t *testing.T) {
	sw, err := Run(chatRunner(t, 2), Spec{Search: sweepfile.SearchScale, Grid: Grid{Fleets: []string{"1P1D"}, Scales: []float64{1, 2, 4}}})
	require.NoError(t, err)
	require.Len(t, sw.Points, 3)
	for i, want := range []struct {
		fleet string
		gpus  int
	}{{"1P1D", 8}, {"2P2D", 16}, {"4P4D", 32}} {
		p := sw.Points[i]
		require.Equal(t, want.fleet, p.Fleet)
		require.Equal(t, want.gpus, p.GPUs)
		require.Equal(t, p.Scale, p.RateScale, "traffic scales with the fleet")
		for _, k := range []string{"cache_hit_rate", "utilization", "usd_per_task", "usd_per_hour"} {
			require.Contains(t, p.Metrics, k)
		}
	}
	// Fleet cost grows linearly with scale.
	require.InDelta(t, 4*sw.Points[0].Metrics["usd_per_hour"], sw.Points[2].Metrics["usd_per_hour"], 1e-9)
	require.Nil(t, sw.Answer)
}

func TestRunRejectsBadSpecs(t *testing.T) {
	r := chatRunner(t, 1)
	for _, tc := range []struct {
		name string
		spec Spec
		want string
	}{
		{"unknown search", Spec{Search: "fastest"}, "unknown search"},
		{"bad shard", Spec{ShardI: 3, ShardN: 3}, "0 <= i < n"},
		{"min-fleet two loads", Spec{Search: sweepfile.SearchMinFleet, Grid: Grid{RateScales: []float64{1, 2}}}, "at most one --rate-scale"},
		{"max-load sharded", Spec{Search: sweepfile.SearchMaxLoad, ShardN: 2}, "cannot be sharded"},
		{"max-load tolerance", Spec{Search: sweepfile.SearchMaxLoad, Tolerance: 2}, "--tolerance"},
		{"best-split no budget", Spec{Search: sweepfile.SearchBestSplit}, "--gpus"},
		{"best-split fleets", Spec{Search: sweepfile.SearchBestSplit, Budget: 8, Grid: Grid{Fleets: []string{"1P1D"}}}, "drop --fleet"},
		{"best-split indivisible", Spec{Search: sweepfile.SearchBestSplit, Budget: 6}, "multiple of --tp"},
		{"best-split objective", Spec{Search: sweepfile.SearchBestSplit, Budget: 8, Objective: "speed"}, "unknown objective"},
		{"scale without scales", Spec{Search: sweepfile.SearchScale}, "needs scales"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(r, tc.spec)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestBadPointIsReportedNotFatal(t *testing.T) {
	r := chatRunner(t, 2)
	sw, err := Run(r, Spec{Grid: Grid{Fleets: []string{"1P1D"}, TPs: []int{1, 4}}})
	require.NoError(t, err)
	require.Len(t, sw.Points, 2)
	require.Contains(t, sw.Points[0].Error, "does not fit")
	require.Empty(t, sw.Points[1].Error)
	require.Empty(t, sw.Points[0].Metrics)
}

func BenchmarkSweepGrid4(b *testing.B) {
	r := chatRunner(b, 0)
	g := Grid{Fleets: []string{"1P1D", "2P1D", "1P2D", "2P2D"}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Run(r, Spec{Grid: g}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestCostModelPricesPoints(t *testing.T) {
	r := chatRunner(t, 1)
	p := Point{Fleet: "1P1D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1}
	catalog := r.One(p)
	r.Cost = &results.CostInputs{}
	require.Equal(t, catalog.Metrics, r.One(p).Metrics, "no cost inputs = the cost model at catalog prices")
	r.Cost = &results.CostInputs{GPUHourUSD: map[string]float64{"h100": 1}}
	priced := r.One(p)
	require.Equal(t, 8.0, priced.Metrics["usd_per_hour"], "8 GPUs at $1/h")
	require.Greater(t, catalog.Metrics["usd_per_hour"], 8.0)
	// Same window and tasks: cost per task scales with the price.
	ratio := catalog.Metrics["usd_per_hour"] / 8
	require.InEpsilon(t, catalog.Metrics["usd_per_task"], priced.Metrics["usd_per_task"]*ratio, 1e-5) // the cost model rounds

	// Concurrent points share one CostInputs with price lists (which the
	// cost model normalises in place): race-free under go test -race.
	r.Jobs = 2
	r.Cost.Prices = map[string]*pricing.List{"*": {Currency: "usd", InputPerMTok: 0.27, OutputPerMTok: 1.1}}
	sw, err := Run(r, Spec{Grid: Grid{Fleets: []string{"1P1D", "2P1D", "1P2D"}}})
	require.NoError(t, err)
	for _, p := range sw.Points {
		require.Empty(t, p.Error)
	}
	require.Equal(t, "usd", r.Cost.Prices["*"].Currency, "the caller's price list is not modified")
}

// A point's cost, cost rate and utilization are the cost model's: an
// elastic pool (GPU time integrated over the window) pays for the GPUs it
// had, not for its peak count over the whole window (the deleted costOf
// fallback did), and utilization uses ApplyCost's denominator.
func TestFillPointPricesViaApplyCost(t *testing.T) {
	res := &results.Result{
		Window: results.Window{StartS: 10, EndS: 110, DurationS: 100},
		Fleet: &results.FleetInfo{GPUs: 4, Pools: []results.PoolInfo{{Role: "colocated", GPU: "h100", Instances: 4,
			GPUsPerInstance: 1, GPUs: 4, USDPerGPUHour: 36, GPUSeconds: 200, BusySeconds: 100}}},
		Classes: map[string]*results.ClassResult{"chat": {Kind: "chat", Requests: 10, Completed: 10, Tasks: 10, OutputTokens: new(int64(1000))}},
		Totals:  &results.ClassResult{Kind: "chat", Requests: 10, Completed: 10, Tasks: 10, OutputTokens: new(int64(1000))},
	}
	require.NoError(t, results.ApplyCost(res, results.CostInputs{}))
	var sp sweepfile.Point
	FillPoint(&sp, res)
	require.Equal(t, 2.0, res.Cost.USD, "200 GPU-seconds at $36/h")
	require.Equal(t, 2.0, sp.Metrics["usd"], "not 4 GPUs x 100 s = $4")
	require.Equal(t, 144.0, sp.Metrics["usd_per_hour"], "4 GPUs provisioned at $36/h")
	require.InDelta(t, 0.2, sp.Metrics["usd_per_task"], 1e-9)
	require.InDelta(t, 2000.0, sp.Metrics["usd_per_mtok_output"], 1e-9)
	// Busy time and GPU time are both within the window: 100 / 200 instance-s.
	require.InDelta(t, 0.5, sp.Metrics["utilization"], 1e-9)
	require.Equal(t, *res.Cost.ByPool["colocated"].Utilization, sp.Metrics["utilization"])
}

// TestFillPointLeavesUndefinedOut: a video-only point has no prompt tokens,
// so no cache hit rate (was 0, shown as "0.0%" hit), and no token
// throughput (was 0); a point where nothing was measured has no SLO
// attainment (was 0).
func TestFillPointLeavesUndefinedOut(t *testing.T) {
	video := &results.ClassResult{Kind: "video", Requests: 4, Completed: 4, Tasks: 4, Clips: 4, VideoSeconds: 20, SLOMet: 4, SLOAttainment: new(float64), RequestsPerS: new(0.04), GoodputRPS: new(0.04)}
	*video.SLOAttainment = 1
	res := &results.Result{Window: results.Window{DurationS: 100}, Classes: map[string]*results.ClassResult{"t2v": video}, Totals: video}
	var sp sweepfile.Point
	FillPoint(&sp, res)
	for _, key := range []string{"cache_hit_rate", "output_tok_s"} {
		_, ok := sp.Metrics[key]
		require.False(t, ok, key)
	}
	require.Equal(t, 1.0, sp.Metrics["slo_attainment"])
	require.Equal(t, 0.04, sp.Metrics["requests_per_s"])

	empty := &results.ClassResult{Kind: "chat"}
	res = &results.Result{Window: results.Window{DurationS: 100}, Classes: map[string]*results.ClassResult{"chat": empty}, Totals: empty}
	FillPoint(&sp, res)
	for _, key := range []string{"cache_hit_rate", "slo_attainment"} {
		_, ok := sp.Metrics[key]
		require.False(t, ok, key)
	}
}

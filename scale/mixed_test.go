package scale

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestMixedLevelHasNoPooledLatency: a level's metrics (JSON, CSV) are its
// chosen point's; for a scenario whose classes are of different kinds the
// point's latency percentiles pool chat turns with agent steps and video
// jobs, and the level has no kind to label them, so they are left out
// (the probe keeps them, labelled kind mixed, with each class's).
func TestMixedLevelHasNoPooledLatency(t *testing.T) {
	pt := sweepfile.Point{Fleet: "2P4D+8V", GPUs: 32, MeetsSLO: true, Kind: "mixed",
		Metrics: map[string]float64{"ttft_p99_ms": 765, "e2e_p99_ms": 23937, "usd_per_task": 0.01, "cache_hit_rate": 0.9},
		Classes: map[string]map[string]float64{"chat": {"ttft_p99_ms": 202}}}
	var L Level
	L.fill(&found{kind: "pd", pt: pt})
	require.Equal(t, map[string]float64{"usd_per_task": 0.01, "cache_hit_rate": 0.9}, L.Metrics)
	require.Contains(t, pt.Metrics, "ttft_p99_ms", "the probe is not changed")
	var b bytes.Buffer
	require.NoError(t, Render(&b, &Curve{Levels: []Level{L}}, "csv"))
	require.NotContains(t, b.String(), "ttft")

	pt.Kind = ""
	L.fill(&found{kind: "pd", pt: pt})
	require.Contains(t, L.Metrics, "ttft_p99_ms", "one kind: kept")
}

// TestVideoPoolCurveIsConsistent: on a fleet with a video pool (held at
// the scenario's size by the search), the "GPUs per 1k req/s" column
// counted every GPU over every request while its change and split (the
// token identity) counted the LLM pools only: mixed-platform 1x -> 2x
// printed "GPUs per 1k req/s change +60.1% (3812 -> 2487)". Column, change
// and notes now share one scope, the LLM pools and requests, and say so.
func TestVideoPoolCurveIsConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates")
	}
	sc, err := scenarios.Resolve("mixed-platform")
	require.NoError(t, err)
	s := &Searcher{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: 2, Cost: &results.CostInputs{},
		Workload: scenarios.WorkloadOptions{Duration: 2 * time.Minute}}
	c, err := s.Run(Spec{Levels: []float64{1, 2}, Kinds: []string{KindColocated}})
	require.NoError(t, err)
	require.Len(t, c.Levels, 2)
	for _, l := range c.Levels {
		require.NotEmpty(t, l.Fleet, l.Note)
		require.Equal(t, 32, l.VideoGPUs, l.Fleet)
		require.InEpsilon(t, float64(l.GPUs-l.VideoGPUs)/l.Factors.RequestsPerS*1000, l.GPUsPer1kRPS, 1e-9)
		require.InEpsilon(t, l.Factors.GPUsPerRPS*1000, l.GPUsPer1kRPS, 1e-3, "the identity's own figure")
	}
	a, b := c.Levels[0], c.Levels[1]
	require.InDelta(t, (b.GPUsPer1kRPS/a.GPUsPer1kRPS-1)*100, b.Change.Total, 0.1, "the change is of the figure shown beside it")
	require.Contains(t, strings.Join(c.Notes, "\n"), "LLM GPUs per 1k LLM req/s change")
	var tbl bytes.Buffer
	require.NoError(t, Render(&tbl, c, "table"))
	require.Contains(t, tbl.String(), "LLM GPUs/1k rps")
	require.Contains(t, tbl.String(), "the video pools (held at the scenario's size) and clips are outside the token identity")
}

// Ctrl-C during scale killed it and lost every level searched. A search
// stopped mid-level (probes not run) has no answer at that level — a
// smaller fleet it did not try might have met the SLOs — and later levels
// are not searched; the curve says it was interrupted.
func TestScaleInterrupted(t *testing.T) {
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	var probes []string
	model := fakeModel(20, 15, 10, &probes)
	n := 0
	stop := make(chan struct{})
	s := &Searcher{Scenario: sc, Base: sim.Config{TP: 4}, Jobs: 1, Stop: stop,
		fake: func(fleet string, level float64) probeOut {
			n++
			if level >= 10 { // interrupted during the second level's search
				if n > 1 {
					select {
					case <-stop:
					default:
						close(stop)
					}
				}
				return probeOut{pt: sweepfile.Point{Fleet: fleet, Error: sweep.NotRun}}
			}
			return model(fleet, level)
		}}
	c, err := s.Run(Spec{Levels: []float64{1, 10, 100}, Kinds: []string{KindColocated}, MaxInstances: 4096})
	require.NoError(t, err)
	require.True(t, c.Interrupted)
	require.Len(t, c.Levels, 2, "the third level is not searched")
	require.NotEmpty(t, c.Levels[0].Fleet)
	require.Empty(t, c.Levels[1].Fleet, "no answer from a search cut short")
	require.Contains(t, c.Levels[1].Note, "interrupted")
	require.False(t, c.Levels[1].NothingMeasured)
}

// A probe running when Ctrl-C came is cut short (sweep.CutShort): its
// partial figures read as a miss, and a search whose last probe it was
// answered from it. A level with a probe cut short has no answer either.
func TestScaleProbeCutShort(t *testing.T) {
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	var probes []string
	model := fakeModel(20, 15, 10, &probes)
	stop := make(chan struct{})
	s := &Searcher{Scenario: sc, Base: sim.Config{TP: 4}, Jobs: 1, Stop: stop,
		fake: func(fleet string, level float64) probeOut {
			if level >= 10 {
				select {
				case <-stop:
				default:
					close(stop)
				}
				return probeOut{pt: sweepfile.Point{Fleet: fleet, Error: "interrupted at virtual time 1m0s: the point was cut short, its partial figures are left out"}}
			}
			return model(fleet, level)
		}}
	c, err := s.Run(Spec{Levels: []float64{1, 10, 100}, Kinds: []string{KindColocated}, MaxInstances: 4096})
	require.NoError(t, err)
	require.True(t, c.Interrupted)
	require.Len(t, c.Levels, 2)
	require.Empty(t, c.Levels[1].Fleet, "no answer from a search cut short")
	require.Contains(t, c.Levels[1].Note, "interrupted")
}

// Probes over the model's context are said, as in a sweep.
func TestScaleSaysOverContext(t *testing.T) {
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	var probes []string
	model := fakeModel(20, 15, 10, &probes)
	s := &Searcher{Scenario: sc, Base: sim.Config{TP: 4}, Jobs: 1,
		fake: func(fleet string, level float64) probeOut {
			out := model(fleet, level)
			out.pt.OverContext = &results.OverContext{Requests: 3, LongestTokens: 140000, ContextTokens: 131072}
			return out
		}}
	c, err := s.Run(Spec{Levels: []float64{1}, Kinds: []string{KindColocated}, MaxInstances: 4096})
	require.NoError(t, err)
	require.Contains(t, strings.Join(c.Notes, "\n"), "points served requests over the model's context (up to 3 requests per point, the longest 140000 tokens, context 131072)")
}

// A class whose every request fails on every probe (too long for any
// instance's KV cache) made scale answer "no fleet up to 4096 instances
// per pool meets every SLO", a capacity answer for a workload no fleet
// serves: the level now names the class.
func TestScaleSaysAClassFailedOnEveryProbe(t *testing.T) {
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	s := &Searcher{Scenario: sc, Base: sim.Config{TP: 4}, Jobs: 1,
		fake: func(fleet string, level float64) probeOut {
			return probeOut{pt: sweepfile.Point{Fleet: fleet, Metrics: map[string]float64{"requests_per_s": 2}, FailedClasses: []string{"huge"}}}
		}}
	c, err := s.Run(Spec{Levels: []float64{1}, Kinds: []string{KindColocated}, MaxInstances: 64})
	require.NoError(t, err)
	require.Len(t, c.Levels, 1)
	require.Contains(t, c.Levels[0].Note, "every request of class huge failed on every probe")
	require.NotContains(t, c.Levels[0].Note, "no fleet up to")
}

// Calibrate ignored Stop: a Ctrl-C during the calibration run could not
// end it. A closed Stop now cuts it short with ErrInterrupted.
func TestCalibrateStops(t *testing.T) {
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	stop := make(chan struct{})
	close(stop)
	s := &Searcher{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: 1, Stop: stop}
	_, _, err = s.Calibrate(false)
	require.ErrorIs(t, err, ErrInterrupted)
}

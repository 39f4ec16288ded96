package livesweep

import (
	"bytes"
	"context"
	"math"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/internal/hostnoise"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/serve"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// liveScenario is a short chat load on one llama-3.1-8b H100 instance
// with a TTFT p99 bound of 400 ms; the simulator's max load for 1C is
// 1.5× (misses at 1.625×) with 100 requests per step.
const liveScenario = "testdata/live.yaml"

func recordWithTTFT(class string, ns int64) *results.Record {
	return &results.Record{Class: class, Sent: 1, FirstToken: 1 + ns, LastToken: 2 + ns}
}

// startServe runs fleetbench serve's engine for fleet on loopback.
func startServe(t *testing.T, sc *scenarios.Scenario, fleet string) string {
	t.Helper()
	s, err := serve.New(serve.Options{Scenario: sc, Config: sim.Config{Fleet: fleet, Model: "llama-3.1-8b", GPU: "h100", TP: 1}})
	require.NoError(t, err)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return hs.URL + "/v1"
}

func newRunner(t *testing.T, sc *scenarios.Scenario, url string, requests int, predict string) *Runner {
	r := &Runner{Scenario: sc, Client: runners.Config{Target: url, Model: "llama-3.1-8b", IgnoreEOS: true},
		Workload: scenarios.WorkloadOptions{Requests: requests}, MaxTime: 5 * time.Minute}
	if predict != "" {
		r.Predict = &Prediction{Sim: &sweep.Runner{Scenario: sc, Workload: r.Workload,
			Base: sim.Config{Fleet: predict, Model: "llama-3.1-8b", GPU: "h100", TP: 1}}}
	}
	return r
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

// A three-step rate grid against serve on loopback, predicted for the same
// fleet: the file has both sides per step, reads back as a sweep file, and
// the step at 3× (the simulator's TTFT p99 there is ~1 s against a 400 ms
// bound; 408 ms already at 2×) is missed. Short (3×40 requests, ~10 s) and
// with wide margins, so it runs in make test: host load adds latency on
// both steps, which can only move 1× (p99 ~200 ms) towards its bound.
func TestRateGridAgainstServe(t *testing.T) {
	sc, err := scenarios.Load(liveScenario)
	require.NoError(t, err)
	url := startServe(t, sc, "1C")
	r := newRunner(t, sc, url, 40, "1C")
	sw, err := Run(context.Background(), r, sweep.Spec{Grid: sweep.Grid{RateScales: []float64{1, 1.2, 3}}}, nil)
	require.NoError(t, err)
	t.Logf("load average %s", loadavg())
	var b bytes.Buffer
	require.NoError(t, sweep.Render(&b, sw, "table"))
	t.Log("\n" + b.String())
	require.Len(t, sw.Points, 3)
	require.Len(t, sw.Predicted, 3)
	require.Equal(t, "1C", sw.PredictedFleet)
	require.True(t, strings.HasPrefix(sw.Target, "http://127.0.0.1:"))
	require.Empty(t, sw.Points[2].Error)
	require.False(t, sw.Points[2].MeetsSLO, "3× is far over the TTFT bound")
	require.False(t, sw.Predicted[2].MeetsSLO)
	require.True(t, sw.Predicted[0].MeetsSLO)
	for _, p := range append(sw.Points[:2:2], sw.Predicted...) {
		for _, k := range []string{"ttft_p50_ms", "ttft_p99_ms", "tpot_p50_ms", "tpot_p99_ms", DeliveredKey, "cache_hit_rate"} {
			require.Contains(t, p.Metrics, k, "point %d", p.Index)
		}
	}
	// Each step has fresh prompts (PromptSalt): the second step's hit
	// rate is the scenario's own sharing, as predicted, not a replay of
	// the first step's prompts (which gave 99.8% before the salt). Step
	// 1 ran to its end; a step stopped early (3×) keeps only what
	// finished, cached requests first, so its hit rate is not compared.
	if sw.Points[1].Stopped == "" { // a very loaded host (-race) may push 1.2× over the bound
		require.InDelta(t, sw.Predicted[1].Metrics["cache_hit_rate"], sw.Points[1].Metrics["cache_hit_rate"], 0.1)
	} else {
		t.Logf("1.2× stopped early on this host (%s): fresh-prompt check skipped", sw.Points[1].Stopped)
	}

	var js bytes.Buffer
	require.NoError(t, sweepfile.WriteJSON(&js, sw))
	back, err := sweepfile.Decode(&js, "live.json")
	require.NoError(t, err)
	require.Equal(t, sw.Target, back.Target)
	require.Len(t, back.Predicted, 3)
}

// The acceptance test of issue 17: a live max-load search against serve on
// loopback (the simulated 1C fleet played in real time) finds the same
// multiplier as the simulator's max-load for 1C, within one bisection
// step (the simulator's final bracket). ~35 s of real load; measured on a
// 2-core box at load average ~21 (8 helpers compiling): live 1.375×,
// simulator 1.5× (bracket 1.5-1.625). The host's load delays tokens on
// loopback and moves TTFT p99 by tens of ms near the 400 ms bound, which is
// why the agreement is one bisection step and not exact, and why this runs
// only in make test-realtime (FLEETBENCH_REALTIME=1).
func TestLiveMaxLoadMatchesSimulator(t *testing.T) {
	if !hostnoise.Strict() {
		t.Skip("a 35 s wall-clock search: runs in `make test-realtime` (FLEETBENCH_REALTIME=1)")
	}
	sc, err := scenarios.Load(liveScenario)
	require.NoError(t, err)
	url := startServe(t, sc, "1C")
	r := newRunner(t, sc, url, 100, "1C")
	spec := sweep.Spec{Search: sweepfile.SearchMaxLoad, Tolerance: 0.1}
	sw, err := Run(context.Background(), r, spec, nil)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, sweep.Render(&b, sw, "table"))
	t.Logf("load average %s\n%s", loadavg(), b.String())
	live, ok := sw.MaxLoad()
	require.True(t, ok)
	require.NotNil(t, sw.PredictedAnswer)
	pred := sw.PredictedAnswer.RateScale
	// The simulator's bracket: its answer and the lowest multiplier it
	// saw missed.
	own := &sweepfile.Sweep{}
	require.NoError(t, sweep.MaxLoad(spec, []sweep.Point{{Fleet: "1C", GPU: "h100", TP: 1, RateScale: 1}}, 1, r.Predict.Sim.One, own))
	hi := math.Inf(1)
	for _, p := range own.Points {
		if !p.MeetsSLO && p.RateScale > pred {
			hi = math.Min(hi, p.RateScale)
		}
	}
	step := hi - pred
	t.Logf("live max load %g×, simulator %g× (misses at %g×): one bisection step = %g", live, pred, hi, step)
	require.LessOrEqual(t, math.Abs(live-pred), step+1e-9, "live %g× vs simulator %g×", live, pred)
}

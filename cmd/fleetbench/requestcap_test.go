package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// `sim video-burst --requests 300` simulated 29 clips and said nothing:
// the scenario's 20 minutes end its arrivals long before 300. It warns
// now, with the duration that would reach the cap; a cap the duration
// reaches (chat: 3300 expected in 10 minutes) is silent.
func TestSimWarnsWhenRequestsIsNotReached(t *testing.T) {
	code, _, stderr := runCLI("sim", "video-burst", "--requests", "300")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "fleetbench: warning: --requests 300 will not be reached: the scenario's duration 20m0s ends the arrivals after about 28.8 top-level requests or tasks")
	require.Contains(t, stderr, "add --duration 3h26m45s (or longer) to reach 300")

	code, _, stderr = runCLI("sim", "video-burst", "--requests", "300", "--duration", "5m")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "--duration 5m0s ends the arrivals")

	code, _, stderr = runCLI("sim", "chat", "--requests", "100")
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stderr, "will not be reached")
}

// A simulated sweep's points take the same cap: sweep agent-coding
// --requests 300 ran ~60 sessions a point, silently. It warns at the
// grid's lowest traffic multiplier (whose points reach the cap last).
func TestSweepWarnsWhenRequestsIsNotReached(t *testing.T) {
	out := t.TempDir() + "/sw.json"
	code, _, stderr := runCLI("sweep", "agent-coding", "--requests", "300", "--fleet", "2C", "--rate-scale", "4,2", "-o", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "fleetbench: warning: --requests 300 will not be reached at 2x traffic: the scenario's duration 10m0s ends the arrivals after about 120 top-level requests or tasks")

	code, _, stderr = runCLI("sweep", "chat", "--requests", "200", "--fleet", "2C", "-o", out)
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stderr, "will not be reached")
}

// A max-load search chooses its probes' loads itself, so the cap cannot be
// checked before it runs: sweep chat --search max-load --requests 400
// --duration 1m probed 1x (330 expected arrivals in the minute) among
// 8 probes and said nothing. It warns after the search, naming the
// probes whose load the duration ended before the cap.
func TestMaxLoadWarnsWhenRequestsIsNotReached(t *testing.T) {
	out := t.TempDir() + "/ml.json"
	code, _, stderr := runCLI("sweep", "chat", "--search", "max-load", "--fleet", "1C", "--requests", "400", "--duration", "1m", "-o", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "fleetbench: warning: --requests 400 was not reached at 1 of 8 probes (1x traffic): --duration 1m0s ends the arrivals after about 330 top-level requests or tasks at 1x (expected at the classes' mean rates), so their figures rest on fewer requests than asked; add --duration 1m13s (or longer) to reach 400 at 1x")

	code, _, stderr = runCLI("sweep", "chat", "--search", "max-load", "--fleet", "1C", "--requests", "300", "--duration", "1m", "-o", out)
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stderr, "reached")
}

// scale's levels are known once they are parsed (or calibrated): scale
// chat --traffic 1,3 --requests 400 --duration 40s searched 1x on 220
// expected arrivals, silently. It warns before the search, naming the
// levels.
func TestScaleWarnsWhenRequestsIsNotReached(t *testing.T) {
	code, _, stderr := runCLI("scale", "chat", "--traffic", "1,3", "--kinds", "colocated", "--duration", "40s", "--requests", "400", "--max-instances", "2")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "fleetbench: warning: --requests 400 will not be reached at 1 of 2 traffic levels (1x traffic): --duration 40s ends the arrivals after about 220 top-level requests or tasks at 1x (expected at the classes' mean rates), so their figures rest on fewer requests than asked; add --duration 1m13s (or longer) to reach 400 at 1x")
}

// A scale curve (sweep --scale) runs each point at its rate scale times
// its scale: checked at the lowest product, as a grid is.
func TestScaleCurveWarnsWhenRequestsIsNotReached(t *testing.T) {
	out := t.TempDir() + "/sc.json"
	code, _, stderr := runCLI("sweep", "chat", "--fleet", "1C", "--scale", "1,2", "--requests", "400", "--duration", "1m", "-o", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "fleetbench: warning: --requests 400 will not be reached: --duration 1m0s ends the arrivals after about 330 top-level requests or tasks")
}

// A live grid's steps take the cap as simulated points do (warned before
// the load), and a live max-load search's probes are checked after it;
// closed-loop steps (--concurrency) and probes that did not run are left
// out of the count.
func TestLiveSweepWarnsWhenRequestsIsNotReached(t *testing.T) {
	out := t.TempDir() + "/live.json"
	code, _, stderr := runCLI("sweep", liveScenario, "--target", serveFleet(t, "1C"), "--rate-scale", "0.1", "--requests", "30", "--duration", "2s", "-o", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "fleetbench: warning: --requests 30 will not be reached at 0.1x traffic: --duration 2s ends the arrivals after about 2.4 top-level requests or tasks")

	sc, err := scenarios.Load(liveScenario)
	require.NoError(t, err)
	var b strings.Builder
	pts := []sweepfile.Point{{RateScale: 1}, {RateScale: 0.5}, {RateScale: 0.25, Error: "not run"}, {RateScale: 1, Concurrency: 4}, {RateScale: 2}}
	warnProbesRequestCap(&b, sc, scenarios.WorkloadOptions{Requests: 300}, pts)
	require.Equal(t, "fleetbench: warning: --requests 300 was not reached at 2 of 3 probes (0.5x, 1x traffic): the scenario's duration 20s ends the arrivals after about 120 (at 0.5x) to 240 (at 1x) top-level requests or tasks (expected at the classes' mean rates), so their figures rest on fewer requests than asked; add --duration 50s (or longer) to reach 300 at 0.5x\n", b.String())
}

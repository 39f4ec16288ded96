package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// run chat --concurrency 4 --requests 12 against serve printed completed/s
// 1.83 and output tok/s 290 over its window 0-6.573 s, exit 0, silently:
// a closed loop has no warm-up by default, so the 4 tasks still in flight
// when the window ended (the last completed 1.8 s after it) are counted
// over the window with nothing to balance them; 12 completions over the
// whole 8.4 s run are 1.43/s. It warns now, with the bound of the bias and
// what to do; a warm-up (tasks in flight at its end are the warm-up's)
// balances them and is silent.
func TestRunClosedLoopWithoutWarmupWarnsRatesOverstated(t *testing.T) {
	url := serveFleet(t, "1C")
	code, _, stderr := runCLI("run", liveScenario, "--target", url, "--concurrency", "4", "--requests", "12", "-q")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "closed loop without a warm-up: the rates (completed/s, output tok/s, goodput) divide the work of all 12 measured tasks by the window, but the last 4 (its concurrency) were still in flight when it ended, so they overstate the throughput by up to 50% (12 / 8); set --warmup (at least the task E2E p50,")

	code, _, stderr = runCLI("run", liveScenario, "--target", url, "--concurrency", "4", "--requests", "12", "--warmup", "300ms", "-q")
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stderr, "closed loop without a warm-up")
}

package main

import (
	"testing"

	"github.com/stretchr/testify/require"
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

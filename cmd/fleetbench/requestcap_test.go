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

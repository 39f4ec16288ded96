package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// sweep mixed-platform --duration 30s exited 0 with its one point MISSED
// (attainment 100%), and scale said "no fleet up to 2 instances per pool
// meets every SLO at 1x", exit 0: no t2v clip arrived in the window, so
// t2v's SLO was never judged, which no fleet size changes. Both exit 1
// now (outputs written), naming the class, why and what to do.
func TestSweepAndScaleExit1WhenAClassSentNoRequest(t *testing.T) {
	code, stdout, stderr := runCLI("sweep", "mixed-platform", "--duration", "30s")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stdout, "no request of class t2v arrived in the window")
	require.Contains(t, stderr, "class t2v: no request of it arrived in the window on any point of the sweep (1 of 1 ran): its SLO is not judged, so none meets every SLO; lengthen the run (--duration, --requests)")

	code, stdout, stderr = runCLI("scale", "mixed-platform", "--duration", "30s", "--traffic", "1", "--max-instances", "2", "--kinds", "colocated")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stdout, "no answer at 1x: no request of class t2v arrived in the window on any probe")
	require.NotContains(t, stdout, "no fleet up to 2 instances per pool meets every SLO")
	require.Contains(t, stderr, "class t2v: no request of it arrived in the window on any probe at 1x")

	code, _, stderr = runCLI("sweep", "chat", "--duration", "20s", "--fleet", "1P1D")
	require.Equal(t, 0, code, stderr)
}

package htmlreport

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMixedSweepHasNoPooledLatency: a sweep whose points pool classes of
// different kinds (kind mixed, e.g. mixed-platform's chat, agents and
// video) drew its totals' TTFT p99 in the points table, the answer line
// and the cost-latency Pareto chart, as if it were a request's latency.
// Now those are left out and a note says why (the terminal table does the
// same); the same sweep of one kind keeps them.
func TestMixedSweepHasNoPooledLatency(t *testing.T) {
	page := func(mixed bool) string {
		s := fixtureSweep()
		for i := range s.Points {
			if mixed {
				s.Points[i].Kind = "mixed"
			}
		}
		if s.Answer != nil && mixed {
			s.Answer.Kind = "mixed"
		}
		var buf bytes.Buffer
		require.NoError(t, render(&buf, Input{Sweeps: []SweepRun{{Label: "min-fleet", Sweep: s}}}, libStub))
		return buf.String()
	}
	one := page(false)
	for _, kept := range []string{"TTFT p99 ms", "Pareto frontier", "TTFT p99 "} {
		require.Contains(t, one, kept)
	}
	require.NotContains(t, one, "kind mixed")
	mixed := page(true)
	for _, gone := range []string{"TTFT p99", "E2E p99", "TPOT p99", "Pareto frontier"} {
		require.NotContains(t, mixed, gone)
	}
	require.Contains(t, mixed, "no latency over classes of different kinds (kind mixed)")
	require.Contains(t, mixed, "$ / task", "the other figures stay")
}

package sweep

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// TestSweepSaysOverContext: sim warns when requests exceed the model's
// context (a server refuses them), but a sweep of agent-coding ranked its
// points and could answer from them without a word, though 9% of their
// requests would be refused. Each point counts them (over_context) and a
// note says so.
func TestSweepSaysOverContext(t *testing.T) {
	sc, err := scenarios.Resolve("agent-coding")
	require.NoError(t, err)
	r := &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: 1,
		Workload: scenarios.WorkloadOptions{Requests: 2000}}
	sw, err := Run(r, Spec{Grid: Grid{Fleets: []string{"3P5D"}}})
	require.NoError(t, err)
	require.Len(t, sw.Points, 1)
	require.NotNil(t, sw.Points[0].OverContext)
	require.EqualValues(t, 180, sw.Points[0].OverContext.Requests)
	require.Contains(t, strings.Join(sw.Notes, "\n"), "1 of 1 points served requests over the model's context (up to 180 requests per point, the longest 226101 tokens, context 131072)")
	// Its slo cell is marked, as a result's verdict is, and the note
	// explains the mark.
	var b strings.Builder
	require.NoError(t, Render(&b, sw, "table"))
	require.Regexp(t, `(met|MISSED)`+results.OverContextMark, b.String())
	require.Contains(t, b.String(), results.OverContextMark+" "+results.OverContextNote)

	chat := chatRunner(t, 1)
	sw, err = Run(chat, Spec{Grid: Grid{Fleets: []string{"1P1D"}}})
	require.NoError(t, err)
	require.Nil(t, sw.Points[0].OverContext)
	require.NotContains(t, strings.Join(sw.Notes, "\n"), "context")
}

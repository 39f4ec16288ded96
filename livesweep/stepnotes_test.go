package livesweep

import (
	"context"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sweep"
)

// sweep live.yaml --target serve --concurrency 1,4 --requests 12 printed
// its table and one note: the steps' own warnings (here each closed loop's
// rates overstated for want of a warm-up) were in the sweep file's points
// only, where the simulated sweep lists them as notes. They are notes now,
// as there (sweepfile.WarningsNotes: one per kind, naming the first step).
func TestLiveStepWarningsAreNotes(t *testing.T) {
	sc, err := scenarios.Load(liveScenario)
	require.NoError(t, err)
	r := newRunner(t, sc, startServe(t, sc, "1C"), 8, "")
	sw, err := Run(context.Background(), r, sweep.Spec{}, []int{2})
	require.NoError(t, err)
	require.Len(t, sw.Points, 1)
	require.NotEmpty(t, sw.Points[0].Warnings)
	notes := strings.Join(sw.Notes, "\n")
	require.Contains(t, notes, "closed loop without a warm-up: 1 of 1 steps (step 0 (concurrency 2): the rates")
}

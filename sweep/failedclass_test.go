package sweep

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestPointNamesAClassThatFailedWhole: a sweep point one of whose classes
// completed nothing read MISSED like a fleet too small for its load; the
// point names the class (failed_classes) and the table says every request
// of it failed, which no fleet size changes.
func TestPointNamesAClassThatFailedWhole(t *testing.T) {
	sw := mixFailSweep(t)
	for _, p := range sw.Points {
		require.Equal(t, []string{"huge"}, p.FailedClasses)
		require.Positive(t, p.FailedErrors["huge"]["too_long"], "why: the errors")
		require.False(t, p.MeetsSLO)
	}
	var b strings.Builder
	require.NoError(t, Render(&b, sw, "table"))
	require.Regexp(t, `point 0 \(1C\): every request of class huge failed \(\d+ too_long\): no fleet size changes that`, b.String())
}

// mixFailSweep sweeps testdata/mixfail.yaml (no tp set; class huge fails
// too_long everywhere) over fleets 1C and 2C.
func mixFailSweep(t *testing.T) *sweepfile.Sweep {
	t.Helper()
	sc, err := scenarios.Load("testdata/mixfail.yaml")
	require.NoError(t, err)
	r := &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: 1}
	sw, err := Run(r, Spec{Grid: Grid{Fleets: []string{"1C", "2C"}}})
	require.NoError(t, err)
	return sw
}

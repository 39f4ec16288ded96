package sweep

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// sweep mixed-platform --duration 30s marked its point MISSED (attainment
// 100%), and scale said "no fleet up to 4 instances per pool meets every
// SLO at 1x": no t2v clip arrived in the 26 s window (bursts every 5
// minutes), so t2v's SLO was not measured, which is not met, and nothing
// said so. A point now lists such classes (idle_classes) and the table
// says why its SLO cell is not met and what to do.
func TestPointSaysAClassSentNoRequest(t *testing.T) {
	sc, err := scenarios.Resolve("mixed-platform")
	require.NoError(t, err)
	r := &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: 1,
		Workload: scenarios.WorkloadOptions{Duration: 30 * time.Second}}
	sw, err := Run(r, Spec{})
	require.NoError(t, err)
	require.Len(t, sw.Points, 1)
	p := sw.Points[0]
	require.Empty(t, p.Error)
	require.False(t, p.MeetsSLO)
	require.Equal(t, []string{"t2v"}, p.IdleClasses)
	var b bytes.Buffer
	require.NoError(t, Render(&b, sw, "table"))
	require.Contains(t, b.String(), "point 0 (4P8D+32V): no request of class t2v arrived in the window: its SLO is not judged, so the point does not meet every SLO; lengthen the run (--duration, --requests)")
}

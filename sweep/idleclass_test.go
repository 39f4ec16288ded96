package sweep

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
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

// The searches said the wrong thing of such a class: max-load bisected
// down to 1/1024× and noted "misses its SLOs even at 0.0009765625×: the
// SLO is out of reach for this fleet", min-fleet "no grid point meets
// every SLO: widen the grid". Both now say no answer, why, and to lengthen
// the run.
func TestSearchesSayAClassSentNoRequest(t *testing.T) {
	sc, err := scenarios.Resolve("mixed-platform")
	require.NoError(t, err)
	r := &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: 1,
		Workload: scenarios.WorkloadOptions{Duration: 30 * time.Second}}
	sw, err := Run(r, Spec{Search: sweepfile.SearchMaxLoad})
	require.NoError(t, err)
	require.Nil(t, sw.Answer)
	require.Len(t, sw.Points, 1, "no bisection down: less traffic sends fewer")
	joined := strings.Join(sw.Notes, "\n")
	require.Contains(t, joined, "no answer: no request of class t2v arrived in the window at 1× the scenario's traffic")
	require.NotContains(t, joined, "out of reach")

	sw, err = Run(r, Spec{Search: sweepfile.SearchMinFleet, Grid: Grid{Fleets: []string{"1P1D+32V", "2P2D+32V"}}})
	require.NoError(t, err)
	require.Nil(t, sw.Answer)
	joined = strings.Join(sw.Notes, "\n")
	require.Contains(t, joined, "no answer: no request of class t2v arrived in the window at any point")
	require.NotContains(t, joined, "widen the grid")
}

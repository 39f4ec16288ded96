package sweep

import (
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestCtrlCCutsARunningPointShort: Ctrl-C during a simulated sweep let a
// point already running simulate to its end (minutes, on a long
// --duration). The point now gets the sweep's Stop (sim.Config.Stop): it
// stops at its next virtual second and is marked cut short, its partial
// figures left out (not ranked, not an answer, no Pareto point), the
// points not started are not run, and the search draws no conclusion.
func TestCtrlCCutsARunningPointShort(t *testing.T) {
	r := chatRunner(t, 1)
	r.Workload.Duration = 2 * time.Hour
	stop := make(chan struct{})
	var once sync.Once
	r.Stop = stop
	r.Base.Progress = func(virtualNs int64, _ uint64) {
		if virtualNs >= int64(90*time.Second) {
			once.Do(func() { close(stop) })
		}
	}
	start := time.Now()
	sw, err := Run(r, Spec{Search: sweepfile.SearchMinFleet, Grid: Grid{Fleets: []string{"1P1D", "2P2D"}}})
	require.NoError(t, err)
	t.Logf("swept in %s", time.Since(start))
	require.Len(t, sw.Points, 2)
	cut, notRun := sw.Points[0], sw.Points[1]
	require.True(t, CutShort(&cut), cut.Error)
	require.Contains(t, cut.Error, "interrupted at virtual time 1m30s")
	require.False(t, cut.MeetsSLO)
	require.Nil(t, cut.Metrics)
	require.False(t, cut.Measured())
	require.Equal(t, NotRun, notRun.Error)
	require.Nil(t, sw.Answer)
	require.NotContains(t, strings.Join(sw.Notes, "\n"), "no grid point meets every SLO", "no conclusion from a search cut short")
}

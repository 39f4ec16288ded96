package sweep

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// A point's gpu was the grid's (or the fallback "h100") even where the
// fleet names its own GPUs: `sweep moe-platform --fleet 4P1D,2P1D` listed
// "4P:h800x32/ep32/dp32 1D:h800x144/ep144/dp144  h100" (priced at the
// H800's $2, 544 $/h for 272 GPUs) and its answer read "on h100";
// "2P:h200 4D:h20" read h100 too. The point's gpu is now what its fleet
// ran on, from the result: one type, or the pools' types joined by "+".
func TestPointGPUIsWhatTheFleetRanOn(t *testing.T) {
	sc, err := scenarios.Resolve("moe-platform")
	require.NoError(t, err)
	r := &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: 1, Workload: scenarios.WorkloadOptions{Duration: 5 * time.Second}}
	p := r.One(Point{Fleet: "4P1D", Routing: "session", RateScale: 0.1})
	require.Empty(t, p.Error)
	require.Equal(t, "h800", p.GPU)

	c := chatRunner(t, 1)
	c.Workload.Duration = 10 * time.Second
	p = c.One(Point{Fleet: "2P:h200 4D:h20", GPU: "h100", TP: 4, RateScale: 1})
	require.Empty(t, p.Error)
	require.Equal(t, "h200+h20", p.GPU)
	p = c.One(Point{Fleet: "2P4D", GPU: "h200", TP: 4, RateScale: 1})
	require.Equal(t, "h200", p.GPU, "the grid's GPU where the fleet names none")
}

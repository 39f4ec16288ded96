package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// TestWindowBusyTime: pools report busy time inside the measurement window
// (warm-up end to last arrival), with the steps running at either edge
// split at the edge. A request arriving at 0 keeps the instance decoding
// without a gap past 5 s, so the window [1 s, 5 s] is busy for exactly
// 4 s; with a short first request the instance idles through the window.
func TestWindowBusyTime(t *testing.T) {
	sc := oneClass()
	sc.Warmup = time.Second
	for _, tc := range []struct {
		name   string
		out    int     // output tokens of the warm-up request
		busy   float64 // window busy seconds
		charge bool    // the measured request is charged for GPU time
	}{
		{"busy across both edges", 2000, 4, true},
		{"idle window", 5, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			reqs := []*scenarios.Request{
				req(1, 0, tc.out, scenarios.Block{ID: 1, Tokens: 1000}),
				req(2, 5e9, 10, scenarios.Block{ID: 2, Tokens: 100}),
			}
			res, _, err := RunSource(sc, &sliceSource{reqs: reqs}, 1, unitCfg)
			require.NoError(t, err)
			require.Equal(t, int64(1e9), res.Window.StartNs)
			require.Equal(t, int64(5e9), res.Window.EndNs, "the window ends at the last arrival")
			require.Greater(t, res.Window.DrainEndS, 5.0)
			require.Equal(t, int64(1), res.Totals.Requests, "the warm-up request is not measured")
			require.Equal(t, tc.busy, res.Fleet.Pools[0].BusySeconds)
			require.NoError(t, results.ApplyCost(res, results.CostInputs{}))
			u, _ := res.Cost.ByPool["colocated"].Util()
			require.InDelta(t, tc.busy/4, u, 1e-9)
			require.InDelta(t, 4.0/3600*2.69, res.Cost.USD, 1e-6, "1 GPU over the 4 s window")
			// All of the window's cost goes to the measured request's class.
			require.Equal(t, 1.0, res.Attribution["c"]["colocated"])
			require.InDelta(t, res.Cost.USD, res.Classes["c"].Cost.USD, 1e-9)
		})
	}
}

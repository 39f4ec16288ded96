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

// TestAttributionIsTheWindowsBusyTime: a shared pool's cost is split by
// the classes' busy time inside the window, not by all the GPU time their
// measured requests used. Two requests, one of each class, arrive
// together and decode side by side through the window [0, 5 s]; after it,
// the "long" one decodes alone for minutes. It was charged that drain
// time too, ~95% of the pool for half of the window's work (sim
// moe-platform: coding 82% of the decode pool over 3 minutes, 46% over
// 24, while it made ~11% of the output tokens).
func TestAttributionIsTheWindowsBusyTime(t *testing.T) {
	sc := &scenarios.Scenario{Name: "unit", Classes: []scenarios.Class{
		{Name: "short", Kind: scenarios.KindChat}, {Name: "long", Kind: scenarios.KindChat}}}
	of := func(class string, r *scenarios.Request) *scenarios.Request {
		r.Class = class
		if class == "long" {
			r.ClassIndex = 1
		}
		return r
	}
	reqs := []*scenarios.Request{
		of("long", req(1, 0, 20000, scenarios.Block{ID: 1, Tokens: 1000})),
		of("short", req(2, 0, 1000, scenarios.Block{ID: 2, Tokens: 1000})),
		of("short", req(3, 5e9, 10, scenarios.Block{ID: 3, Tokens: 100})),
	}
	res, _, err := RunSource(sc, &sliceSource{reqs: reqs}, 1, unitCfg)
	require.NoError(t, err)
	require.Equal(t, int64(5e9), res.Window.EndNs)
	require.Greater(t, res.Window.DrainEndS, 100.0, "the long request decodes alone long after the window")
	long, short := res.Attribution["long"]["colocated"], res.Attribution["short"]["colocated"]
	require.InDelta(t, 1.0, long+short, 1e-9)
	require.InDelta(t, 0.5, long, 0.02, "side by side through the window: half each")
	require.NoError(t, results.ApplyCost(res, results.CostInputs{}))
	require.InDelta(t, res.Cost.USD/2, res.Classes["long"].Cost.USD, res.Cost.USD*0.02)
}

// TestWindowClassBusySumsToBusyTime: the classes' window busy time of each
// pool adds up to the pool's window busy time, so the snapshots split the
// steps running at the window's edges exactly as busyAt does (mixed
// prefill steps, decode spans and clips), warm-up sequences included.
func TestWindowClassBusySumsToBusyTime(t *testing.T) {
	for _, name := range []string{"mixed-platform", "agent-coding"} {
		t.Run(name, func(t *testing.T) {
			sc := mustBuiltin(t, name)
			wl, err := sc.NewWorkload(scenarios.WorkloadOptions{Duration: 2 * time.Minute})
			require.NoError(t, err)
			defer wl.Close()
			sc.Warmup = 20 * time.Second
			e, err := newEngine(sc, wl, sc.Seed, ConfigFromScenario(sc))
			require.NoError(t, err)
			e.loop()
			require.NoError(t, e.err)
			m := e.marks
			require.True(t, m.endTaken)
			for i := range m.end {
				if i == len(e.fleet.pools) && e.fleet.video == nil {
					continue
				}
				busy := float64(m.end[i] - m.start[i])
				var classes float64
				for c := range m.classEnd[i] {
					classes += m.classEnd[i][c] - m.classStart[i][c]
				}
				require.InDelta(t, busy, classes, 1e-6*max(busy, 1e9), "pool %d", i)
				require.Greater(t, busy, 0.0, "pool %d idle: the test would not test it", i)
			}
		})
	}
}

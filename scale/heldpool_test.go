package scale

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// `scale mixed-platform --traffic 1,2 --duration 3m` probed LLM fleets up
// to 4096P4096D+32V (32,800 GPUs) and answered "no fleet up to 4096
// instances per pool meets every SLO at 1x": every probe fell behind
// (lag share 22%) on the t2v class's queue, on the video pool the search
// holds at the scenario's 32V, which no LLM fleet changes. The level now
// says so, naming the class and the pool.
func TestScaleSaysTheHeldVideoPoolFellBehind(t *testing.T) {
	s := fakeSearcher(t, "mixed-platform", func(fleet string, level float64) probeOut {
		return probeOut{pt: sweepfile.Point{Fleet: fleet + "+4V", FellBehind: true, Metrics: map[string]float64{"requests_per_s": 9, "slo_attainment": 1}},
			heldLag: "t2v"}
	})
	c, err := s.Run(Spec{Levels: []float64{1}, Kinds: []string{KindColocated}, MaxInstances: 64})
	require.NoError(t, err)
	require.Len(t, c.Levels, 1)
	note := c.Levels[0].Note
	require.Contains(t, note, "every probe fell behind on class t2v's queue")
	require.Contains(t, note, "video pool, which the search holds at the scenario's size")
	require.NotContains(t, note, "no fleet up to")
	require.Equal(t, []string{"t2v"}, c.Levels[0].HeldPoolBehind)
}

// heldPoolLag names the video class whose queue is the fleet's lag, and
// nothing when an LLM class waited as long.
func TestHeldPoolLag(t *testing.T) {
	pct := func(maxMs float64) *results.Percentiles { return &results.Percentiles{Count: 10, Max: maxMs} }
	r := &results.Result{
		Window: results.Window{StartNs: 0, EndNs: 160e9, DurationS: 160},
		Classes: map[string]*results.ClassResult{
			"chat": {Kind: "chat", Queue: pct(120), ITL: pct(40)},
			"t2v":  {Kind: "video", Queue: pct(36251)},
		},
	}
	require.Equal(t, "t2v", heldPoolLag(r))
	r.Classes["chat"].Queue = pct(40000)
	require.Equal(t, "", heldPoolLag(r), "an LLM class waited as long: the LLM fleet may be short")
	r.Classes["chat"].Queue = pct(120)
	r.Classes["t2v"].Queue = pct(1500)
	require.Equal(t, "", heldPoolLag(r), "under the lag floor: not behind")
}

// fakeSearcher searches the built-in scenario with fake probes (TP 4, one
// job).
func fakeSearcher(t *testing.T, scenario string, fake func(fleet string, level float64) probeOut) *Searcher {
	t.Helper()
	sc, err := scenarios.Resolve(scenario)
	require.NoError(t, err)
	return &Searcher{Scenario: sc, Base: sim.Config{TP: 4}, Jobs: 1, fake: fake}
}

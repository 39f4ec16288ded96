package sweep

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// usd_per_mtok_all (the scale table's $/Mtok) divided the whole fleet's
// cost, video pool included, by the LLM tokens: mixed-platform on
// 4P8D+32V --duration 3m read 0.4496 USD per Mtok, of which 0.1798 was
// the video pool's cost (the LLM pools' alone: 0.2697). A video pool
// computes no token; its cost is now left out, as the scale curve leaves
// its GPUs out of GPUs per 1k LLM req/s.
func TestPerMtokAllLeavesOutVideoPools(t *testing.T) {
	sc, err := scenarios.Resolve("mixed-platform")
	require.NoError(t, err)
	r := &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: 1, KeepResults: true, Cost: &results.CostInputs{},
		Workload: scenarios.WorkloadOptions{Duration: 3 * time.Minute}}
	p := r.One(Point{Fleet: "4P8D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1})
	require.Empty(t, p.Error)
	c := p.Result.Cost
	video := c.ByPool["video"]
	require.NotNil(t, video)
	require.Positive(t, video.USD)
	in, _, out := p.Result.Totals.Tokens()
	require.InEpsilon(t, (c.USD-video.USD)/float64(in+out)*1e6, p.Metrics["usd_per_mtok_all"], 1e-6)
}

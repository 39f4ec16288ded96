package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// Agent sessions share a 12k-token system prompt and carry ~47k-token
// contexts. Cache-aware routing used to herd them: an instance that never
// got the shared prefix was passed over for the rest of the run (at 100x
// on 109C, 31 instances served nothing) while the holders of the prefix
// ran hot, and a session left its instance whenever a queued turn there
// counted its cached tokens as prefill work to do (5% of later turns
// moved, each recomputing ~15k tokens). The fleet then needed 9C at 10x
// for TPOT p99 50 ms. Routing now passes over a holder carrying more than
// loadBound times the sampled mean and counts only the uncached part of a
// queued prompt: every instance works and 8C meets the SLO.
func TestAgentSessionsSpreadOverTheFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates two minutes of agent-coding at 10x")
	}
	sc, err := scenarios.Resolve("agent-coding")
	require.NoError(t, err)
	cfg := ConfigFromScenario(sc)
	cfg.Fleet = "8C"
	perInst := map[string]int{}
	cfg.Records = func(r *results.Record) error { perInst[r.Instance]++; return nil }
	res, _, err := Run(sc.WithWarmup(12*time.Second), cfg, scenarios.WorkloadOptions{Duration: 2 * time.Minute, RateScale: 10})
	require.NoError(t, err)
	total := 0
	for _, n := range perInst {
		total += n
	}
	require.Len(t, perInst, 8, "every instance serves requests: %v", perInst)
	for in, n := range perInst {
		require.GreaterOrEqual(t, float64(n), 0.5*float64(total)/8, "%s serves under half the mean: %v", in, perInst)
	}
	v := res.Classes["coding"].SLO
	require.NotNil(t, v)
	require.True(t, v.Met, "agent-coding at 10x meets its SLO on 8C: %+v", v.Targets)
}

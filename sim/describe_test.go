package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// The result's fleet section names only the knobs that applied: a
// video-only fleet routes no LLM request and has no KV blocks or batch
// limits (it said routing cache-aware, decode_routing least-loaded,
// block_tokens 16, ...), and a colocated fleet has no decode pool to
// choose from (it said decode_routing least-loaded).
func TestFleetSectionNamesWhatApplied(t *testing.T) {
	fleetOf := func(sc *scenarios.Scenario, fleet string) *results.FleetInfo {
		t.Helper()
		cfg := ConfigFromScenario(sc)
		cfg.Fleet = fleet
		res, _, err := Run(sc, cfg, scenarios.WorkloadOptions{Requests: 20})
		require.NoError(t, err)
		return res.Fleet
	}
	v := fleetOf(mustBuiltin(t, "video-burst"), "16V")
	require.Empty(t, v.Routing)
	require.Empty(t, v.DecodeRouting)
	require.Zero(t, v.BlockTokens)
	require.Zero(t, v.MaxBatchTokens)
	require.Zero(t, v.MaxSeqs)

	chat := mustBuiltin(t, "chat")
	c := fleetOf(chat, "2C")
	require.Equal(t, "cache-aware", c.Routing)
	require.Empty(t, c.DecodeRouting, "no decode pool")
	require.Equal(t, 16, c.BlockTokens)

	pd := fleetOf(chat, "1P2D")
	require.Equal(t, "cache-aware", pd.Routing)
	require.Equal(t, "least-loaded", pd.DecodeRouting)
}

package sim

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
)

// An offered load far past the fleet's capacity (rate: 1e9, --rate-scale
// 1e12) used to queue without bound until the process died with "fatal
// error: out of memory". Past the in-flight bounds the simulator refuses
// arrivals (error class "overloaded"), counts and warns, and finishes.
func TestInflightBoundRefusesArrivals(t *testing.T) {
	defer func(a, b int) { maxInflight, maxInflightHashes = a, b }(maxInflight, maxInflightHashes)
	maxInflight, maxInflightHashes = 50, 1<<20
	var reqs []*scenarios.Request
	for i := range 400 {
		reqs = append(reqs, req(uint64(i+1), int64(i), 64, scenarios.Block{ID: uint64(i), Tokens: 512}))
	}
	recs, res, st := run(t, unitCfg, reqs...)
	require.Len(t, recs, 400, "every arrival has a record")
	refused := 0
	for _, r := range recs {
		if r.ErrorClass == "overloaded" {
			refused++
			require.Contains(t, r.Error, "already in flight")
		}
	}
	require.Positive(t, refused)
	require.Equal(t, uint64(refused), st.Refused)
	require.Equal(t, int64(refused), res.Totals.ErrorsByClass["overloaded"])
	require.True(t, strings.Contains(strings.Join(res.Warnings, "\n"), "arrivals refused"))

	// The hash bound: prompts of 64 blocks, at most 640 hashes in flight.
	maxInflight, maxInflightHashes = 1<<20, 640
	recs, _, st = run(t, unitCfg, reqs...)
	require.Len(t, recs, 400)
	require.Positive(t, st.Refused)
}

package scale

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestMixedLevelHasNoPooledLatency: a level's metrics (JSON, CSV) are its
// chosen point's; for a scenario whose classes are of different kinds the
// point's latency percentiles pool chat turns with agent steps and video
// jobs, and the level has no kind to label them, so they are left out
// (the probe keeps them, labelled kind mixed, with each class's).
func TestMixedLevelHasNoPooledLatency(t *testing.T) {
	pt := sweepfile.Point{Fleet: "2P4D+8V", GPUs: 32, MeetsSLO: true, Kind: "mixed",
		Metrics: map[string]float64{"ttft_p99_ms": 765, "e2e_p99_ms": 23937, "usd_per_task": 0.01, "cache_hit_rate": 0.9},
		Classes: map[string]map[string]float64{"chat": {"ttft_p99_ms": 202}}}
	var L Level
	L.fill(&found{kind: "pd", pt: pt})
	require.Equal(t, map[string]float64{"usd_per_task": 0.01, "cache_hit_rate": 0.9}, L.Metrics)
	require.Contains(t, pt.Metrics, "ttft_p99_ms", "the probe is not changed")
	var b bytes.Buffer
	require.NoError(t, Render(&b, &Curve{Levels: []Level{L}}, "csv"))
	require.NotContains(t, b.String(), "ttft")

	pt.Kind = ""
	L.fill(&found{kind: "pd", pt: pt})
	require.Contains(t, L.Metrics, "ttft_p99_ms", "one kind: kept")
}

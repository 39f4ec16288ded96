package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// TestOverloadedFleetFellBehind: one colocated H100 cannot serve the
// Mooncake trace's 3 req/s of long prompts. Before: TTFT p50 42 s, cost
// charged over the 33 s window only, margin +$0.343 and exit 0. Now the
// fleet is said to have fallen behind (exit 1), the cost is marked a lower
// bound and the margin an upper bound. The default fleet keeps up.
func TestOverloadedFleetFellBehind(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := runCLI("sim", "mooncake-conversation", "--fleet", "1C", "--requests", "100", "-o", out)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "fell behind the offered load: a request sent in the last 10% of the window waited 126.9")
	require.Contains(t, stdout, "LOWER BOUND")
	require.Contains(t, stdout, "WARNING: the fleet fell behind", "atop the table too")
	require.Equal(t, 1, strings.Count(stderr, "fell behind"), "stderr says it once")
	require.Contains(t, stdout, "margin USD (upper bound)")
	var r results.Result
	b, err := os.ReadFile(out)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &r))
	require.NotNil(t, r.Window.LagS)
	require.InDelta(t, 126.9, *r.Window.LagS, 0.1)
	require.Equal(t, "queue", r.Window.LagOf)
	require.True(t, r.Cost.LowerBound)
	require.Contains(t, strings.Join(r.Warnings, "\n"), "fell behind", "and in the result's warnings")

	// A looser limit passes, and then the cost is not marked either.
	code, _, stderr = runCLI("sim", "mooncake-conversation", "--fleet", "1C", "--requests", "100", "--max-lag", "5", "-o", out)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI("sim", "mooncake-conversation", "--fleet", "1C", "--requests", "100", "--max-lag", "0")
	require.Equal(t, 2, code, stderr)

	ok := simJSON(t, "mooncake-conversation", "--requests", "100")
	require.False(t, ok.Cost.LowerBound)
	require.Less(t, *ok.Window.LagS, 0.1*ok.Window.DurationS)
}

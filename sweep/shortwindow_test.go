package sweep

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestSweepSaysShortWindow: sim chat --duration 2s warns that the window
// (1.8 s) is shorter than the median request, so utilization and cost
// cover only the part of the work inside it; a sweep of the same printed
// its points' util 80.2% and $/task with no word. Each point keeps its
// result's warnings (points[].warnings) and a note counts the points with
// each kind of warning, quoting the first.
func TestSweepSaysShortWindow(t *testing.T) {
	r := chatRunner(t, 1)
	r.Workload.Duration = 2 * time.Second
	sw, err := Run(r, Spec{Grid: Grid{Fleets: []string{"1P1D", "1P2D"}}})
	require.NoError(t, err)
	for _, p := range sw.Points {
		require.NotEmpty(t, p.Warnings)
		require.True(t, strings.HasPrefix(p.Warnings[0], "short window:"), p.Warnings[0])
	}
	notes := strings.Join(sw.Notes, "\n")
	require.Contains(t, notes, "short window: 2 of 2 points (point 0: the measured window")

	r.Workload.Duration = 2 * time.Minute
	sw, err = Run(r, Spec{Grid: Grid{Fleets: []string{"1P1D"}}})
	require.NoError(t, err)
	require.Empty(t, sw.Points[0].Warnings)
	require.NotContains(t, strings.Join(sw.Notes, "\n"), "short window")
}

// The CSV of points carries the kinds of each point's warnings (a column
// present when some point has one): a short window's utilization and cost
// read in a spreadsheet are qualified there too.
func TestCSVSaysWarnings(t *testing.T) {
	r := chatRunner(t, 1)
	r.Workload.Duration = 2 * time.Second
	sw, err := Run(r, Spec{Grid: Grid{Fleets: []string{"1P1D"}}})
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, Render(&b, sw, "csv"))
	lines := strings.Split(strings.TrimSpace(b.String()), "\n")
	require.True(t, strings.HasSuffix(lines[0], ",error,warnings"), lines[0])
	require.True(t, strings.HasSuffix(lines[1], ",short window"), lines[1])
}

// The util column (100.0% for a one-instance fleet at 1x, beside a note
// that it has headroom) is the share of GPU time spent stepping, which a
// pool at light load fills with small batches: the table says so.
func TestUtilIsLabelled(t *testing.T) {
	r := chatRunner(t, 1)
	sw, err := Run(r, Spec{Grid: Grid{Fleets: []string{"1P1D"}}})
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, Render(&b, sw, "table"))
	require.Contains(t, b.String(), "util: the share of the fleet's GPU time spent stepping")
}

// Merged shards re-count the warning notes over every point: each shard's
// "short window: 1 of 1 points" was kept beside the other's, and the
// merge differed from the whole sweep.
func TestMergedShardsRecountWarnings(t *testing.T) {
	r := chatRunner(t, 1)
	r.Workload.Duration = 2 * time.Second
	spec := Spec{Grid: Grid{Fleets: []string{"1P1D", "1P2D"}}}
	whole, err := Run(r, spec)
	require.NoError(t, err)
	require.Contains(t, strings.Join(whole.Notes, "\n"), "short window: 2 of 2 points")
	var shards []*sweepfile.Sweep
	for i := range 2 {
		s := spec
		s.ShardI, s.ShardN = i, 2
		sh, err := Run(r, s)
		require.NoError(t, err)
		shards = append(shards, sh)
	}
	merged, err := sweepfile.Merge(shards[1], shards[0])
	require.NoError(t, err)
	require.Equal(t, sweepJSON(t, whole), sweepJSON(t, merged))
}

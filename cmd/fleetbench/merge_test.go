package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// Two seeds of one simulation merge (before: "different fleet", because
// merge compared measured busy seconds); the same file twice is refused
// (before: every count doubled silently).
func TestMergeSeedsAndDuplicates(t *testing.T) {
	dir := t.TempDir()
	a, b, m := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "m.json")
	// An explicit --warmup: without it a shortened run's warm-up is derived
	// from the seed's own arrival schedule, which changes the scenario hash.
	for seed, out := range map[string]string{"1": a, "2": b} {
		code, _, stderr := runCLI("sim", "chat", "--duration", "90s", "--warmup", "10s", "--seed", seed, "-o", out, "--format", "json")
		require.Equal(t, 0, code, stderr)
	}
	code, _, stderr := runCLI("merge", a, b, "-o", m)
	require.Equal(t, 0, code, stderr)
	ra, _ := results.ReadFile(a)
	rb, _ := results.ReadFile(b)
	rm, err := results.ReadFile(m)
	require.NoError(t, err)
	require.Equal(t, ra.Totals.Requests+rb.Totals.Requests, rm.Totals.Requests)

	code, _, stderr = runCLI("merge", a, a, "-o", m)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "result 2 is identical to result 1")
	require.Contains(t, stderr, "results numbered as given")
}

// TestMergeTableIsTheReport: merge --table prints what report prints for
// the merged file, cost section included (before: the metric table only,
// no "cost over ..." block).
func TestMergeTableIsTheReport(t *testing.T) {
	dir := t.TempDir()
	a, b, m := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "m.json")
	for seed, out := range map[string]string{"1": a, "2": b} {
		code, _, stderr := runCLI("sim", "chat", "--duration", "40s", "--warmup", "5s", "--seed", seed, "-o", out, "--format", "json")
		require.Equal(t, 0, code, stderr)
	}
	code, merged, stderr := runCLI("merge", a, b, "-o", m, "--table")
	require.Equal(t, 0, code, stderr)
	code, report, stderr := runCLI("report", m)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, report, "cost over ")
	require.Equal(t, report, merged)
}

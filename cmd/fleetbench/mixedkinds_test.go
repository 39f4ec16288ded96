package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// compare or merge of a result beside a sweep file said "schema is
// fleetbench.result/v1, want fleetbench.sweep/v1: regenerate the file or
// use a matching fleetbench version", as if one file came from another
// release. It says which file is which kind and what the command takes.
func TestCompareMergeMixedKindsSayWhichIsWhich(t *testing.T) {
	dir := t.TempDir()
	res := filepath.Join(dir, "res.json")
	require.NoError(t, os.WriteFile(res, []byte(`{"schema": "fleetbench.result/v1"}`), 0o644))
	sw := filepath.Join(dir, "sw.json")
	writeMaxLoad(t, sw, "2P2D", "cache-aware", 5)
	for name, args := range map[string][]string{
		"compare result sweep": {"compare", res, sw},
		"compare sweep result": {"compare", sw, res},
		"merge result sweep":   {"merge", res, sw, "-o", filepath.Join(dir, "m.json")},
		"merge sweep result":   {"merge", sw, res, "-o", filepath.Join(dir, "m.json")},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			require.Equal(t, 2, execute(args, &out, &errb), out.String())
			msg := errb.String()
			require.NotContains(t, msg, "matching fleetbench version")
			require.Contains(t, msg, "sw.json is a sweep file")
			require.Contains(t, msg, "res.json is a result file")
		})
	}
}

// A file of the right syntax but the wrong shape named Go types
// ("field \"\" holds a JSON array, want results.Result").
func TestResultFileWrongShapeNamesNoGoType(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"array":   `[]`,
		"classes": `{"schema": "fleetbench.result/v1", "classes": "x"}`,
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name+".json")
			require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
			code, _, stderr := runCLI("report", p)
			require.Equal(t, 2, code)
			require.Contains(t, stderr, name+".json:1:")
			require.NotContains(t, stderr, "results.")
			require.NotContains(t, stderr, "field \"\"")
			require.Contains(t, stderr, "fleetbench result file")
		})
	}
}

// compare of two grid sweeps (or min-fleet, best-split) printed
// "max_load  base -  new -" and exited 0: it compares max-load searches
// only, and says so (exit 2).
func TestCompareSweepsOtherThanMaxLoadRefused(t *testing.T) {
	dir := t.TempDir()
	grid := filepath.Join(dir, "grid.json")
	writeMaxLoad(t, grid, "2P2D", "cache-aware", 5)
	data, err := os.ReadFile(grid)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(grid, bytes.Replace(data, []byte(`"search": "max-load"`), []byte(`"search": "min-fleet"`), 1), 0o644))
	ml := filepath.Join(dir, "ml.json")
	writeMaxLoad(t, ml, "2P2D", "cache-aware", 5)
	for _, args := range [][]string{{grid, grid}, {ml, grid}} {
		var out, errb bytes.Buffer
		require.Equal(t, 2, execute(append([]string{"compare"}, args...), &out, &errb), out.String())
		require.Contains(t, errb.String(), "grid.json is a min-fleet sweep")
		require.Contains(t, errb.String(), "max-load")
	}
}

// An empty --records-new beside a result that completed requests was
// compared as if it were that run's records (no sample, so no change was
// significant), exit 0.
func TestCompareEmptyRecordsRefused(t *testing.T) {
	dir := t.TempDir()
	res, recs := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.jsonl")
	code, _, stderr := runCLI("sim", "chat", "--duration", "10s", "-o", res, "--records", recs)
	require.Equal(t, 0, code, stderr)
	empty := filepath.Join(dir, "e.jsonl")
	require.NoError(t, os.WriteFile(empty, nil, 0o644))
	code, _, stderr = runCLI("compare", res, res, "--records-base", recs, "--records-new", empty)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "e.jsonl holds no completed request after the warm-up, but "+res+" completed")
	code, _, stderr = runCLI("compare", res, res, "--records-base", recs, "--records-new", recs)
	require.Equal(t, 0, code, stderr)
}

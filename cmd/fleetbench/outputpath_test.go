package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/spf13/cobra"
	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// sim (and run, against a real endpoint for as long as its scenario
// lasts) with -o in a missing folder measured the whole run, then exited
// 1 with "write ...: no such file or directory" and printed nothing: the
// result was lost. The path is checked first (exit 2, nothing run).
func TestOutputPathCheckedBeforeTheRun(t *testing.T) {
	dir := t.TempDir()
	for _, out := range []string{filepath.Join(dir, "missing", "r.json"), dir} {
		code, stdout, stderr := runCLI("sim", "chat", "--duration", "5s", "-o", out)
		require.Equal(t, 2, code, stderr)
		require.Empty(t, stdout)
		require.Contains(t, stderr, "-o "+out)
	}
	for _, args := range [][]string{
		{"sweep", "chat", "--fleet", "2P4D", "--duration", "5s", "-o", filepath.Join(dir, "missing", "s.json")},
		{"sweep", "chat", "--fleet", "2P4D", "--duration", "5s", "--csv", filepath.Join(dir, "missing", "s.csv")},
		{"scale", "chat", "--traffic", "1", "--duration", "5s", "-o", filepath.Join(dir, "missing", "c.json")},
	} {
		code, _, stderr := runCLI(args...)
		require.Equal(t, 2, code, stderr)
		require.Contains(t, stderr, args[len(args)-2]+" "+args[len(args)-1]+": cannot write there", args)
	}
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	require.Empty(t, entries, "the check leaves no file behind")
}

// A result whose -o write fails after the run is saved elsewhere and
// printed, not dropped.
func TestResultWriteFailureKeepsTheResult(t *testing.T) {
	res, err := results.ReadFile("../../results/testdata/result.golden.json")
	require.NoError(t, err)
	var out, errb bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	bad := filepath.Join(t.TempDir(), "gone", "r.json")
	err = emitResult(cmd, res, nil, outputFlags{out: bad, format: "table"}, results.CostInputs{})
	require.Error(t, err)
	require.Contains(t, err.Error(), "the result is saved in ")
	require.Contains(t, out.String(), "requests")
	var path string
	for _, f := range bytes.Fields([]byte(err.Error())) {
		if bytes.HasPrefix(f, []byte(os.TempDir())) {
			path = string(f)
		}
	}
	require.NotEmpty(t, path, err.Error())
	defer os.Remove(path)
	back, err := results.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, res.Totals.Requests, back.Totals.Requests)
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// Short sweeps of the built-in chat scenario: 2 virtual minutes per point.
var sweepBase = []string{"sweep", "chat", "--duration", "2m"}

func sweepArgs(extra ...string) []string { return append(append([]string{}, sweepBase...), extra...) }

func TestSweepMinFleetTable(t *testing.T) {
	var out, errb bytes.Buffer
	code := execute(sweepArgs("--prefill", "1..2", "--decode", "1..2", "--rate-scale", "4", "--search", "min-fleet", "-j", "2"), &out, &errb)
	require.Equal(t, 0, code, errb.String())
	goldenFile(t, "sweep_minfleet.golden.txt", out.Bytes())
	require.Contains(t, out.String(), "answer: point 2, 2P1D")
}

func TestSweepShardsMergeToTheUnshardedFile(t *testing.T) {
	dir := t.TempDir()
	grid := []string{"--fleet", "1P1D,2P1D", "--rate-scale", "1,4", "-j", "2"}
	whole := filepath.Join(dir, "whole.json")
	var out, errb bytes.Buffer
	require.Equal(t, 0, execute(sweepArgs(append(grid, "-o", whole, "--format", "csv")...), &out, &errb), errb.String())
	require.Contains(t, out.String(), "index,fleet,gpu")
	var shards []string
	for _, s := range []string{"0/3", "1/3", "2/3"} {
		p := filepath.Join(dir, "shard"+s[:1]+".json")
		out.Reset()
		require.Equal(t, 0, execute(sweepArgs(append(grid, "--shard", s, "-o", p)...), &out, &errb), errb.String())
		shards = append(shards, p)
	}
	merged := filepath.Join(dir, "merged.json")
	out.Reset()
	require.Equal(t, 0, execute(append([]string{"merge", "-o", merged, "--table"}, shards...), &out, &errb), errb.String())
	require.Contains(t, out.String(), "sweep of scenario chat")
	a, err := os.ReadFile(whole)
	require.NoError(t, err)
	b, err := os.ReadFile(merged)
	require.NoError(t, err)
	require.Equal(t, string(a), string(b))

	// Merging a whole sweep with a shard, or a sweep with a result, is refused.
	errb.Reset()
	require.Equal(t, 2, execute([]string{"merge", "-o", merged, whole, shards[0]}, &out, &errb))
	require.Contains(t, errb.String(), "whole sweep")
	res := filepath.Join(dir, "res.json")
	require.Equal(t, 0, execute([]string{"sim", "chat", "--duration", "1m", "-o", res}, &out, &errb), errb.String())
	errb.Reset()
	require.Equal(t, 2, execute([]string{"merge", "-o", merged, shards[0], res}, &out, &errb))
	require.Contains(t, errb.String(), "is a result file")
}

func TestSweepOutputFormats(t *testing.T) {
	for _, f := range []string{"json", "markdown", "table", "csv"} {
		var out, errb bytes.Buffer
		require.Equal(t, 0, execute(sweepArgs("--fleet", "1P1D", "--format", f), &out, &errb), errb.String())
		require.NotEmpty(t, out.String())
		if f == "json" {
			s, err := sweepfile.Decode(&out, "stdout")
			require.NoError(t, err)
			require.Len(t, s.Points, 1)
		}
	}
}

func TestSweepBadInput(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{sweepArgs("--format", "xml"), "--format"},
		{sweepArgs("--prefill", "1..4"), "--prefill and --decode go together"},
		{sweepArgs("--prefill", "4..1", "--decode", "1"), "1 <= start"},
		{sweepArgs("--tp", "two"), "--tp"},
		{sweepArgs("--rate-scale", "-1"), "--rate-scale"},
		{sweepArgs("--scale", "1,10", "--search", "min-fleet"), "does not combine"},
		{sweepArgs("--objective", "cost"), "best-split only"},
		{sweepArgs("--gpus", "16"), "best-split only"},
		{sweepArgs("--shard", "4/4"), "--shard"},
		{sweepArgs("--shard", "0+1/4"), "--shard"},
		{sweepArgs("--search", "cheapest"), "unknown search"},
		{sweepArgs("--fleet", "2Q"), "unknown role"},
		{sweepArgs("--fleet", "1P1D", "--tp", "1"), "every point of the sweep failed"},
		{sweepArgs("-j", "-1"), "-j"},
		{[]string{"sweep", "no-such-scenario"}, "no-such-scenario"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			var out, errb bytes.Buffer
			require.Equal(t, 2, execute(tc.args, &out, &errb), "stdout: %s", out.String())
			require.Contains(t, errb.String(), tc.want)
		})
	}
}

func TestSweepProgressAndKeepResults(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.json")
	var out, errb bytes.Buffer
	require.Equal(t, 0, execute(sweepArgs("--scale", "1,2", "--fleet", "1P1D", "--progress", "--keep-results", "-o", p), &out, &errb), errb.String())
	require.Contains(t, errb.String(), "point 1 2P2D")
	s, err := sweepfile.Read(p)
	require.NoError(t, err)
	require.Equal(t, sweepfile.SearchScale, s.Search)
	require.NotNil(t, s.Points[1].Result)
	require.Equal(t, "2P2D", s.Points[1].Fleet)
	require.Equal(t, 16, s.Points[1].Result.Fleet.GPUs)
	require.Nil(t, s.Answer)
}

package main

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/openaitest"
)

// sim --repeat 3 writes one result with the spread of the three seeds;
// compare without records uses it as BASE's noise band: another seed
// passes a crossed 5% gate, every latency x1.3 fails it.
func TestSimRepeatBand(t *testing.T) {
	dir := t.TempDir()
	f := func(n string) string { return filepath.Join(dir, n) }
	code, _, stderr := runCLI("sim", "chat", "--requests", "2000", "--seed", "4", "--repeat", "3", "-o", f("base.json"), "--format", "json")
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI("sim", "chat", "--requests", "2000", "--seed", "1", "-o", f("new.json"), "--format", "json")
	require.Equal(t, 0, code, stderr)
	base, err := results.ReadFile(f("base.json"))
	require.NoError(t, err)
	require.Equal(t, uint64(4), base.Scenario.Seed, "the body is the first repeat")
	sp, ok := base.Extra[results.ExtraRepeats].(map[string]any)
	require.True(t, ok)
	require.EqualValues(t, 3, sp["n"])

	code, out, stderr := runCLI("compare", f("base.json"), f("new.json"), "--fail-on", "ttft.p99>+5%")
	require.Equal(t, 0, code, stderr+out)
	t.Log(out[len(out)-300:])

	res, err := results.ReadFile(f("new.json"))
	require.NoError(t, err)
	for _, c := range append(mapValues(res.Classes), res.Totals) {
		if p := c.TTFT; p != nil {
			p.P99 *= 1.3
		}
	}
	w, err := os.Create(f("slow.json"))
	require.NoError(t, err)
	require.NoError(t, results.WriteJSON(w, res))
	require.NoError(t, w.Close())
	code, out, stderr = runCLI("compare", f("base.json"), f("slow.json"), "--fail-on", "ttft.p99>+5%")
	require.Equal(t, 1, code, stderr+out)

	code, _, stderr = runCLI("sim", "chat", "--repeat", "0")
	require.Equal(t, 2, code, stderr)
}

// run --repeat 2 against a server writes one result with the spread.
func TestRunRepeat(t *testing.T) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply {
		return openaitest.Steady(2, time.Millisecond, time.Millisecond)
	})
	defer srv.Close()
	scen := writeScenario(t, runScenario)
	dir := filepath.Dir(scen)
	out := filepath.Join(dir, "r.json")
	code, _, stderr := runCLI("run", scen, "--target", srv.BaseURL(), "--model", "m", "-o", out, "--quiet", "--repeat", "2", "--seed", "3")
	require.Equal(t, 0, code, stderr)
	res, err := results.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, uint64(3), res.Scenario.Seed)
	sp, ok := res.Extra[results.ExtraRepeats].(map[string]any)
	require.True(t, ok)
	require.EqualValues(t, 2, sp["n"])
	require.Equal(t, []any{3.0, 4.0}, sp["seeds"])
}

// A bad --repeat is refused (exit 2) before --records is opened: run used
// to create (truncate) the records file first, losing an earlier run's
// records to a typo.
func TestBadRepeatLeavesRecordsAlone(t *testing.T) {
	scen := writeScenario(t, runScenario)
	recs := filepath.Join(filepath.Dir(scen), "keep.jsonl")
	require.NoError(t, os.WriteFile(recs, []byte("precious\n"), 0o644))
	for _, args := range [][]string{
		{"run", scen, "--target", "http://127.0.0.1:1/v1", "--model", "m", "--quiet"},
		{"sim", "chat"},
	} {
		code, _, stderr := runCLI(append(args, "--records", recs, "--repeat", "0")...)
		require.Equal(t, 2, code, stderr)
		got, err := os.ReadFile(recs)
		require.NoError(t, err)
		require.Equal(t, "precious\n", string(got), args[0])
	}
}

package main

import (
	"bufio"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// compare --fail-on with records: two seeds of one configuration pass a
// 5% TTFT p99 gate (seed noise is not significant); the same run with
// every latency x1.3 fails it.
func TestCompareGateNeedsSignificance(t *testing.T) {
	if testing.Short() {
		// Two 3000-request sims and bootstrap intervals, all on one
		// goroutine: the race pass (-short) would only slow it ~10x.
		t.Skip("single-threaded sim and compare; run by the plain (non -short) pass")
	}
	dir := t.TempDir()
	f := func(n string) string { return filepath.Join(dir, n) }
	for _, seed := range []string{"1", "2"} {
		code, _, stderr := runCLI("sim", "chat", "--requests", "3000", "--seed", seed, "-o", f("s"+seed+".json"), "--records", f("s"+seed+".jsonl"), "--format", "json")
		require.Equal(t, 0, code, stderr)
	}
	code, out, stderr := runCLI("compare", f("s1.json"), f("s2.json"), "--fail-on", "ttft.p99>+5%",
		"--records-base", f("s1.jsonl"), "--records-new", f("s2.jsonl"), "--format", "json")
	require.Equal(t, 0, code, stderr+out)
	var cmp results.Comparison
	require.NoError(t, json.Unmarshal([]byte(out), &cmp))
	for _, g := range cmp.Gates {
		t.Logf("seed 1 -> 2: %s %s change %+.2f%% interval %v significant %v %s", g.Class, g.Gate, deref(g.Change), *g.Interval, *g.Significant, g.Note)
	}

	// The other way round the p99 rises by more than 5%, but not
	// significantly: without records the gate fails, with them it passes.
	code, out, stderr = runCLI("compare", f("s2.json"), f("s1.json"), "--fail-on", "ttft.p99>+5%")
	require.Equal(t, 1, code, "without records the crossed threshold fails: "+stderr+out)
	code, out, stderr = runCLI("compare", f("s2.json"), f("s1.json"), "--fail-on", "ttft.p99>+5%",
		"--records-base", f("s2.jsonl"), "--records-new", f("s1.jsonl"), "--format", "json")
	require.Equal(t, 0, code, stderr+out)
	require.NoError(t, json.Unmarshal([]byte(out), &cmp))
	for _, g := range cmp.Gates {
		t.Logf("seed 2 -> 1: %s %s change %+.2f%% interval %v significant %v %s", g.Class, g.Gate, deref(g.Change), *g.Interval, *g.Significant, g.Note)
		require.Contains(t, g.Note, "not significant")
	}

	// NEW = seed 2 with every latency x1.3: result and records.
	res, err := results.ReadFile(f("s2.json"))
	require.NoError(t, err)
	for _, c := range append(mapValues(res.Classes), res.Totals) {
		for i := range results.Metrics {
			if p := results.Metrics[i].Of(c); p != nil {
				for _, v := range []*float64{&p.Mean, &p.Min, &p.P50, &p.P90, &p.P95, &p.P99, &p.P999, &p.Max} {
					*v *= 1.3
				}
			}
		}
	}
	w, err := os.Create(f("slow.json"))
	require.NoError(t, err)
	require.NoError(t, results.WriteJSON(w, res))
	require.NoError(t, w.Close())
	in, err := os.Open(f("s2.jsonl"))
	require.NoError(t, err)
	defer in.Close()
	out2, err := os.Create(f("slow.jsonl"))
	require.NoError(t, err)
	bw := bufio.NewWriter(out2)
	enc := json.NewEncoder(bw)
	require.NoError(t, results.ReadRecords(in, "s2.jsonl", func(r *results.Record) error {
		scale := func(v int64) int64 { return int64(float64(v) * 1.3) }
		if r.FirstToken > 0 {
			r.FirstToken = r.Sent + scale(r.FirstToken-r.Sent)
		}
		if r.LastToken > 0 {
			r.LastToken = r.Sent + scale(r.LastToken-r.Sent)
		}
		r.QueueNs = scale(r.QueueNs)
		for i := range r.ITL {
			r.ITL[i] = scale(r.ITL[i])
		}
		return enc.Encode(r)
	}))
	require.NoError(t, bw.Flush())
	require.NoError(t, out2.Close())
	code, out, stderr = runCLI("compare", f("s1.json"), f("slow.json"), "--fail-on", "ttft.p99>+5%",
		"--records-base", f("s1.jsonl"), "--records-new", f("slow.jsonl"), "--format", "json")
	require.Equal(t, 1, code, stderr+out)
	require.NoError(t, json.Unmarshal([]byte(out), &cmp))
	for _, g := range cmp.Gates {
		t.Logf("x1.3: %s %s change %+.2f%% interval %v failed %v", g.Class, g.Gate, deref(g.Change), *g.Interval, g.Failed)
	}
}

func deref(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

func mapValues(m map[string]*results.ClassResult) []*results.ClassResult {
	var out []*results.ClassResult
	for _, c := range m {
		out = append(out, c)
	}
	return out
}

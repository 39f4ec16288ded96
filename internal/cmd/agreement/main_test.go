package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// testdata/demo-sim.json and demo-run-busy.json are `make demo`'s step 1
// (serve/testdata/demo.yaml) measured at load ~11 on a 2-core machine: the
// client sent requests up to 87 ms late (schedule delay p99 80.9 ms), the
// endpoint saw a different arrival order in two busy periods, and TTFT p50
// came out +20.2% against the simulator's.

// quietClient writes run with the client's schedule delay of a quiet host.
func quietClient(t *testing.T, path string) string {
	r, err := results.ReadFile(path)
	require.NoError(t, err)
	for _, c := range r.Classes {
		c.ScheduleDelay.P99, c.ScheduleDelay.Max = 0.4, 0.5
	}
	r.Totals.ScheduleDelay.P99, r.Totals.ScheduleDelay.Max = 0.4, 0.5
	var b bytes.Buffer
	require.NoError(t, results.WriteJSON(&b, r))
	out := filepath.Join(t.TempDir(), "run.json")
	require.NoError(t, os.WriteFile(out, b.Bytes(), 0o644))
	return out
}

func TestVerdict(t *testing.T) {
	const sim, busy = "testdata/demo-sim.json", "testdata/demo-run-busy.json"
	quiet := quietClient(t, busy)
	for _, tc := range []struct {
		name  string
		args  []string
		noise time.Duration // what the host probe finds
		code  int
		want  string
	}{
		{"same numbers agree", []string{sim, sim}, 3 * time.Millisecond, 0, "agreement: ok"},
		// The client fell behind: the endpoint got other arrivals than the
		// simulator, so a miss says nothing about the simulator.
		{"late client is inconclusive", []string{sim, busy}, 0, 3, "agreement: INCONCLUSIVE (host too busy: the client sent requests late, schedule delay p99 80.9 ms > 5 ms"},
		{"noisy host is inconclusive", []string{sim, quiet}, 3 * time.Millisecond, 3, "host timer overshoot p99 3ms"},
		// A quiet client and host: a miss is a disagreement.
		{"quiet host fails", []string{sim, quiet}, 0, 1, "agreement: FAILED, TTFT p50 +20.2%"},
		{"strict fails whatever the host", []string{"-strict", sim, busy}, 0, 1, "agreement: FAILED, TTFT p50 +20.2%"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := probe
			probe = func() time.Duration { return tc.noise }
			t.Cleanup(func() { probe = old })
			var out, errb bytes.Buffer
			code := run(tc.args, &out, &errb)
			require.Equal(t, tc.code, code, "stdout:\n%s\nstderr:\n%s", out.String(), errb.String())
			require.Contains(t, out.String(), tc.want)
		})
	}
}

// make demo printed "TPOT p50 -0.0%" for a difference of -0.002%.
func TestSignedPct(t *testing.T) {
	for d, want := range map[float64]string{-0.002: "+0.0%", 0.002: "+0.0%", 0: "+0.0%", -1.25: "-1.2%", 1.96: "+2.0%", -0.06: "-0.1%"} {
		require.Equal(t, want, signedPct(d), "%v", d)
	}
}

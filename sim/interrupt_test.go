package sim

import (
	"bytes"
	"encoding/json"
	"runtime"
	"testing"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/stretchr/testify/require"
)

// stopRun runs sc with Config.Stop closed at the first timeline sample at
// or after stopAt (never, for stopAt 0) and returns the result's JSON, the
// records and the stats.
func stopRun(t *testing.T, sc *scenarios.Scenario, cfg Config, wo scenarios.WorkloadOptions, stopAt time.Duration) (*results.Result, []byte, []results.Record, Stats) {
	t.Helper()
	stop := make(chan struct{})
	cfg.Stop = stop
	if stopAt > 0 {
		closed := false
		cfg.Progress = func(vns int64, _ uint64) {
			if !closed && vns >= int64(stopAt) {
				close(stop)
				closed = true
			}
		}
	}
	var recs []results.Record
	cfg.Records = func(r *results.Record) error { recs = append(recs, *r); return nil }
	res, st, err := Run(sc, cfg, wo)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, results.WriteJSON(&b, res))
	return res, b.Bytes(), recs, st
}

// Config.Stop (Ctrl-C in fleetbench sim) ends the run at a timeline
// sample: the partial result is marked interrupted, its window ends at
// the stop, it holds only the requests finished by then (every one of
// them reached the records sink), it is the same serial or pipelined, and
// a Stop never closed changes nothing.
func TestStopEndsRunInterrupted(t *testing.T) {
	cases := []struct {
		name string
		sc   *scenarios.Scenario
		cfg  Config
		wo   scenarios.WorkloadOptions
		at   time.Duration
	}{
		{"chat", mustBuiltin(t, "chat"), Config{Fleet: "2C", Model: "llama-3.1-8b"}, scenarios.WorkloadOptions{Duration: 3 * time.Minute}, 90 * time.Second},
		{"closed-loop", parse(t, closedYAML), Config{Fleet: "2C", Model: "llama-3.1-8b"}, scenarios.WorkloadOptions{}, 40 * time.Second},
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer func(n int) { pipelineMinProcs = n }(pipelineMinProcs)
	pipelineMinProcs = 1 // pipeline on one P too
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			serial := c.cfg
			serial.Serial = true
			// Not stopped: the same bytes as a run without Stop.
			plain, _ := runBytes(t, c.sc, serial, c.wo)
			full, fullJSON, fullRecs, fullSt := stopRun(t, c.sc, serial, c.wo, 0)
			require.Equal(t, string(plain), string(fullJSON), "an unused Stop changes nothing")
			require.False(t, fullSt.Interrupted)
			require.NotContains(t, full.Extra, "interrupted")

			res, want, recs, st := stopRun(t, c.sc, serial, c.wo, c.at)
			require.True(t, st.Interrupted)
			require.Equal(t, int64(c.at), st.EndNs, "stopped at the sample")
			require.Equal(t, true, res.Extra["interrupted"])
			for name, cr := range res.Classes {
				if cr.SLO != nil {
					require.True(t, cr.SLO.FinishedOnly, "%s: a verdict over the finished requests only", name)
				}
			}
			require.NotEmpty(t, res.Warnings)
			require.Contains(t, res.Warnings[len(res.Warnings)-1], "simulation interrupted at virtual time "+c.at.String())
			require.Equal(t, int64(c.at), res.Window.EndNs, "the window ends at the stop")
			require.Less(t, res.Totals.Requests, full.Totals.Requests)
			require.Less(t, len(recs), len(fullRecs))
			require.Equal(t, uint64(len(recs)), st.Requests, "every finished request reached the sink")
			measured := int64(0)
			for _, r := range recs {
				require.LessOrEqual(t, r.LastToken, int64(c.at), "only requests finished by the stop")
				if r.ArrivalNs() >= int64(c.sc.Warmup) {
					measured++
				}
			}
			require.Equal(t, measured, res.Totals.Requests, "the result counts the finished measured requests")

			wantRecs, err := json.Marshal(recs)
			require.NoError(t, err)
			for _, procs := range []int{1, 2} {
				runtime.GOMAXPROCS(procs)
				_, got, gotRecs, gotSt := stopRun(t, c.sc, c.cfg, c.wo, c.at)
				require.Equal(t, string(want), string(got), "pipelined = serial, GOMAXPROCS=%d", procs)
				b, err := json.Marshal(gotRecs)
				require.NoError(t, err)
				require.Equal(t, string(wantRecs), string(b), "records, GOMAXPROCS=%d", procs)
				require.Equal(t, st, gotSt)
			}
		})
	}
}

// A stop inside the warm-up measures nothing and says so.
func TestStopInWarmup(t *testing.T) {
	sc := mustBuiltin(t, "chat")
	res, _, _, st := stopRun(t, sc, Config{Fleet: "2C", Model: "llama-3.1-8b"}, scenarios.WorkloadOptions{Duration: time.Minute}, 5*time.Second)
	require.True(t, st.Interrupted)
	require.Equal(t, true, res.Extra["interrupted"])
	require.Contains(t, res.Warnings, "simulation interrupted at virtual time 5s, before the measurement window began (warm-up 30s): nothing was measured")
	require.Zero(t, res.Totals.Requests)
}

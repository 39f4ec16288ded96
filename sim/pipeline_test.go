package sim

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/fleetbench/fleetbench/elastic"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/stretchr/testify/require"
)

const closedYAML = `
name: closed-unit
seed: 5
duration: 60s
classes:
  - name: chat
    kind: chat
    arrival: {process: closed, users: 6, think_s: 1}
    input: {dist: lognormal, mean: 1000, median: 800}
    output: {dist: uniform, min: 20, max: 200}
  - name: agent
    kind: agent
    arrival: {process: poisson, rate: 1}
    input: 500
    output: 50
    agent: {turns: 3, append: 200, tool_s: 0.5}
`

// runBytes is a run's result JSON and its records as JSON lines.
func runBytes(t *testing.T, sc *scenarios.Scenario, cfg Config, wo scenarios.WorkloadOptions) (res, recs []byte) {
	t.Helper()
	var rb bytes.Buffer
	enc := json.NewEncoder(&rb)
	cfg.Records = func(r *results.Record) error { return enc.Encode(r) }
	out, _, err := Run(sc, cfg, wo)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, results.WriteJSON(&b, out))
	return b.Bytes(), rb.Bytes()
}

// equivCase is one run of a test that two ways of running the engine
// give the same bytes (pipelined vs serial, load-ahead on vs off).
type equivCase struct {
	name string
	sc   *scenarios.Scenario
	cfg  Config
	wo   scenarios.WorkloadOptions
}

// scriptedFailure fails colocated instance 1 at 30 s and repairs it 30 s
// later, retrying its requests: the failure paths of such tests.
func scriptedFailure() elastic.Failures {
	return elastic.Failures{Policy: "retry", RepairS: 30,
		At: []elastic.ScriptedFailure{{Pool: "colocated", Instance: 1, AtS: 30}}}
}

// The producer and consumer goroutines (pipeline.go) change nothing: the
// result and the records are byte-identical to the serial engine's, with
// one or two cores (run the package with -race too: the goroutines share
// nothing they both write).
func TestPipelineSameAsSerial(t *testing.T) {
	failures := scriptedFailure()
	cases := []equivCase{
		{"chat-pd", mustBuiltin(t, "chat"), Config{Fleet: "2P4D", Model: "llama-3.1-70b", TP: 4}, scenarios.WorkloadOptions{Requests: 1500}},
		{"agents-session", parse(t, agentYAML), Config{Fleet: "3C", Model: "llama-3.1-8b", Routing: "session"}, scenarios.WorkloadOptions{}},
		{"mixed-video", parse(t, mixedYAML), Config{Fleet: "2C+4V", Model: "llama-3.1-8b"}, scenarios.WorkloadOptions{}},
		{"research-pd", mustBuiltin(t, "agent-research"), Config{Fleet: "2P2D", Model: "llama-3.1-8b"}, scenarios.WorkloadOptions{Requests: 10}},
		{"closed-loop", parse(t, closedYAML), Config{Fleet: "2C", Model: "llama-3.1-8b"}, scenarios.WorkloadOptions{}},
		{"failures", mustBuiltin(t, "chat"), Config{Fleet: "3C", Model: "llama-3.1-8b", Failures: failures}, scenarios.WorkloadOptions{Duration: 90 * time.Second, RateScale: 4}},
	}
	if testing.Short() { // make test's race pass: small, but every path
		cases[0].wo.Requests = 300
		cases[3].wo.Requests = 3
		cases[5].wo = scenarios.WorkloadOptions{Duration: 60 * time.Second, RateScale: 2}
	} else {
		sc := mustBuiltin(t, "platform-hour")
		cases = append(cases, equivCase{"platform-hour", sc, ConfigFromScenario(sc), scenarios.WorkloadOptions{Requests: 1500}})
	}
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer func(n int) { pipelineMinProcs = n }(pipelineMinProcs)
	pipelineMinProcs = 1 // pipeline on one P too: the result must not depend on scheduling
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			serial := c.cfg
			serial.Serial = true
			wantRes, wantRecs := runBytes(t, c.sc, serial, c.wo)
			require.NotEmpty(t, wantRecs)
			for _, procs := range []int{1, 2} {
				runtime.GOMAXPROCS(procs)
				res, recs := runBytes(t, c.sc, c.cfg, c.wo)
				require.Equal(t, string(wantRes), string(res), "result, GOMAXPROCS=%d", procs)
				require.Equal(t, string(wantRecs), string(recs), "records, GOMAXPROCS=%d", procs)
			}
		})
	}
}

// A records sink that fails stops the pipelined run with the error, as it
// stops the serial one, and what was simulated still comes back.
func TestPipelineSinkError(t *testing.T) {
	sc := mustBuiltin(t, "chat")
	for _, serial := range []bool{true, false} {
		n := 0
		cfg := Config{Fleet: "2C", Model: "llama-3.1-8b", Serial: serial}
		cfg.Records = func(*results.Record) error {
			n++
			if n == 10 {
				return errors.New("disk full")
			}
			return nil
		}
		res, _, err := Run(sc, cfg, scenarios.WorkloadOptions{Requests: 5000})
		require.ErrorContains(t, err, "writing records: disk full", "serial=%v", serial)
		require.NotNil(t, res)
		require.Equal(t, 10, n, "the sink is not called after its error (serial=%v)", serial)
	}
}

// The partial result returned with a sink error is the same whether the
// run was pipelined or serial (it was not: the pipelined loop learned of
// the error up to ~2,500 records later than the serial one, so its result
// covered more requests). Both stop at the record that completes the
// batch sinkLag batches after the failing record's (pipeline.go).
func TestPipelineSinkErrorSameAsSerial(t *testing.T) {
	sc := mustBuiltin(t, "chat")
	wo := scenarios.WorkloadOptions{Requests: 5000} // 3,273 records
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(0))
	defer func(n int) { pipelineMinProcs = n }(pipelineMinProcs)
	pipelineMinProcs = 1
	run := func(serial bool, failAt int) (string, Stats, int) {
		n := 0
		cfg := Config{Fleet: "2C", Model: "llama-3.1-8b", Serial: serial}
		cfg.Records = func(*results.Record) error {
			n++
			if n >= failAt {
				return fmt.Errorf("disk full at record %d", n)
			}
			return nil
		}
		res, st, err := Run(sc, cfg, wo)
		require.EqualError(t, err, fmt.Sprintf("writing records: disk full at record %d", failAt), "serial %v, fail at %d, sink calls %d", serial, failAt, n)
		var b bytes.Buffer
		require.NoError(t, results.WriteJSON(&b, res))
		// A digest keeps a failure's message short.
		return fmt.Sprintf("requests %d, result sha256 %x", res.Totals.Requests, sha256.Sum256(b.Bytes())), st, n
	}
	for _, failAt := range []int{1, 10, 511, 513, 1700, 3000} {
		want, wantSt, wantN := run(true, failAt)
		require.Equal(t, failAt, wantN, "the sink is not called after its error")
		if failAt < 1000 {
			require.Less(t, wantSt.Requests, uint64(wo.Requests), "an early failure stops the run early (fail at %d)", failAt)
		}
		for _, procs := range []int{1, 2} {
			runtime.GOMAXPROCS(procs)
			got, st, n := run(false, failAt)
			require.Equal(t, want, got, "partial result, fail at record %d, GOMAXPROCS=%d", failAt, procs)
			require.Equal(t, wantSt, st, "stats, fail at record %d, GOMAXPROCS=%d", failAt, procs)
			require.Equal(t, failAt, n)
		}
	}
}

// Only workloads without closed loops are generated ahead.
func TestPrefetchable(t *testing.T) {
	open, err := mustBuiltin(t, "platform-hour").NewWorkload(scenarios.WorkloadOptions{Requests: 1})
	require.NoError(t, err)
	defer open.Close()
	require.True(t, prefetchable(open))
	closed, err := parse(t, closedYAML).NewWorkload(scenarios.WorkloadOptions{})
	require.NoError(t, err)
	defer closed.Close()
	require.False(t, prefetchable(closed))
	require.False(t, prefetchable(&sliceSource{}))
}

// BenchmarkSimPipeline runs the same simulations with workload generation
// and result accumulation on their own goroutines (the default) and on
// the event loop's (Config.Serial): on two cores the difference is what
// the pipeline takes off the loop; under GOMAXPROCS=1 (or callgrind) it
// is what the channels cost.
func BenchmarkSimPipeline(b *testing.B) {
	defer func(n int) { pipelineMinProcs = n }(pipelineMinProcs)
	pipelineMinProcs = 1
	ph := mustBuiltin(b, "platform-hour")
	chat := mustBuiltin(b, "chat")
	chatCfg := ConfigFromScenario(chat)
	chatCfg.Fleet = "16P48D"
	for _, w := range []struct {
		name string
		sc   *scenarios.Scenario
		cfg  Config
		wo   scenarios.WorkloadOptions
	}{
		{"chat64", chat, chatCfg, scenarios.WorkloadOptions{Requests: 20000, Duration: 24 * time.Hour, RateScale: 30}},
		{"platform-hour-10s", ph, ConfigFromScenario(ph), scenarios.WorkloadOptions{Duration: 10 * time.Second}},
	} {
		for _, serial := range []bool{true, false} {
			b.Run(fmt.Sprintf("%s/serial=%v", w.name, serial), func(b *testing.B) {
				cfg := w.cfg
				cfg.Serial = serial
				var st Stats
				start := time.Now()
				for i := 0; i < b.N; i++ {
					_, s, err := Run(w.sc, cfg, w.wo)
					require.NoError(b, err)
					st = s
				}
				wall := time.Since(start).Seconds() / float64(b.N)
				b.ReportMetric(wall*1e9/float64(st.Requests), "ns/req")
			})
		}
	}
}

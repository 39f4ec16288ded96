package sim

import (
	"bytes"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/fleetbench/fleetbench/sim/perf"
)

const agentYAML = `
name: agents-unit
seed: 7
requests: 40
classes:
  - name: coder
    kind: agent
    arrival: {process: poisson, rate: 2}
    input: 800
    output: {dist: uniform, min: 20, max: 80}
    agent:
      turns: {dist: uniform, min: 2, max: 6}
      shared_prefix: 3000
      append: {dist: uniform, min: 100, max: 400}
      tool_s: {dist: exponential, mean: 0.5}
      subagents:
        probability: 0.3
        count: 2
        turns: 2
        task: 200
`

const mixedYAML = `
name: mixed-unit
seed: 3
duration: 120s
classes:
  - name: chat
    kind: chat
    arrival: {process: poisson, rate: 4}
    input: {dist: lognormal, mean: 1000, median: 800}
    output: {dist: lognormal, mean: 200, median: 120, max: 2000}
    system_prompts: {count: 4, tokens: 500, zipf: 1}
  - name: clips
    kind: video
    arrival: {process: bursts, rate: 0.02, burst_rate: 0.5, burst_s: 10, period_s: 60}
    video: {model: wan2.1-14b, resolution: 480p, seconds: 2, fps: 16, steps: 20}
fleet:
  spec: 2C+4V
  model: llama-3.1-8b
  gpu: h100
`

func parse(t testing.TB, y string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("unit.yaml", []byte(y), ".")
	require.NoError(t, err)
	return sc
}

func resultJSON(t testing.TB, sc *scenarios.Scenario, cfg Config, wo scenarios.WorkloadOptions) []byte {
	t.Helper()
	res, _, err := Run(sc, cfg, wo)
	require.NoError(t, err)
	var b bytes.Buffer
	require.NoError(t, results.WriteJSON(&b, res))
	return b.Bytes()
}

// Same scenario, fleet and seed: byte-identical result JSON; another seed
// gives another result.
func TestDeterministic(t *testing.T) {
	for _, c := range []struct {
		name string
		sc   *scenarios.Scenario
		cfg  Config
	}{
		{"chat-pd", mustBuiltin(t, "chat"), Config{Fleet: "2P4D", Model: "llama-3.1-70b", TP: 4}},
		{"agents-session", parse(t, agentYAML), Config{Fleet: "3C", Model: "llama-3.1-8b", Routing: "session"}},
		{"mixed-video", parse(t, mixedYAML), Config{Fleet: "2C+4V", Model: "llama-3.1-8b"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			wo := scenarios.WorkloadOptions{Requests: 300}
			a := resultJSON(t, c.sc, c.cfg, wo)
			b := resultJSON(t, c.sc, c.cfg, wo)
			require.Equal(t, string(a), string(b))
			seed := c.sc.Seed + 1
			wo.Seed = &seed
			require.NotEqual(t, string(a), string(resultJSON(t, c.sc, c.cfg, wo)))
		})
	}
}

func mustBuiltin(t testing.TB, name string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Builtin(name)
	require.NoError(t, err)
	return sc
}

// Agent sessions are closed loop: each turn is sent only after the
// previous one finished plus its tool time, carries the previous turn's
// context (so with session affinity it hits the cache), and every session
// ends with exactly one task-completing record.
func TestAgentSessionsClosedLoop(t *testing.T) {
	sc := parse(t, agentYAML)
	var recs []results.Record
	cfg := Config{Fleet: "2C", Model: "llama-3.1-8b", Routing: "session"}
	cfg.Records = func(r *results.Record) error { recs = append(recs, *r); return nil }
	res, _, err := Run(sc, cfg, scenarios.WorkloadOptions{})
	require.NoError(t, err)

	byTask := map[uint64][]results.Record{}
	for _, r := range recs {
		require.Empty(t, r.ErrorClass)
		byTask[r.TaskID] = append(byTask[r.TaskID], r)
	}
	require.Len(t, byTask, 40)
	var cached, input int
	for id, rs := range byTask {
		done := 0
		var last int64
		for _, r := range rs {
			if r.TaskDone {
				done++
			}
			last = max(last, r.LastToken)
		}
		require.Equal(t, 1, done, "task %d", id)
		// The task-completing record is the last to finish.
		for _, r := range rs {
			if r.TaskDone {
				require.Equal(t, last, r.LastToken)
			}
		}
		// Root turns (Turn order within depth 0) never overlap: turn k is
		// intended no earlier than turn k-1's last token.
		roots := map[int]results.Record{}
		for _, r := range rs {
			if _, dup := roots[r.Turn]; !dup || r.InputTokens > roots[r.Turn].InputTokens {
				roots[r.Turn] = r
			}
		}
		turns := make([]int, 0, len(roots))
		for k := range roots {
			turns = append(turns, k)
		}
		sort.Ints(turns)
		for i := 1; i < len(turns); i++ {
			prev, cur := roots[turns[i-1]], roots[turns[i]]
			if cur.InputTokens > prev.InputTokens { // same (sub-)session lineage
				require.GreaterOrEqual(t, cur.Intended, prev.LastToken)
			}
		}
		for _, r := range rs {
			cached += r.CachedTokens
			input += r.InputTokens
		}
	}
	// Growing contexts with a 3000-token shared prefix on sticky instances
	// are mostly cache hits.
	require.Greater(t, float64(cached)/float64(input), 0.6)
	require.EqualValues(t, 40, res.Classes["coder"].Tasks)
}

// Disaggregation moves prefill interference out of the decode batches:
// under the same load colocated instances show decode steps stretched by
// prefill chunks (ITL tail), disaggregated ones do not.
func TestPDvsColocated(t *testing.T) {
	sc := mustBuiltin(t, "chat")
	wo := scenarios.WorkloadOptions{Requests: 3000, RateScale: 4}
	pd, _, err := Run(sc, Config{Fleet: "2P4D", Model: "llama-3.1-70b", TP: 4}, wo)
	require.NoError(t, err)
	co, _, err := Run(sc, Config{Fleet: "6C", Model: "llama-3.1-70b", TP: 4}, wo)
	require.NoError(t, err)
	t.Logf("PD 2P4D: TTFT p50 %.1f p99 %.1f ms, TPOT p50 %.1f p99 %.1f, ITL p99 %.1f",
		pd.Totals.TTFT.P50, pd.Totals.TTFT.P99, pd.Totals.TPOT.P50, pd.Totals.TPOT.P99, pd.Totals.ITL.P99)
	t.Logf("6C      : TTFT p50 %.1f p99 %.1f ms, TPOT p50 %.1f p99 %.1f, ITL p99 %.1f",
		co.Totals.TTFT.P50, co.Totals.TTFT.P99, co.Totals.TPOT.P50, co.Totals.TPOT.P99, co.Totals.ITL.P99)
	require.Greater(t, co.Totals.ITL.P99, 2*pd.Totals.ITL.P99)
	require.Greater(t, co.Totals.TPOT.P99, pd.Totals.TPOT.P99)
	require.EqualValues(t, pd.Totals.Completed, co.Totals.Completed)
}

// Video clips queue FIFO on the pool and take the model's clip time.
func TestVideoPool(t *testing.T) {
	sc := parse(t, mixedYAML)
	var clips []results.Record
	cfg := ConfigFromScenario(sc)
	cfg.Records = func(r *results.Record) error {
		if r.Kind == "video" {
			clips = append(clips, *r)
		}
		return nil
	}
	_, _, err := Run(sc, cfg, scenarios.WorkloadOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, clips)
	gen := clips[0].LastToken - clips[0].FirstToken
	for _, c := range clips {
		require.Equal(t, gen, c.LastToken-c.FirstToken, "identical clips take identical time")
		require.Equal(t, c.FirstToken-c.Sent, c.QueueNs)
		require.InDelta(t, 2.0, c.VideoSeconds, 1e-9)
	}
}

// No request decodes faster than one decode step per token: a sequence
// whose KV lands on a decode instance mid-span joins the batch only at the
// end of the running step (it once joined the running span and was
// credited with tokens it never computed).
func TestPDTokensNeverOutrunSteps(t *testing.T) {
	sc := mustBuiltin(t, "chat")
	cfg := Config{Fleet: "2P4D", Model: "llama-3.1-70b", TP: 4}
	var minTPOT int64 = 1 << 62
	cfg.Records = func(r *results.Record) error {
		if tp, ok := r.TPOT(); ok {
			minTPOT = min(minTPOT, tp)
		}
		return nil
	}
	_, _, err := Run(sc, cfg, scenarios.WorkloadOptions{Requests: 3000})
	require.NoError(t, err)
	m, err := models.Lookup("llama-3.1-70b")
	require.NoError(t, err)
	g, err := hardware.Lookup("h100")
	require.NoError(t, err)
	pm, err := perf.New(m, g, perf.Config{TP: 4, MemFraction: 0.9})
	require.NoError(t, err)
	step := pm.StepTime(perf.Step{DecodeSeqs: 1, DecodeCtx: 1})
	t.Logf("min TPOT %d ns, one decode step %d ns", minTPOT, step)
	require.GreaterOrEqual(t, minTPOT, step, "a request decoded faster than one step per token")
}

// The platform-hour built-in, scaled down a hundredfold in traffic and
// fleet, is deterministic too: byte-identical result JSON for its seed.
func TestPlatformHourDeterministicScaledDown(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds of simulation")
	}
	sc := mustBuiltin(t, "platform-hour")
	cfg := ConfigFromScenario(sc)
	cfg.Fleet = "30P70D+32V"
	wo := scenarios.WorkloadOptions{Duration: 8 * time.Minute, RateScale: 0.01}
	a := resultJSON(t, sc, cfg, wo)
	require.Equal(t, string(a), string(resultJSON(t, sc, cfg, wo)))
	require.Contains(t, string(a), `"research"`)
}

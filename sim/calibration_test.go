package sim

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/fleetbench/fleetbench/sim/perf"
)

// TestCalibrationEngineTRTLLM runs docs/calibration.md §1 end to end
// through the engine (not the performance model's own offline loop):
// every request arrives at t=0 on one colocated H100 instance of
// Llama-3.1-8B FP8 with trtllm-bench's batch limits, and output tokens/s is
// compared with the published figure. Every row is printed.
func TestCalibrationEngineTRTLLM(t *testing.T) {
	m, err := models.Lookup("llama-3.1-8b")
	require.NoError(t, err)
	g, err := hardware.Lookup("h100")
	require.NoError(t, err)
	pm, err := perf.New(m, g, perf.Config{DType: "fp8", MemFraction: 0.95})
	require.NoError(t, err)
	t.Logf("§1 TensorRT-LLM offline, llama-3.1-8b fp8, 1×h100, through the engine")
	t.Logf("%-11s %9s %9s %9s %7s %7s", "in/out", "engine", "model", "published", "err%", "vs model")
	var errs []float64
	for _, row := range perf.TRTLLMOfflineRows {
		s := perf.TRTLLMBenchSched(pm, row.In, row.Out)
		cfg := Config{Fleet: "1C", Model: "llama-3.1-8b", GPU: "h100", DType: "fp8", MemFraction: 0.95,
			MaxSeqs: s.MaxSeqs, MaxBatchTokens: s.MaxBatchTokens}
		n := min(row.Requests, 3000) // enough for steady state; keeps the test fast
		reqs := make([]*scenarios.Request, n)
		for i := range reqs {
			reqs[i] = req(uint64(i+1), 0, row.Out, scenarios.Block{ID: uint64(1e9 + i), Tokens: int32(row.In)})
		}
		var out int64
		var end int64
		cfg.Records = func(r *results.Record) error {
			out += int64(r.OutputTokens)
			end = max(end, r.LastToken)
			return nil
		}
		_, _, err := RunSource(oneClass(), &sliceSource{reqs: reqs}, 1, cfg)
		require.NoError(t, err)
		got := float64(out) / (float64(end) / 1e9)
		model := perf.OfflineThroughput(pm, row.In, row.Out, n, s)
		e := (got - row.Value) / row.Value * 100
		errs = append(errs, math.Abs(e))
		t.Logf("%-11s %9.0f %9.0f %9.0f %+7.1f %+7.1f", fmt.Sprintf("%d/%d", row.In, row.Out), got, model, row.Value, e, (got-model)/model*100)
		require.Less(t, math.Abs(e), 40.0, "row %d/%d", row.In, row.Out)
	}
	slices.Sort(errs)
	med := (errs[len(errs)/2-1] + errs[len(errs)/2]) / 2
	t.Logf("median |error| %.1f%% over %d rows", med, len(errs))
	require.LessOrEqual(t, med, 15.0)
}

// TestCalibrationEngineWideEPPrefill runs the SGLang EP32 prefill rows of
// docs/calibration.md §5 through the whole engine: 1,280 prompts arrive at
// t=0 on one 32-GPU prefill instance (DP32, EP32, 16,384 tokens per rank per
// step), one output token each, and prompt tokens per second per node over
// the time to the last first token are compared with the published figure
// and with the performance model's steady step.
func TestCalibrationEngineWideEPPrefill(t *testing.T) {
	t.Logf("§5 SGLang prefill, deepseek-v3 fp8, 4x8 H100 EP32, through the engine (tokens/s per node)")
	t.Logf("%-7s %9s %9s %9s %7s %9s", "prompt", "engine", "model", "published", "err%", "vs model")
	for _, row := range perf.EPRows[:3] {
		n := 1280 * 4096 / row.PromptLen
		reqs := make([]*scenarios.Request, n)
		for i := range reqs {
			reqs[i] = req(uint64(i+1), 0, 1, scenarios.Block{ID: uint64(1e9 + i), Tokens: int32(row.PromptLen)})
		}
		cfg := Config{Fleet: "1P:h100x32/ep32/dp32 1D:h100x32/ep32/dp32", Model: "deepseek-v3", DType: "fp8", NoDecodePrefixCache: true,
			Pools: []PoolOptions{{Role: "prefill", RedundantExperts: 32, MaxBatchTokens: row.TokensPerGPU, A2A: perf.A2ANormal}}}
		var last int64
		cfg.Records = func(r *results.Record) error { last = max(last, r.FirstToken); return nil }
		_, _, err := RunSource(oneClass(), &sliceSource{reqs: reqs}, 1, cfg)
		require.NoError(t, err)
		got := float64(n*row.PromptLen) / (float64(last) / 1e9) / 4 // 4 nodes
		m, err := models.Lookup(row.Model)
		require.NoError(t, err)
		g, err := hardware.Lookup(row.GPU)
		require.NoError(t, err)
		pm, err := perf.New(m, g, row.Config)
		require.NoError(t, err)
		model := perf.EPThroughput(pm, row)
		e := (got - row.Published) / row.Published * 100
		t.Logf("%-7d %9.0f %9.0f %9.0f %+7.1f %+9.1f", row.PromptLen, got, model, row.Published, e, (got-model)/model*100)
		require.Less(t, math.Abs(e), 20.0)
		require.Less(t, math.Abs(got-model)/model, 0.03, "the engine runs the model's steady step")
	}
}

package perf

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDecodeStepsEqualsStepTime: the precomputed decode series gives
// StepTime's value bit for bit (the engine plans every decode span with it,
// and results must not change), for dense and MoE models, TP, wide EP with
// two-batch overlap, FP8, speculative decoding, and edge inputs.
func TestDecodeStepsEqualsStepTime(t *testing.T) {
	cases := []struct {
		model, gpu string
		cfg        Config
	}{
		{"llama-3.1-8b", "h100", Config{}},
		{"llama-3.1-70b", "h100", Config{TP: 4}},
		{"llama-3.1-70b", "h200", Config{TP: 4, DType: "fp8"}},
		{"qwen3-32b", "h20", Config{TP: 2}},
		{"qwen3-235b-a22b", "h200", Config{TP: 8, DType: "fp8"}},
		{"deepseek-v3", "h200", Config{TP: 8, DType: "fp8"}},
		{"deepseek-v3", "h800", Config{GPUs: 144, DP: 144, EP: 144, DType: "fp8", A2A: A2ALowLatency}},
		{"deepseek-v3", "h800", Config{GPUs: 32, DP: 32, EP: 32, DType: "fp8", TBO: "on"}},
		{"kimi-k2", "h200", Config{GPUs: 16, DP: 16, EP: 16, DType: "fp8", TBO: "off", A2A: A2ALowLatency}},
		{"llama-3.1-70b", "h200", Config{TP: 4, Spec: Spec{Draft: 2, Accept: 0.7}}},
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range cases {
		p := mustModel(t, c.model, c.gpu, c.cfg)
		for _, n := range []int{-1, 0, 1, 2, 3, 7, 16, 63, 64, 100, 255, 256, 1000, 4096} {
			d := p.DecodeSteps(n)
			ctxs := []int64{-5, 0, 1, int64(n), int64(max(n, 1)) * 4096}
			for range 200 {
				ctxs = append(ctxs, rng.Int64N(int64(max(n, 1))*32768+1))
			}
			for _, ctx := range ctxs {
				require.Equal(t, p.StepTime(Step{DecodeSeqs: n, DecodeCtx: ctx}), d.Time(ctx), "%s %+v n=%d ctx=%d", c.model, c.cfg, n, ctx)
			}
		}
	}
}

// BenchmarkDecodeSteps compares a decode span's step times through
// StepTime and through DecodeSteps.
func BenchmarkDecodeSteps(b *testing.B) {
	p := mustModel(b, "llama-3.1-70b", "h100", Config{TP: 4})
	b.Run("StepTime", func(b *testing.B) {
		var t int64
		for i := 0; b.Loop(); i++ {
			t += p.StepTime(Step{DecodeSeqs: 100, DecodeCtx: 100*1000 + int64(i&1023)*100})
		}
		_ = t
	})
	b.Run("DecodeSteps", func(b *testing.B) {
		d := p.DecodeSteps(100)
		var t int64
		for i := 0; b.Loop(); i++ {
			t += d.Time(100*1000 + int64(i&1023)*100)
		}
		_ = t
	})
}

package perf

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// decodeCases are the deployments the decode-step tests run: dense and MoE
// models, TP, wide EP with two-batch overlap, FP8 and speculative decoding.
var decodeCases = []struct {
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

// TestDecodeStepsEqualsStepTime: the precomputed decode series gives
// StepTime's value bit for bit (the engine plans every decode span with it,
// and results must not change), for dense and MoE models, TP, wide EP with
// two-batch overlap, FP8, speculative decoding, and edge inputs.
func TestDecodeStepsEqualsStepTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range decodeCases {
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
	// A span of 32 steps per op, as the engine plans them: Time in a loop,
	// then AppendEnds.
	b.Run("span32/Time", func(b *testing.B) {
		d := p.DecodeSteps(100)
		ends := make([]int64, 0, 32)
		for i := 0; b.Loop(); i++ {
			ends = ends[:0]
			t := int64(i)
			for k := range 32 {
				t += max(d.Time(100*1000+int64(i&1023)*100+int64(k)*100), 1)
				ends = append(ends, t)
			}
		}
	})
	b.Run("span32/AppendEnds", func(b *testing.B) {
		d := p.DecodeSteps(100)
		ends := make([]int64, 0, 32)
		for i := 0; b.Loop(); i++ {
			ends = d.AppendEnds(ends[:0], int64(i), 100*1000+int64(i&1023)*100, 100, 32)
		}
	})
}

// TestAppendEndsEqualsTime: a span's step ends through AppendEnds equal
// the running sum of Time's step times bit for bit, on the fast path
// (dense models) and the general one (MoE, wide EP, speculative decoding).
func TestAppendEndsEqualsTime(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, c := range decodeCases {
		p := mustModel(t, c.model, c.gpu, c.cfg)
		for _, n := range []int{0, 1, 2, 7, 64, 100, 256, 1000} {
			d := p.DecodeSteps(n)
			for range 50 {
				t0 := rng.Int64N(1 << 40)
				ctx := rng.Int64N(int64(max(n, 1))*32768+1) - 3
				k := 1 + rng.IntN(128)
				var want []int64
				at := t0
				for i := 0; i < k; i++ {
					at += max(d.Time(ctx+int64(i)*int64(n)), 1)
					want = append(want, at)
				}
				got := d.AppendEnds([]int64{-1}, t0, ctx, int64(n), k)
				require.Equal(t, append([]int64{-1}, want...), got, "%s %+v n=%d ctx=%d k=%d", c.model, c.cfg, n, ctx, k)
			}
		}
	}
}

package perf

import (
	"math"
	"testing"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/stretchr/testify/require"
)

// toyGPU and toyModel have round numbers so the exactness test can spell
// the formula out by hand.
var toyGPU = hardware.Spec{ID: "toy", HBMBytes: 100e9, HBMBandwidth: 1e12, BF16FLOPS: 1e15, FP8FLOPS: 2e15, ScaleUpBandwidth: 800e9, NICBandwidth: 50e9}

var toyModel = models.Model{
	ID: "toy", TotalParams: 40e6, ActiveParams: 40e6, Layers: 2, DenseLayers: 2,
	Hidden: 1024, Heads: 8, KVHeads: 8, HeadDim: 128, FFN: 4096, Vocab: 1000,
	KVBytesPerTokenBF16: 2 * 2 * 8 * 128 * 2,
}

func TestStepTimeExact(t *testing.T) {
	p, err := New(toyModel, toyGPU, Config{})
	require.NoError(t, err)
	s := Step{PrefillTokens: 100, PrefillAttn: 100 * 101 / 2, DecodeSeqs: 10, DecodeCtx: 10 * 1000}

	// Hand computation (seconds).
	const (
		h, nh, hd, ffn, L, vocab = 1024.0, 8.0, 128.0, 4096.0, 2.0, 1000.0
		gemm                     = gemmEff * 1e15
		bw                       = memEff * 1e12
		attnRate                 = attnEff * 1e15
	)
	params := L * (2*h*nh*hd + 2*h*8*hd + 3*h*ffn) // 33,554,432
	require.Equal(t, 33554432.0, params)
	tokens := 110.0
	lin := math.Max(2*params*(tokens+gemmPadTokens)/gemm, params*2/bw)
	head := math.Max(2*vocab*h*(10+1+gemmPadTokens)/gemm, vocab*h*2/bw)
	preAttn := 5050 * 2 * nh * (2 * hd) * L / attnRate
	kvRead := 10000 * float64(toyModel.KVBytesPerTokenBF16) / bw
	decAttn := math.Max(10000*2*nh*2*hd*L/attnRate, kvRead)
	elem := tokens * L * (elemRepTensors*h + elemSplitTensors*(h+ffn)) * 2 / bw
	fixed := stepOverhead + (4*L+1)*kernelFloor
	want := fixed + lin + head + preAttn + decAttn + elem
	require.Equal(t, int64(want*1e9+0.5), p.StepTime(s))
	require.Equal(t, int64(0), p.StepTime(Step{}))
}

func TestStepTimeMonotone(t *testing.T) {
	for _, id := range []string{"llama-3.1-8b", "qwen3-32b", "deepseek-v3"} {
		tp := 1
		if id == "deepseek-v3" {
			tp = 8
		}
		p := mustModel(t, id, "h200", Config{TP: tp, DType: "fp8"})
		prev := int64(0)
		for _, n := range []int{1, 2, 8, 32, 128, 512, 2048, 8192} {
			d := p.StepTime(Step{DecodeSeqs: n, DecodeCtx: int64(n) * 2000})
			require.Greater(t, d, prev, "%s decode %d", id, n)
			prev = d
		}
		// More context costs more; prefill of a chunk costs more than decode of one token.
		require.Greater(t, p.StepTime(Step{DecodeSeqs: 64, DecodeCtx: 64 * 8000}), p.StepTime(Step{DecodeSeqs: 64, DecodeCtx: 64 * 1000}))
		require.Greater(t, p.StepTime(Step{PrefillTokens: 4096, PrefillAttn: 4096 * 4097 / 2}), p.StepTime(Step{DecodeSeqs: 1, DecodeCtx: 4096}))
	}
}

func TestStepTimeTPSpeedsUp(t *testing.T) {
	s := Step{PrefillTokens: 2048, PrefillAttn: 2048 * 2049 / 2, DecodeSeqs: 64, DecodeCtx: 64 * 4000}
	t1 := mustModel(t, "llama-3.1-70b", "h200", Config{TP: 1, DType: "fp8"}).StepTime(s)
	t4 := mustModel(t, "llama-3.1-70b", "h200", Config{TP: 4, DType: "fp8"}).StepTime(s)
	require.Less(t, t4, t1)
	require.Greater(t, t4, t1/4, "communication and overhead keep TP scaling sublinear")
}

func TestFP8FasterThanBF16(t *testing.T) {
	s := Step{DecodeSeqs: 32, DecodeCtx: 32 * 1000}
	b := mustModel(t, "llama-3.1-8b", "h100", Config{})
	f := mustModel(t, "llama-3.1-8b", "h100", Config{DType: "fp8"})
	require.Less(t, f.StepTime(s), b.StepTime(s))
	require.Equal(t, b.KVBytesPerToken()/2, f.KVBytesPerToken(), "KV dtype follows dtype")
	require.Greater(t, f.KVCapacityTokens(), b.KVCapacityTokens())
}

func TestKVBytesPerToken(t *testing.T) {
	cases := []struct {
		model, kv string
		tp        int
		want      int64
	}{
		{"llama-3.1-8b", "bf16", 1, 131072},
		{"llama-3.1-8b", "fp8", 1, 65536},
		{"llama-3.1-8b", "bf16", 16, 131072 * 2}, // 8 KV heads replicated over 16 GPUs
		{"deepseek-v3", "bf16", 8, 70272 * 8},    // MLA latent replicated over attention TP 8
		{"deepseek-v3", "fp8", 8, 40016 * 8},
		{"glm-4.5", "bf16", 8, 376832},
	}
	for _, c := range cases {
		p := mustModel(t, c.model, "h200", Config{TP: c.tp, DType: "fp8", KVDType: c.kv})
		require.Equal(t, c.want, p.KVBytesPerToken(), "%s tp%d %s", c.model, c.tp, c.kv)
	}
}

func TestKVCapacity(t *testing.T) {
	p := mustModel(t, "llama-3.1-8b", "h100", Config{})
	// 80 GB × 0.9 − 16 GB weights − ~2.3 GB reserve ≈ 53.6 GB at 131,072 B/token.
	got := float64(p.KVCapacityTokens())
	require.InDelta(t, 53.7e9/131072, got, 0.02*got)
	require.Equal(t, 1, p.GPUs())
	require.Equal(t, "h100", p.GPU().ID)
}

func TestNewErrors(t *testing.T) {
	h100, _ := hardware.Lookup("h100")
	a100, _ := hardware.Lookup("a100")
	ds, _ := models.Lookup("deepseek-v3")
	l8, _ := models.Lookup("llama-3.1-8b")
	cases := []struct {
		name    string
		m       models.Model
		g       hardware.Spec
		cfg     Config
		wantSub string
	}{
		{"does not fit", ds, h100, Config{}, "use TP 32 or more, fp8 weights, or a larger GPU"},
		// fp8 given already: not suggested again.
		{"does not fit fp8", ds, h100, Config{DType: "fp8"}, "use TP 16 or more, or a larger GPU"},
		{"fp8 on a100", l8, a100, Config{DType: "fp8"}, "no FP8"},
		{"bad dtype", l8, h100, Config{DType: "int4"}, `"int4" not supported`},
		{"bad kv dtype", l8, h100, Config{KVDType: "fp4"}, `kv dtype "fp4"`},
		{"bad mem fraction", l8, h100, Config{MemFraction: 1.5}, "memory fraction"},
		{"negative tp", l8, h100, Config{TP: -2}, "TP -2"},
		{"ep not divisor", ds, h100, Config{TP: 32, EP: 3}, "EP 3 must divide the instance's 32 GPUs"},
		{"empty model", models.Model{ID: "x"}, h100, Config{}, "no architecture"},
		{"empty gpu", l8, hardware.Spec{ID: "y"}, Config{}, "look it up"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := New(c.m, c.g, c.cfg)
			require.ErrorContains(t, err, c.wantSub)
		})
	}
	_, err := models.Lookup("gpt-5")
	require.ErrorContains(t, err, "llama-3.1-8b")
	_, err = hardware.Lookup("tpu")
	require.ErrorContains(t, err, "h100")
}

func TestMoEExpertsTouched(t *testing.T) {
	p := mustModel(t, "deepseek-v3", "h200", Config{TP: 8, DType: "fp8"})
	// Decode of 1 sequence reads few experts; 256 sequences read most of
	// them, so the step is much slower than 1 but far less than 256×.
	t1 := p.StepTime(Step{DecodeSeqs: 1, DecodeCtx: 1000})
	t256 := p.StepTime(Step{DecodeSeqs: 256, DecodeCtx: 256 * 1000})
	require.Greater(t, t256, 2*t1)
	require.Less(t, t256, 20*t1)
}

func BenchmarkStepTime(b *testing.B) {
	for _, id := range []string{"llama-3.1-8b", "deepseek-v3"} {
		b.Run(id, func(b *testing.B) {
			p := mustModel(b, id, "h200", Config{TP: 8, DType: "fp8"})
			s := Step{PrefillTokens: 512, PrefillAttn: 512 * 513 / 2, DecodeSeqs: 64, DecodeCtx: 64 * 3000}
			b.ReportAllocs()
			var sink int64
			for i := 0; b.Loop(); i++ {
				s.DecodeSeqs = 64 + i&63
				sink += p.StepTime(s)
			}
			_ = sink
		})
	}
}

func FuzzStepTime(f *testing.F) {
	f.Add(100, int64(5050), 10, int64(10000))
	f.Add(0, int64(0), 0, int64(0))
	f.Add(-5, int64(-1), 1<<30, int64(1)<<50)
	p, err := New(toyModel, toyGPU, Config{})
	require.NoError(f, err)
	ds := mustModel(f, "deepseek-v3", "h200", Config{TP: 8, DType: "fp8"})
	f.Fuzz(func(t *testing.T, pre int, attn int64, dec int, ctx int64) {
		s := Step{PrefillTokens: pre, PrefillAttn: attn, DecodeSeqs: dec, DecodeCtx: ctx}
		for _, m := range []*Model{p, ds} {
			d := m.StepTime(s)
			if max(pre, 0)+max(dec, 0) == 0 {
				require.Zero(t, d)
			} else {
				require.Positive(t, d)
			}
		}
	})
}

package perf

import (
	"math"
	"testing"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/stretchr/testify/require"
)

// toyMoE has one dense and one MoE layer with round numbers so the
// wide-EP step can be spelled out by hand.
var toyMoE = models.Model{
	ID: "toy-moe", Layers: 2, DenseLayers: 1, Hidden: 1024, Heads: 8, KVHeads: 8, HeadDim: 128,
	FFN: 4096, MoEFFN: 512, RoutedExperts: 16, SharedExperts: 1, TopK: 2, Vocab: 1000,
	TotalParams: 49774592, ActiveParams: 30e6, KVBytesPerTokenBF16: 2 * 2 * 8 * 128 * 2,
}

// TestStepTimeExactWideEP spells out one prefill step of a 16-GPU instance
// (DP 16, EP 16, two-batch overlap, normal all-to-all over two 8-GPU
// scale-up domains, imbalance 1.5) and requires the model to the ns.
func TestStepTimeExactWideEP(t *testing.T) {
	p, err := New(toyMoE, toyGPU, Config{GPUs: 16, DP: 16, EP: 16, Imbalance: 1.5, TBO: "on"})
	require.NoError(t, err)
	require.Equal(t, Config{GPUs: 16, TP: 1, DP: 16, EP: 16, Imbalance: 1.5, A2A: A2ANormal, TBO: "on",
		DType: "bf16", KVDType: "bf16", MemFraction: 0.9}, p.Config())
	const (
		h, nh, hd, ffn, eff, L, E, k, vocab = 1024.0, 8.0, 128.0, 4096.0, 512.0, 2.0, 16.0, 2.0, 1000.0
		G, dp, ep, mb                       = 16.0, 16.0, 16.0, 2.0
		gemm                                = gemmEff * 1e15
		bw                                  = memEff * 1e12
		attnRate                            = attnEff * 1e15
	)
	attn := 2*h*nh*hd + 2*h*8*hd // q,o + k,v
	expert := 3 * h * eff
	nonExpert := L*attn + ffn*3*h + expert + h*E // one dense FFN, one shared expert, the router
	require.Equal(t, 22560768.0, nonExpert)
	tok, preAttn := 100.0, 5050.0
	pad := gemmPadTokens * mb
	ne := math.Max(2*nonExpert*(tok/dp+pad)/gemm, nonExpert*2/bw)
	head := math.Max(2*vocab*h*(1/dp+pad)/gemm, vocab*h*2/bw)
	at := preAttn * 2 * nh * (2 * hd) * L / G / attnRate
	ffnAct := (ffn + eff*3) / L
	elem := tok * L * (elemRepTensors*h + elemSplitTensors*(h+ffnAct)) * 2 / bw / dp
	compute := ne + head + at + elem
	touched := 1 * (1 - math.Pow(1-k/E, tok)) // one expert per GPU
	expT := math.Max(2*expert*(tok*k*1.5/ep+pad*touched)/gemm, expert*2/bw*touched)
	expT += tok * 6 * h * k * 1.5 / ep / bw // permute + unpermute of the routed copies
	// Normal kernels: 2 domains of 8; a token touches 2(1-(1/2)^2) = 1.5
	// domains, 0.75 of them remote; NVLink forwards k·7/8 copies.
	remote, local := 0.75, k*7/8
	dir := func(b float64) float64 { return math.Max(remote*b/(a2aNormalNICEff*50e9), local*b/(linkEff*400e9)) }
	a2a := mb*2*a2aLatency + tok*(dir(h*(1+4.0/128))+dir(2*h))/G*1.5
	fixed := stepOverhead + (4+8+1)*kernelFloor*mb
	moe := (compute/2 + expT) / (1 - 24.0/132)
	want := fixed + compute/2 + math.Max(moe, a2a) + (1-tboOverlap)*math.Min(moe, a2a)
	require.Equal(t, int64(want*1e9+0.5), p.StepTime(Step{PrefillTokens: 100, PrefillAttn: 5050}))
}

// TestA2ACrossesDomain checks that dispatch cost follows the model as an
// expert-parallel group grows past the scale-up domain: NVLink only up to
// the domain (8 GPUs), then the NIC carries the (EP-8)/EP share of copies.
func TestA2ACrossesDomain(t *testing.T) {
	ds, err := models.Lookup("deepseek-v3")
	require.NoError(t, err)
	h800 := mustGPU(t, "h800")
	const tokens = 128.0
	bytes := tokens * 8 * 7168 * (1 + 4.0/128)
	var prev float64
	for _, ep := range []int{2, 4, 8, 16, 32, 64, 128, 256} {
		p, err := build(ds, h800, Config{GPUs: ep, DP: ep, EP: ep, DType: "fp8", A2A: A2ALowLatency}, false) // time only
		require.NoError(t, err, "ep %d", ep)
		got := p.A2ATime(tokens, false)
		e, D := float64(ep), math.Min(float64(ep), 8)
		want := a2aLatency + math.Max(bytes*(e-D)/e/(a2aLLNICEff*50e9), bytes*(D-1)/e/(linkEff*200e9))
		require.InDelta(t, want, got, 1e-12, "ep %d", ep)
		require.Greater(t, got, prev, "ep %d", ep)
		if ep == 16 {
			// Crossing the domain: the NIC term takes over and the cost jumps.
			require.Greater(t, got-a2aLatency, 2*(prev-a2aLatency), "crossing the NVLink domain")
		}
		prev = got
	}
	// An NVL72 domain keeps EP64 on NVLink.
	gb := mustGPU(t, "gb200")
	p, err := New(ds, gb, Config{GPUs: 64, DP: 64, EP: 64, DType: "fp8", A2A: A2ALowLatency})
	require.NoError(t, err)
	require.InDelta(t, a2aLatency+bytes*63/64/(linkEff*900e9), p.A2ATime(tokens, false), 1e-12)
}

// TestSpecAcceptZeroNeverFaster: with acceptance 0 every draft is wasted
// work, so speculative decoding may never beat plain decoding.
func TestSpecAcceptZeroNeverFaster(t *testing.T) {
	cases := []struct {
		model, gpu string
		cfg        Config
	}{
		{"llama-3.1-8b", "h100", Config{DType: "fp8"}},
		{"llama-3.1-70b", "h200", Config{TP: 4, DType: "fp8"}},
		{"deepseek-v3", "h800", Config{GPUs: 144, DP: 144, EP: 144, DType: "fp8", A2A: A2ALowLatency}},
		{"deepseek-v3", "h200", Config{TP: 8, DType: "fp8"}},
	}
	for _, c := range cases {
		base := mustModel(t, c.model, c.gpu, c.cfg)
		for _, n := range []int{1, 2, 4} {
			for _, a := range []float64{0, 0.7} {
				sc := c.cfg
				sc.Spec = Spec{Draft: n, Accept: a}
				sp := mustModel(t, c.model, c.gpu, sc)
				for _, seqs := range []int{1, 16, 256, 4096} {
					s := Step{DecodeSeqs: seqs, DecodeCtx: int64(seqs) * 3000}
					if a == 0 {
						require.GreaterOrEqual(t, sp.StepTime(s), base.StepTime(s), "%s n=%d seqs=%d", c.model, n, seqs)
					}
				}
				// Prefill steps are unchanged by speculation.
				pre := Step{PrefillTokens: 2048, PrefillAttn: 2048 * 2049 / 2}
				require.Equal(t, base.StepTime(pre), sp.StepTime(pre))
			}
		}
		// With a good acceptance rate a small decode batch gets faster.
		sc := c.cfg
		sc.Spec = Spec{Draft: 1, Accept: 0.9}
		sp := mustModel(t, c.model, c.gpu, sc)
		s := Step{DecodeSeqs: 8, DecodeCtx: 8 * 3000}
		require.Less(t, sp.StepTime(s), base.StepTime(s), c.model)
		require.Greater(t, sp.KVBytesPerToken(), base.KVBytesPerToken(), "the draft keeps KV too")
	}
	require.InDelta(t, 1+0.8+0.64, Spec{Draft: 2, Accept: 0.8}.ExpectedTokens(), 1e-12)
}

// TestWideEPMemory: a 144-GPU DeepSeek-V3 decode unit on H800 holds what
// DeepSeek deploys: 2 routed experts per GPU after 32 redundant ones, and
// KV for ~128 sequences of ~5K tokens per GPU (DeepSeek's day-6 overview).
func TestWideEPMemory(t *testing.T) {
	p := mustModel(t, "deepseek-v3", "h800", Config{GPUs: 144, DP: 144, EP: 144, DType: "fp8", KVDType: "bf16"})
	require.Equal(t, 32, p.Config().RedundantExperts)
	w := p.WeightBytesPerGPU() / 1e9
	require.InDelta(t, 22.2, w, 0.5, "17.1 GB non-expert FP8 + 2 experts × 58 layers × 44 M")
	perGPU := float64(p.KVCapacityTokens()) / 144
	require.Greater(t, perGPU, 128*4989*0.9)
	require.Less(t, perGPU, 128*4989*1.2)
	// Plain TP8 of the same model replicates the MLA latent 8 times.
	tp8 := mustModel(t, "deepseek-v3", "h200", Config{TP: 8, DType: "fp8"})
	dp8 := mustModel(t, "deepseek-v3", "h200", Config{GPUs: 8, DP: 8, DType: "fp8"})
	require.Equal(t, 8*dp8.KVBytesPerToken(), tp8.KVBytesPerToken())
}

func TestLayoutErrors(t *testing.T) {
	ds, _ := models.Lookup("deepseek-v3")
	h800 := mustGPU(t, "h800")
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{GPUs: 32, DP: 5}, "DP 5 does not divide the instance's 32 GPUs"},
		{Config{GPUs: 32, DP: 8, TP: 8}, "TP 8 × DP 8 = 64, but the instance has 32 GPUs: make TP·DP equal the GPU count (e.g. x32/dp32 for TP 1, x32/dp8/tp4)"},
		// The examples are the instance's own GPU count.
		{Config{GPUs: 8, DP: 4, TP: 4}, "the instance has 8 GPUs: make TP·DP equal the GPU count (e.g. x8/dp8 for TP 1, x8/dp2/tp4)"},
		{Config{GPUs: 6, DP: 4, TP: 2}, "(e.g. x6/dp6 for TP 1, x6/dp3/tp2)"},
		{Config{GPUs: 256, TP: 256}, "exceeds deepseek-v3's 128 attention heads"},
		{Config{GPUs: 24, TP: 24}, "attention TP 24 does not divide deepseek-v3's 128 attention heads (servers refuse it): use a TP that does (1, 2, 4, 8, 16)"},
		{Config{GPUs: 12, DP: 4, TP: 3}, "attention TP 3 does not divide deepseek-v3's 128 attention heads"},
		{Config{GPUs: 32, DP: 32, EP: 12}, "EP 12 must divide the instance's 32 GPUs"},
		{Config{GPUs: 144, DP: 144, EP: 144, RedundantExperts: 16}, "EP 144 does not divide deepseek-v3's 272 experts"},
		{Config{GPUs: 32, DP: 32, Imbalance: 0.5}, "expert imbalance 0.5 out of range"},
		{Config{GPUs: 32, DP: 32, TBO: "maybe"}, "two-batch overlap \"maybe\" unknown"},
		{Config{GPUs: 32, DP: 32, A2A: "fast"}, "all-to-all kernels \"fast\" unknown"},
		{Config{GPUs: 32, DP: 32, Spec: Spec{Draft: 1, Accept: 1.5}}, "acceptance rate 1.5 out of range"},
		{Config{GPUs: 32, DP: 32, Spec: Spec{Draft: 40}}, "draft length 40 out of range"},
	} {
		c.cfg.DType = "fp8"
		_, err := New(ds, h800, c.cfg)
		require.ErrorContains(t, err, c.want)
	}
}

// A TP that does not divide the attention heads is refused (vLLM and
// SGLang refuse it: llama-3.1-70b at --tp 3 ran), one that does is not.
func TestTPMustDivideHeads(t *testing.T) {
	h100 := mustGPU(t, "h100")
	for _, c := range []struct {
		model string
		tp    int
		ok    bool
	}{{"llama-3.1-70b", 3, false}, {"llama-3.1-70b", 5, false}, {"llama-3.1-70b", 4, true}, {"glm-4.5", 3, true}, {"glm-4.5", 5, false}} {
		m, err := models.Lookup(c.model)
		require.NoError(t, err)
		_, err = build(m, h100, Config{TP: c.tp}, false)
		if c.ok {
			require.NoError(t, err, "%s TP%d", c.model, c.tp)
		} else {
			require.ErrorContains(t, err, "does not divide "+c.model+"'s", "%s TP%d", c.model, c.tp)
		}
	}
}

func mustGPU(t testing.TB, id string) hardware.Spec {
	t.Helper()
	g, err := hardware.Lookup(id)
	require.NoError(t, err)
	return g
}

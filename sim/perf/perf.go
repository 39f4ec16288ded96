// Package perf is the simulator's performance model: how long one forward
// step of a batch takes on an instance of TP GPUs, how much KV cache the
// instance holds, and how long a video clip takes. It is a roofline model
// (compute vs memory per kernel class, with efficiency curves fitted on
// operator measurements) plus collective communication and fixed overheads.
//
// New precomputes every coefficient so that StepTime, which the discrete-
// event engine calls for every simulated batch step, is a handful of
// multiply-adds with no allocation.
package perf

import (
	"fmt"
	"math"
	"strings"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/sim/models"
)

// Config chooses how a model is deployed on an instance.
//
// An instance is GPUs GPUs that run one forward step together. Attention,
// dense FFNs, shared experts and the LM head run data-parallel over DP
// ranks of TP GPUs each (TP·DP = GPUs); routed experts run expert-parallel
// over EP ranks (EP divides GPUs; each expert is split over GPUs/EP GPUs).
// The zero value of the parallel fields is the classic layout: GPUs = TP,
// DP = 1, EP = GPUs.
type Config struct {
	// GPUs is the number of GPUs per instance; default TP·DP.
	GPUs int
	// TP is the tensor-parallel degree of attention and dense layers inside
	// one data-parallel rank; default GPUs/DP (1 when nothing is set).
	TP int
	// DP is the number of attention data-parallel ranks (SGLang's DP
	// attention); default 1. Requests are spread evenly over the ranks.
	DP int
	// EP is the expert-parallel degree for MoE layers; default GPUs. Must
	// divide GPUs. Ignored for dense models.
	EP int
	// RedundantExperts is how many extra expert replicas the instance holds
	// to balance load (EPLB), e.g. 32 for DeepSeek-V3 prefill; default the
	// fewest that give every EP rank the same number of experts (0 when EP
	// divides the routed experts, 32 for DeepSeek-V3 at EP72 or EP144).
	RedundantExperts int
	// Imbalance is the expert-load imbalance factor: the busiest GPU's
	// routed-expert tokens over the mean. Default EPLBImbalance when EP > 1,
	// 1 otherwise.
	Imbalance float64
	// A2A is the all-to-all kernel family: "normal" (throughput kernels with
	// NVLink forwarding, used for prefill; default) or "low-latency" (pure
	// RDMA kernels, used for decode).
	A2A string
	// TBO is two-batch overlap: "auto" (default: on when the expert-parallel
	// group spans more than one scale-up domain), "on" or "off". With it,
	// each step runs as two micro-batches and MoE-layer communication hides
	// behind the other micro-batch's compute.
	TBO string
	// Spec is speculative decoding (off when Draft is 0).
	Spec Spec
	// DType is the weight and GEMM precision: "bf16" (default) or "fp8"
	// (needs a GPU with FP8 tensor cores).
	DType string
	// KVDType is the KV-cache precision: "bf16" or "fp8"; default DType.
	KVDType string
	// MemFraction is the share of each GPU's HBM usable for weights, KV and
	// activations (default 0.90, like vLLM's gpu_memory_utilization).
	MemFraction float64
}

// Step is one forward pass of a continuous-batching engine.
type Step struct {
	// PrefillTokens is the number of new tokens computed for prefill in this
	// step (prefix-cache hits excluded).
	PrefillTokens int
	// PrefillAttn is Σ over those tokens of their attention context length:
	// a chunk of c tokens starting at position p contributes c·p + c(c+1)/2.
	PrefillAttn int64
	// DecodeSeqs is the number of sequences decoding one token each.
	DecodeSeqs int
	// DecodeCtx is Σ of the decoding sequences' context lengths.
	DecodeCtx int64
}

// Model is a model deployed on one instance of a GPU type. Build it with
// New; it is immutable afterwards and safe for concurrent use.
type Model struct {
	m   models.Model
	g   hardware.Spec
	cfg Config

	kvBytesPerToken  int64 // whole instance, all layers
	kvCapacityTokens int64 // whole instance
	weightBytesGPU   float64

	// Step-time coefficients, all in seconds (per GPU; GPUs run in lockstep).
	dp       float64 // attention data-parallel ranks
	mb       float64 // micro-batches per step (2 with two-batch overlap)
	cNE      float64 // non-expert GEMM compute per (rank token + pad)
	wNE      float64 // non-expert weight streaming
	cHead    float64 // LM head compute per (rank logit token + pad)
	wHead    float64 // LM head weight streaming
	cExp     float64 // routed-expert compute per expert-token on one GPU (all MoE layers)
	wExp     float64 // streaming one local expert's weights (all MoE layers)
	experts  float64 // routed experts per layer (0: dense)
	topK     float64 // routed experts per token
	lnMiss   float64 // ln(1 - k/E): log-probability a token misses one expert
	epLoad   float64 // busiest GPU's expert-tokens per instance token: k·imbalance/EP
	permTok  float64 // permute/unpermute traffic per instance token (normal kernels)
	nLocal   float64 // experts held per GPU (routed + redundant)/EP
	attnPre  float64 // prefill attention compute per unit of PrefillAttn
	attnDecC float64 // decode attention compute per unit of DecodeCtx
	attnDecM float64 // decode KV streaming per unit of DecodeCtx
	elem     float64 // element-wise traffic per token
	commTok  float64 // tensor-parallel all-reduces: per token
	a2aTok   float64 // expert-parallel dispatch+combine: per instance token (0: none)
	a2aFix   float64 // expert-parallel dispatch+combine latencies per step
	moeShare float64 // share of the non-expert compute in MoE layers (overlappable)
	smSlow   float64 // compute slowdown while normal all-to-all kernels hold SMs
	fixed    float64 // per step: kernel floors, collective latencies, overhead
	spec     specCoeffs
}

// bytesOf returns the element size of a precision name.
func bytesOf(dtype string) float64 {
	if dtype == "fp8" {
		return 1
	}
	return 2
}

// normalise fills defaults and validates cfg against the model and GPU.
func normalise(m models.Model, g hardware.Spec, cfg Config) (Config, error) {
	if err := normaliseLayout(m, &cfg); err != nil {
		return cfg, err
	}
	cfg.DType = strings.ToLower(strings.TrimSpace(cfg.DType))
	if cfg.DType == "" {
		cfg.DType = "bf16"
	}
	cfg.KVDType = strings.ToLower(strings.TrimSpace(cfg.KVDType))
	if cfg.KVDType == "" {
		cfg.KVDType = cfg.DType
	}
	for _, d := range []struct{ name, v string }{{"dtype", cfg.DType}, {"kv dtype", cfg.KVDType}} {
		if d.v != "bf16" && d.v != "fp8" {
			return cfg, fmt.Errorf("perf: %s %q not supported: use \"bf16\" or \"fp8\"", d.name, d.v)
		}
	}
	if (cfg.DType == "fp8" || cfg.KVDType == "fp8") && g.FP8FLOPS <= 0 {
		return cfg, fmt.Errorf("perf: GPU %s has no FP8 tensor cores: use dtype bf16 (and kv dtype bf16)", g.ID)
	}
	if cfg.MemFraction == 0 {
		cfg.MemFraction = 0.90
	}
	if !(cfg.MemFraction > 0 && cfg.MemFraction <= 1) {
		return cfg, fmt.Errorf("perf: memory fraction %g out of range: use a value in (0, 1], e.g. 0.9", cfg.MemFraction)
	}
	if cfg.TBO == "auto" && m.IsMoE() && cfg.EP > g.Domain() {
		cfg.TBO = "on"
	} else if cfg.TBO == "auto" {
		cfg.TBO = "off"
	}
	return cfg, nil
}

// layerParams returns per-layer parameter counts derived from the
// architecture: attention projections, dense FFN, one routed expert.
func layerParams(m models.Model) (attn, ffn, expert float64) { return m.LayerParams() }

// gemmKFactors returns, for FP8, the FLOP-weighted mean of 1+fp8HalfK/K over
// the attention projections, a dense FFN and an expert FFN: the factor by
// which their compute time exceeds the large-K efficiency.
func gemmKFactors(m models.Model) (attn, dense, expert float64) {
	h, nh, hd := float64(m.Hidden), float64(m.Heads), float64(m.HeadDim)
	f := func(k float64) float64 { return 1 + fp8HalfK/k }
	if m.MLA {
		// Down-projections reduce over h, up-projections over the ranks.
		attn = (f(h) + f(float64(max(m.QLoRA, 1))) + f(float64(m.KVLoRA)) + f(nh*hd)) / 4
	} else {
		// Q, K, V reduce over h; O over heads·head dim (equal FLOPs weight
		// is close enough: Q+KV and O are similar sizes).
		attn = (f(h) + f(nh*hd)) / 2
	}
	// Gate and up reduce over h (2/3 of the FLOPs), down over the FFN width.
	dense = (2*f(h) + f(float64(max(m.FFN, 1)))) / 3
	expert = (2*f(h) + f(float64(max(m.MoEFFN, 1)))) / 3
	return attn, dense, expert
}

// kvInstanceBytes is the KV bytes the instance stores per token when
// attention runs tensor-parallel over tp GPUs per data-parallel rank. GQA
// heads are split over TP (replicated once TP exceeds the KV heads). An MLA
// latent is shared by all heads, so every GPU of a TP group keeps the whole
// latent: it is replicated tp times — the reason DeepSeek-V3 is deployed
// with data-parallel attention (tp = 1).
func kvInstanceBytes(m models.Model, tp int, kvDType string) int64 {
	if m.MLA {
		per := m.KVBytesPerTokenBF16
		if kvDType == "fp8" {
			// FlashMLA FP8 cache: 512 FP8 latent + 4 FP32 scales + 64 BF16
			// RoPE dims = 656 B per layer (docs/catalog.md).
			per = int64(m.Layers) * (int64(m.KVLoRA) + 16 + 2*int64(m.RoPEDim))
		}
		return per * int64(tp)
	}
	kv := m.KVBytesPerTokenBF16
	if kvDType == "fp8" {
		kv /= 2
	}
	if tp > m.KVHeads && m.KVHeads > 0 {
		kv = kv * int64(tp) / int64(m.KVHeads)
	}
	return kv
}

// New builds the performance model of m on an instance of cfg.TP GPUs of
// type g. It fails, saying what to change, when the configuration is
// invalid or the weights leave no room for KV cache.
func New(m models.Model, g hardware.Spec, cfg Config) (*Model, error) {
	return build(m, g, cfg, true)
}

// build is New with the memory check optional: calibration against
// operator profiles needs the step-time coefficients of configurations
// that would not fit a whole model.
func build(m models.Model, g hardware.Spec, cfg Config, checkMem bool) (*Model, error) {
	if m.Layers <= 0 || m.Hidden <= 0 || m.Heads <= 0 || m.HeadDim <= 0 || m.TotalParams <= 0 {
		return nil, fmt.Errorf("perf: model %q has no architecture (layers, hidden, heads, head dim, params): look it up with models.Lookup", m.ID)
	}
	if g.HBMBytes <= 0 || g.HBMBandwidth <= 0 || g.BF16FLOPS <= 0 {
		return nil, fmt.Errorf("perf: GPU %q has no memory, bandwidth or BF16 FLOPS: look it up with hardware.Lookup", g.ID)
	}
	cfg, err := normalise(m, g, cfg)
	if err != nil {
		return nil, err
	}
	p := &Model{m: m, g: g, cfg: cfg}
	wb := bytesOf(cfg.DType)
	p.kvBytesPerToken = kvInstanceBytes(m, cfg.TP, cfg.KVDType)
	if cfg.Spec.Draft > 0 {
		// A draft of d layers of the same width keeps its own KV (an MTP
		// module is one such layer).
		p.kvBytesPerToken += int64(math.Round(float64(p.kvBytesPerToken) * cfg.Spec.DraftLayers / float64(m.Layers)))
	}
	capTokens, perGPU := kvCapacity(m, g, cfg, wb, p.kvBytesPerToken)
	p.weightBytesGPU = perGPU
	if checkMem && capTokens < minKVTokens {
		return nil, notFitError(m, g, cfg, wb)
	}
	p.kvCapacityTokens = capTokens
	p.precompute(wb)
	return p, nil
}

// weightsPerGPU is the weight bytes one GPU holds: the non-expert weights
// (attention, dense FFNs, shared experts, router, embeddings, LM head)
// split over the attention TP group and replicated over DP ranks, plus the
// GPU's share of the routed experts (routed + redundant over EP, each split
// over GPUs/EP). A draft model adds its layers' share.
func weightsPerGPU(m models.Model, cfg Config, wb float64) float64 {
	_, _, expert := layerParams(m)
	routed := 0.0
	if m.IsMoE() {
		routed = float64(m.MoELayers()) * float64(m.RoutedExperts) * expert
	}
	nonExpert := m.TotalParams - routed
	w := nonExpert * wb / float64(cfg.TP)
	if routed > 0 {
		local := float64(m.RoutedExperts+cfg.RedundantExperts) / float64(cfg.EP)
		w += local * float64(m.MoELayers()) * expert * wb / float64(cfg.GPUs/cfg.EP)
	}
	if cfg.Spec.Draft > 0 {
		w *= 1 + cfg.Spec.DraftLayers/float64(m.Layers)
	}
	return w
}

// kvCapacity returns the instance's KV capacity in tokens and the weight
// bytes per GPU.
func kvCapacity(m models.Model, g hardware.Spec, cfg Config, wb float64, kvPerToken int64) (int64, float64) {
	weightsGPU := weightsPerGPU(m, cfg, wb)
	ffn := float64(m.FFN)
	if m.IsMoE() {
		ffn = float64(m.MoEFFN * (m.TopK + m.SharedExperts))
	}
	act := reserveTokens * (8*float64(m.Hidden) + 3*ffn/float64(cfg.TP)) * 2
	if m.IsMoE() && cfg.EP > 1 {
		act += a2aBufferBytes
	}
	free := g.HBMBytes*cfg.MemFraction - weightsGPU - reserveFixed - act
	if free <= 0 || kvPerToken <= 0 {
		return 0, weightsGPU
	}
	return int64(free * float64(cfg.GPUs) / float64(kvPerToken)), weightsGPU
}

// notFitError says the model does not fit and how many GPUs would.
func notFitError(m models.Model, g hardware.Spec, cfg Config, wb float64) error {
	need := m.TotalParams * wb / 1e9
	// Suggest powers of two: head counts divide by them. Wider instances
	// keep the attention TP degree and widen DP and EP with them.
	for n := 1; n <= 1024; n *= 2 {
		if n <= cfg.GPUs || n%cfg.TP != 0 {
			continue
		}
		c := cfg
		c.GPUs, c.DP, c.EP = n, n/cfg.TP, 0
		if cfg.DP == 1 {
			c.TP, c.DP = n, 1 // the classic layout: TP grows
		}
		if c2, err := normalise(m, g, c); err == nil {
			if k, _ := kvCapacity(m, g, c2, wb, kvInstanceBytes(m, c2.TP, c2.KVDType)); k >= minKVTokens {
				what := fmt.Sprintf("TP %d", n)
				if cfg.DP > 1 {
					what = fmt.Sprintf("%d GPUs per instance (%s)", n, layoutString(c2))
				}
				fp8 := ", fp8 weights" // the only smaller weight type
				if cfg.DType == "fp8" {
					fp8 = ""
				}
				return fmt.Errorf("perf: %s (%.0f GB of %s weights) does not fit on %d×%s with room for KV cache (memory fraction %.2f): use %s or more%s, or a larger GPU",
					m.ID, need, cfg.DType, cfg.GPUs, g.ID, cfg.MemFraction, what, fp8)
			}
		}
	}
	return fmt.Errorf("perf: %s (%.0f GB of %s weights) does not fit on any instance of up to 1024×%s: use a GPU with more memory", m.ID, need, cfg.DType, g.ID)
}

// precompute turns the architecture into per-step coefficients.
func (p *Model) precompute(wb float64) {
	m, g, cfg := p.m, p.g, p.cfg
	G, tp := float64(cfg.GPUs), float64(cfg.TP)
	L, Ld, Lm := float64(m.Layers), float64(m.DenseLayers), float64(m.MoELayers())
	h := float64(m.Hidden)
	peak := g.BF16FLOPS
	if cfg.DType == "fp8" {
		peak = g.FP8FLOPS
	}
	gemm := gemmEff * peak
	bw := memEff * g.HBMBandwidth
	p.dp, p.mb = float64(cfg.DP), 1
	if cfg.TBO == "on" {
		p.mb = 2
	}

	attn, ffn, expert := layerParams(m)
	nonExpert := L*attn + Ld*ffn
	if m.IsMoE() {
		nonExpert += Lm * (float64(m.SharedExperts)*expert + h*float64(m.RoutedExperts))
	}
	// FP8 GEMM slowdown by reduction size: FLOP-weighted mean of 1+K0/K.
	kAttn, kDense, kExp, kHead := 1.0, 1.0, 1.0, 1.0
	if cfg.DType == "fp8" {
		kAttn, kDense, kExp = gemmKFactors(m)
		kHead = 1 + fp8HalfK/h
	}
	neCompute := L*attn*kAttn + Ld*ffn*kDense
	if m.IsMoE() {
		neCompute += Lm * (float64(m.SharedExperts)*expert*kExp + h*float64(m.RoutedExperts)*kHead)
	}
	// Non-expert layers: each GPU computes its DP rank's tokens with 1/TP
	// of the weights.
	p.cNE = 2 * neCompute / tp / gemm
	p.wNE = nonExpert * wb / tp / bw
	head := float64(m.Vocab) * h
	p.cHead = 2 * head * kHead / tp / gemm
	p.wHead = head * wb / tp / bw
	if m.IsMoE() {
		E, ep := float64(m.RoutedExperts), float64(cfg.EP)
		tpe := G / ep // GPUs sharing one expert
		p.experts = E
		p.topK = float64(m.TopK)
		p.lnMiss = math.Log1p(-float64(m.TopK) / E)
		p.cExp = 2 * Lm * expert * kExp / tpe / gemm
		p.wExp = Lm * expert * wb / tpe / bw
		p.nLocal = (E + float64(cfg.RedundantExperts)) / ep
		p.epLoad = p.topK * cfg.Imbalance / ep
		if cfg.EP > 1 && cfg.A2A == A2ANormal {
			// Normal dispatch delivers tokens in arrival order: a permute
			// into the grouped GEMM's contiguous layout (FP8 read + write)
			// and an unpermute of the BF16 outputs (read + write) move 6·h
			// bytes per routed copy on the receiving GPU. Low-latency
			// dispatch writes the masked layout directly.
			p.permTok = Lm * 6 * h * p.epLoad / bw
		}
	}

	// Attention FLOPs per (query token, context token) pair per layer:
	// 2·heads·(d_qk + d_v). MLA prefill runs uncompressed heads
	// (192-dim QK, 128-dim V); MLA decode runs absorbed over the latent
	// (576-dim QK, 512-dim V). The work of all DP ranks spreads evenly
	// over the instance's GPUs.
	nh := float64(m.Heads)
	dqkPre, dvPre, dqkDec, dvDec := float64(m.HeadDim), float64(m.HeadDim), float64(m.HeadDim), float64(m.HeadDim)
	if m.MLA {
		dqkPre = float64(m.HeadDim + m.RoPEDim)
		dqkDec, dvDec = float64(m.KVLoRA+m.RoPEDim), float64(m.KVLoRA)
	}
	attnPeak := attnEff * g.BF16FLOPS
	p.attnPre = 2 * nh * (dqkPre + dvPre) * L / G / attnPeak
	p.attnDecC = 2 * nh * (dqkDec + dvDec) * L / G / attnPeak
	p.attnDecM = float64(p.kvBytesPerToken) / G / bw

	ffnAct := float64(m.FFN)
	if m.IsMoE() {
		ffnAct = (Ld*float64(m.FFN) + Lm*float64(m.MoEFFN*(m.TopK+m.SharedExperts))) / L
	}
	// Per instance token: the rank's share (1/DP) of the per-rank traffic.
	p.elem = L * (elemRepTensors*h + elemSplitTensors*(h+ffnAct)/tp) * 2 / bw / p.dp

	// Kernel floors: 4 GEMMs per dense layer; MoE layers add router,
	// grouped expert GEMMs and shared-expert GEMMs. Two micro-batches
	// launch every kernel twice.
	kernels := 4*Ld + 8*Lm + 1
	p.fixed = stepOverhead + kernels*kernelFloor*p.mb

	if cfg.TP > 1 {
		// Two all-reduces per layer of the rank's tokens·hidden BF16
		// activations; a ring moves 2(n-1)/n of the buffer over one
		// direction of the link; groups wider than the scale-up domain
		// cross the NIC.
		link := g.ScaleUpBandwidth / 2
		if cfg.TP > g.Domain() {
			link = math.Min(link, g.NICBandwidth)
		}
		busBW := linkEff * link
		p.commTok = 2 * L * 2 * (tp - 1) / tp * h * 2 / busBW / p.dp
		p.fixed += 2 * L * collectiveLatency
	}
	if m.IsMoE() && cfg.EP > 1 {
		p.a2aTok, p.a2aFix = a2aCoeffs(m, g, cfg)
		p.moeShare = Lm / L
		p.smSlow = 1
		if cfg.A2A == A2ANormal && p.mb > 1 {
			p.smSlow = 1 / (1 - normalA2ASMShare)
		}
	}
	p.spec = specCoefficients(m, cfg)
}

// StepTime returns the duration in ns of one forward step of s on the whole
// instance. An empty step takes 0. Negative fields count as 0. With
// speculative decoding, a decode-only step returns the time per generated
// token: (draft + verify) / expected tokens accepted per step.
func (p *Model) StepTime(s Step) int64 {
	pre, dec := float64(max(s.PrefillTokens, 0)), float64(max(s.DecodeSeqs, 0))
	if pre+dec == 0 {
		return 0
	}
	preAttn, decCtx := float64(max(s.PrefillAttn, 0)), float64(max(s.DecodeCtx, 0))
	if p.spec.on && pre == 0 {
		return toNs(p.specStep(dec, decCtx))
	}
	return toNs(p.step(pre, dec, preAttn, decCtx, 1))
}

// step is one forward pass in seconds where each decoding sequence brings
// q query tokens (q > 1 when verifying speculative drafts).
func (p *Model) step(pre, dec, preAttn, decCtx, q float64) float64 {
	tok := pre + dec*q
	rank := tok / p.dp
	logits := dec * q
	if pre > 0 {
		logits++ // the last prompt token of a finishing chunk is sampled
	}
	pad := gemmPadTokens * p.mb
	compute := max(p.cNE*(rank+pad), p.wNE) +
		max(p.cHead*(logits/p.dp+pad), p.wHead) +
		p.attnPre*preAttn + max(p.attnDecC*decCtx*q, p.attnDecM*decCtx) +
		p.elem*tok + p.commTok*tok
	var expT float64
	if p.experts > 0 {
		expT = p.expertTime(tok, pad)
	}
	var a2a float64
	if p.a2aTok != 0 {
		a2a = p.a2aFix + p.a2aTok*tok
	}
	return p.finish(compute, expT, a2a)
}

// expertTime is the routed experts' time for tok instance tokens. Expected
// distinct experts touched when tok tokens each pick k of E uniformly:
// E·(1-(1-k/E)^tok); each GPU holds nLocal of them. Each touched expert
// runs its own GEMM (per micro-batch), so each pays the small-batch pad;
// the busiest GPU gets the imbalanced share.
func (p *Model) expertTime(tok, pad float64) float64 {
	touched := p.nLocal * (1 - math.Exp(tok*p.lnMiss))
	return max(p.cExp*(tok*p.epLoad+pad*touched), p.wExp*touched) + p.permTok*tok
}

// finish adds the fixed cost, the experts and the expert-parallel
// communication (a2a, used only when p.a2aTok is not 0) to compute.
func (p *Model) finish(compute, expT, a2a float64) float64 {
	if p.a2aTok == 0 {
		return p.fixed + compute + expT
	}
	if p.mb == 1 {
		return p.fixed + compute + expT + a2a
	}
	// Two-batch overlap: in MoE layers one micro-batch's dispatch/combine
	// runs while the other computes; the layer takes the longer of the two.
	// Only tboOverlap of the shorter side hides: SGLang measured far less
	// than the ideal gain (docs/calibration.md).
	moe := (compute*p.moeShare + expT) * p.smSlow
	return p.fixed + compute*(1-p.moeShare) + max(moe, a2a) + (1-tboOverlap)*min(moe, a2a)
}

// toNs converts seconds to integer ns, saturating instead of overflowing
// for absurd inputs.
func toNs(sec float64) int64 {
	ns := sec*1e9 + 0.5
	if ns >= math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(ns)
}

// KVBytesPerToken is the KV-cache memory one token occupies on the whole
// instance (all layers, all GPUs, including any replication).
func (p *Model) KVBytesPerToken() int64 { return p.kvBytesPerToken }

// KVCapacityTokens is how many tokens of KV cache fit in the instance after
// weights and the activation reserve.
func (p *Model) KVCapacityTokens() int64 { return p.kvCapacityTokens }

// GPUs is the number of GPUs in the instance.
func (p *Model) GPUs() int { return p.cfg.GPUs }

// GPU is the instance's GPU spec.
func (p *Model) GPU() hardware.Spec { return p.g }

// Config is the normalised deployment configuration (defaults filled in).
func (p *Model) Config() Config { return p.cfg }

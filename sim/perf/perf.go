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

	"github.com/fleetbench/fleetbench/gpu"
	"github.com/fleetbench/fleetbench/sim/models"
)

// Config chooses how a model is deployed on an instance.
type Config struct {
	// TP is the number of GPUs per instance (tensor parallel degree);
	// default 1.
	TP int
	// EP is the expert-parallel degree for MoE layers; default TP. Must
	// divide TP. Ignored for dense models.
	EP int
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
	g   gpu.Spec
	cfg Config

	kvBytesPerToken  int64 // whole instance, all layers
	kvCapacityTokens int64 // whole instance
	weightBytesGPU   float64

	// Step-time coefficients, all in seconds (per GPU; GPUs run in lockstep).
	cNE      float64 // non-expert GEMM compute per (token + pad)
	wNE      float64 // non-expert weight streaming
	cHead    float64 // LM head compute per (logit token + pad)
	wHead    float64 // LM head weight streaming
	cExp     float64 // routed-expert compute per expert-token (all MoE layers)
	wExp     float64 // streaming one routed expert's weights (all MoE layers), per GPU share
	experts  float64 // routed experts per layer (0: dense)
	topK     float64 // routed experts per token
	lnMiss   float64 // ln(1 - k/E): log-probability a token misses one expert
	attnPre  float64 // prefill attention compute per unit of PrefillAttn
	attnDecC float64 // decode attention compute per unit of DecodeCtx
	attnDecM float64 // decode KV streaming per unit of DecodeCtx
	elem     float64 // element-wise traffic per token
	commTok  float64 // collectives: per token
	fixed    float64 // per step: kernel floors, collective latencies, overhead
}

// bytesOf returns the element size of a precision name.
func bytesOf(dtype string) float64 {
	if dtype == "fp8" {
		return 1
	}
	return 2
}

// normalise fills defaults and validates cfg against the model and GPU.
func normalise(m models.Model, g gpu.Spec, cfg Config) (Config, error) {
	if cfg.TP == 0 {
		cfg.TP = 1
	}
	if cfg.TP < 1 || cfg.TP > 1024 {
		return cfg, fmt.Errorf("perf: TP %d out of range: use 1 to 1024 GPUs per instance", cfg.TP)
	}
	if cfg.EP == 0 {
		cfg.EP = cfg.TP
	}
	if m.IsMoE() && (cfg.EP < 1 || cfg.EP > cfg.TP || cfg.TP%cfg.EP != 0) {
		return cfg, fmt.Errorf("perf: EP %d must divide TP %d (the instance's GPUs): use EP = TP or a divisor of it", cfg.EP, cfg.TP)
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
	return cfg, nil
}

// layerParams returns per-layer parameter counts derived from the
// architecture: attention projections, dense FFN, one routed expert.
func layerParams(m models.Model) (attn, ffn, expert float64) {
	h, nh, hd := float64(m.Hidden), float64(m.Heads), float64(m.HeadDim)
	if m.MLA {
		rope, lora := float64(m.RoPEDim), float64(m.KVLoRA)
		q := h * nh * (hd + rope)
		if m.QLoRA > 0 {
			ql := float64(m.QLoRA)
			q = h*ql + ql*nh*(hd+rope)
		}
		kv := h*(lora+rope) + lora*nh*2*hd
		attn = q + kv + nh*hd*h
	} else {
		attn = 2*h*nh*hd + 2*h*float64(m.KVHeads)*hd
	}
	return attn, 3 * h * float64(m.FFN), 3 * h * float64(m.MoEFFN)
}

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

// kvInstanceBytes is the KV bytes the instance stores per token. GQA heads are
// split over TP (replicated once TP exceeds the KV heads); MLA latents are
// not split by heads, so the model assumes data-parallel attention (as
// SGLang and vLLM deploy DeepSeek-V3): each GPU keeps its own requests'
// latents and the instance stores each token once.
func kvInstanceBytes(m models.Model, tp int, kvDType string) int64 {
	if m.MLA {
		if kvDType == "fp8" {
			// FlashMLA FP8 cache: 512 FP8 latent + 4 FP32 scales + 64 BF16
			// RoPE dims = 656 B per layer (docs/catalog.md).
			return int64(m.Layers) * (int64(m.KVLoRA) + 16 + 2*int64(m.RoPEDim))
		}
		return m.KVBytesPerTokenBF16
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
func New(m models.Model, g gpu.Spec, cfg Config) (*Model, error) {
	return build(m, g, cfg, true)
}

// build is New with the memory check optional: calibration against
// operator profiles needs the step-time coefficients of configurations
// that would not fit a whole model.
func build(m models.Model, g gpu.Spec, cfg Config, checkMem bool) (*Model, error) {
	if m.Layers <= 0 || m.Hidden <= 0 || m.Heads <= 0 || m.HeadDim <= 0 || m.TotalParams <= 0 {
		return nil, fmt.Errorf("perf: model %q has no architecture (layers, hidden, heads, head dim, params): look it up with models.Lookup", m.ID)
	}
	if g.HBMBytes <= 0 || g.HBMBandwidth <= 0 || g.BF16FLOPS <= 0 {
		return nil, fmt.Errorf("perf: GPU %q has no memory, bandwidth or BF16 FLOPS: look it up with gpu.Lookup", g.ID)
	}
	cfg, err := normalise(m, g, cfg)
	if err != nil {
		return nil, err
	}
	p := &Model{m: m, g: g, cfg: cfg}
	wb := bytesOf(cfg.DType)
	p.kvBytesPerToken = kvInstanceBytes(m, cfg.TP, cfg.KVDType)
	capTokens, perGPU := kvCapacity(m, g, cfg, wb, p.kvBytesPerToken)
	p.weightBytesGPU = perGPU
	if checkMem && capTokens < minKVTokens {
		return nil, notFitError(m, g, cfg, wb)
	}
	p.kvCapacityTokens = capTokens
	p.precompute(wb)
	return p, nil
}

// kvCapacity returns the instance's KV capacity in tokens and the weight
// bytes per GPU.
func kvCapacity(m models.Model, g gpu.Spec, cfg Config, wb float64, kvPerToken int64) (int64, float64) {
	tp := float64(cfg.TP)
	weightsGPU := m.TotalParams * wb / tp
	ffn := float64(m.FFN)
	if m.IsMoE() {
		ffn = float64(m.MoEFFN * (m.TopK + m.SharedExperts))
	}
	act := reserveTokens * (8*float64(m.Hidden) + 3*ffn/tp) * 2
	free := g.HBMBytes*cfg.MemFraction - weightsGPU - reserveFixed - act
	if free <= 0 || kvPerToken <= 0 {
		return 0, weightsGPU
	}
	return int64(free * tp / float64(kvPerToken)), weightsGPU
}

// notFitError says the model does not fit and which TP would.
func notFitError(m models.Model, g gpu.Spec, cfg Config, wb float64) error {
	need := m.TotalParams * wb / 1e9
	// Suggest powers of two: head counts divide by them.
	for tp := 1; tp <= 1024; tp *= 2 {
		if tp <= cfg.TP {
			continue
		}
		c := cfg
		c.TP, c.EP = tp, 0 // EP follows TP in the suggestion
		if c2, err := normalise(m, g, c); err == nil {
			if n, _ := kvCapacity(m, g, c2, wb, kvInstanceBytes(m, tp, c2.KVDType)); n >= minKVTokens {
				return fmt.Errorf("perf: %s (%.0f GB of %s weights) does not fit on %d×%s with room for KV cache (memory fraction %.2f): use TP %d or more, fp8 weights, or a larger GPU",
					m.ID, need, cfg.DType, cfg.TP, g.ID, cfg.MemFraction, tp)
			}
		}
	}
	return fmt.Errorf("perf: %s (%.0f GB of %s weights) does not fit on any instance of up to 1024×%s: use a GPU with more memory", m.ID, need, cfg.DType, g.ID)
}

// precompute turns the architecture into per-step coefficients.
func (p *Model) precompute(wb float64) {
	m, g, cfg := p.m, p.g, p.cfg
	tp := float64(cfg.TP)
	L, Ld, Lm := float64(m.Layers), float64(m.DenseLayers), float64(m.MoELayers())
	h := float64(m.Hidden)
	peak := g.BF16FLOPS
	if cfg.DType == "fp8" {
		peak = g.FP8FLOPS
	}
	gemm := gemmEff * peak
	bw := memEff * g.HBMBandwidth

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
	p.cNE = 2 * neCompute / tp / gemm
	p.wNE = nonExpert * wb / tp / bw
	head := float64(m.Vocab) * h
	p.cHead = 2 * head * kHead / tp / gemm
	p.wHead = head * wb / tp / bw
	if m.IsMoE() {
		E := float64(m.RoutedExperts)
		p.experts = E
		p.topK = float64(m.TopK)
		p.lnMiss = math.Log1p(-float64(m.TopK) / E)
		p.cExp = 2 * Lm * expert * kExp / tp / gemm
		p.wExp = Lm * expert * wb / tp / bw
	}

	// Attention FLOPs per (query token, context token) pair per layer:
	// 2·heads·(d_qk + d_v). MLA prefill runs uncompressed heads
	// (192-dim QK, 128-dim V); MLA decode runs absorbed over the latent
	// (576-dim QK, 512-dim V).
	nh := float64(m.Heads)
	dqkPre, dvPre, dqkDec, dvDec := float64(m.HeadDim), float64(m.HeadDim), float64(m.HeadDim), float64(m.HeadDim)
	if m.MLA {
		dqkPre = float64(m.HeadDim + m.RoPEDim)
		dqkDec, dvDec = float64(m.KVLoRA+m.RoPEDim), float64(m.KVLoRA)
	}
	attnPeak := attnEff * g.BF16FLOPS
	p.attnPre = 2 * nh * (dqkPre + dvPre) * L / tp / attnPeak
	p.attnDecC = 2 * nh * (dqkDec + dvDec) * L / tp / attnPeak
	p.attnDecM = float64(p.kvBytesPerToken) / tp / bw

	ffnAct := float64(m.FFN)
	if m.IsMoE() {
		ffnAct = (Ld*float64(m.FFN) + Lm*float64(m.MoEFFN*(m.TopK+m.SharedExperts))) / L
	}
	p.elem = L * (elemRepTensors*h + elemSplitTensors*(h+ffnAct)/tp) * 2 / bw

	// Kernel floors: 4 GEMMs per dense layer; MoE layers add router,
	// grouped expert GEMMs and shared-expert GEMMs.
	kernels := 4*Ld + 8*Lm + 1
	p.fixed = stepOverhead + kernels*kernelFloor

	if cfg.TP > 1 {
		// Two all-reduces per layer of tokens·hidden BF16 activations; a ring
		// moves 2(n-1)/n of the buffer over one direction of the link.
		link := g.ScaleUpBandwidth / 2
		if cfg.TP > nodeGPUs {
			link = math.Min(link, g.NICBandwidth)
		}
		busBW := linkEff * link
		p.commTok = 2 * L * 2 * (tp - 1) / tp * h * 2 / busBW
		p.fixed += 2 * L * collectiveLatency
		if m.IsMoE() && cfg.EP > 1 {
			// Expert parallelism: dispatch and combine all-to-alls of each
			// token's k expert inputs; a share (EP-1)/EP leaves the GPU.
			ep := float64(cfg.EP)
			p.commTok += 2 * Lm * float64(m.TopK) * h * 2 * (ep - 1) / ep / tp / busBW
			p.fixed += 2 * Lm * collectiveLatency
		}
	}
}

// StepTime returns the duration in ns of one forward step of s on the whole
// instance. An empty step takes 0. Negative fields count as 0.
func (p *Model) StepTime(s Step) int64 {
	pre, dec := float64(max(s.PrefillTokens, 0)), float64(max(s.DecodeSeqs, 0))
	tok := pre + dec
	if tok == 0 {
		return 0
	}
	preAttn, decCtx := float64(max(s.PrefillAttn, 0)), float64(max(s.DecodeCtx, 0))
	logits := dec
	if pre > 0 {
		logits++ // the last prompt token of a finishing chunk is sampled
	}
	t := p.fixed + max(p.cNE*(tok+gemmPadTokens), p.wNE) +
		max(p.cHead*(logits+gemmPadTokens), p.wHead) +
		p.attnPre*preAttn + max(p.attnDecC*decCtx, p.attnDecM*decCtx) +
		p.elem*tok + p.commTok*tok
	if p.experts > 0 {
		// Expected distinct experts touched when tok tokens each pick k of E
		// uniformly: E·(1-(1-k/E)^tok). Each touched expert runs its own
		// GEMM, so each pays the small-batch pad.
		touched := p.experts * (1 - math.Exp(tok*p.lnMiss))
		t += max(p.cExp*(tok*p.topK+gemmPadTokens*touched), p.wExp*touched)
	}
	return toNs(t)
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

// GPUs is the number of GPUs in the instance (TP).
func (p *Model) GPUs() int { return p.cfg.TP }

// GPU is the instance's GPU spec.
func (p *Model) GPU() gpu.Spec { return p.g }

// Arch is the model architecture being served.
func (p *Model) Arch() models.Model { return p.m }

// Config is the normalised deployment configuration (defaults filled in).
func (p *Model) Config() Config { return p.cfg }

// WeightBytesPerGPU is the weight memory each GPU holds.
func (p *Model) WeightBytesPerGPU() float64 { return p.weightBytesGPU }

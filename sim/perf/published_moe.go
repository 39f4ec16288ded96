package perf

// Published large-expert-parallel figures the MoE model is calibrated
// against (docs/calibration.md names every source). Per-node throughput is
// tokens per second per 8-GPU server of the pool that was measured.

// EPRow is one published steady-state measurement of a wide-EP pool.
type EPRow struct {
	Name   string // what was measured, with its source
	Source string // title and URL
	Model  string // catalog model id
	GPU    string // catalog GPU id
	Config Config // parallel layout, dtype and knobs as deployed
	// Prefill: TokensPerGPU prompt tokens per GPU per step, prompts of
	// PromptLen tokens. Decode: SeqsPerGPU sequences per GPU at context Ctx.
	TokensPerGPU, PromptLen int
	SeqsPerGPU, Ctx         int
	Published               float64 // tokens/s per node (prefill: input, decode: output)
	HeldAside               bool    // a check only: nothing was fitted to it
}

const (
	srcSGLangEP = "SGLang team, \"Deploying DeepSeek with PD Disaggregation and Large-scale Expert Parallelism on 96 H100 GPUs\", LMSYS blog, 2025-05-05, https://lmsys.org/blog/2025-05-05-large-scale-ep/"
	srcRTP      = "Alibaba RTP-LLM team, DeepSeek-V3/R1 reproduction report on H800 (PD, DP=EP=GPUs, 4K in / 2K out under TTFT 1.6 s and ITL 50 ms), 2025"
	srcDSProf   = "DeepSeek, profile-data README (prefill: EP32, 4K prompts, 16K tokens per GPU, perfectly balanced routing), https://github.com/deepseek-ai/profile-data, as converted to per-node throughput in the SGLang blog above"
	srcDSDay6   = "DeepSeek, \"DeepSeek-V3/R1 Inference System Overview\" (Open Infra Index, day 6), 2025-03-01, https://github.com/deepseek-ai/open-infra-index"
)

// EPRows are the DeepSeek-V3 large-EP rows of `make validate`.
var EPRows = []EPRow{
	// SGLang prefill: 4 nodes × 8 H100, EP32, DP attention, DeepEP normal
	// kernels, DeepGEMM, two-batch overlap, EPLB with in-distribution
	// statistics; 16,384 tokens per GPU per batch (the blog's profile
	// table); 32 redundant experts (the blog's 288-expert pool).
	{Name: "SGLang prefill 1K prompts, 4x8 H100 EP32", Source: srcSGLangEP, Model: "deepseek-v3", GPU: "h100",
		Config:       Config{GPUs: 32, DP: 32, EP: 32, RedundantExperts: 32, DType: "fp8", KVDType: "bf16", A2A: A2ANormal},
		TokensPerGPU: 16384, PromptLen: 1024, Published: 57674},
	{Name: "SGLang prefill 2K prompts, 4x8 H100 EP32", Source: srcSGLangEP, Model: "deepseek-v3", GPU: "h100",
		Config:       Config{GPUs: 32, DP: 32, EP: 32, RedundantExperts: 32, DType: "fp8", KVDType: "bf16", A2A: A2ANormal},
		TokensPerGPU: 16384, PromptLen: 2048, Published: 54543},
	{Name: "SGLang prefill 4K prompts, 4x8 H100 EP32", Source: srcSGLangEP, Model: "deepseek-v3", GPU: "h100",
		Config:       Config{GPUs: 32, DP: 32, EP: 32, RedundantExperts: 32, DType: "fp8", KVDType: "bf16", A2A: A2ANormal},
		TokensPerGPU: 16384, PromptLen: 4096, Published: 50302},
	// Same with simulated perfect expert balance (the blog's upper bound).
	{Name: "SGLang prefill 4K prompts, perfect EPLB, 4x8 H100 EP32", Source: srcSGLangEP, Model: "deepseek-v3", GPU: "h100",
		Config:       Config{GPUs: 32, DP: 32, EP: 32, RedundantExperts: 32, DType: "fp8", KVDType: "bf16", A2A: A2ANormal, Imbalance: 1},
		TokensPerGPU: 16384, PromptLen: 4096, Published: 59337},
	// SGLang decode: 9 nodes × 8 H100, EP72, 256 sequences per GPU, 2,000
	// input tokens (KV length 2,000), DeepEP low-latency kernels, TBO.
	{Name: "SGLang decode 256 seq/GPU @2K, 9x8 H100 EP72", Source: srcSGLangEP, Model: "deepseek-v3", GPU: "h100",
		Config:     Config{GPUs: 72, DP: 72, EP: 72, RedundantExperts: 32, DType: "fp8", KVDType: "bf16", A2A: A2ALowLatency},
		SeqsPerGPU: 256, Ctx: 2000, Published: 22282},
	// Held aside: DeepSeek's prefill profile on H800 (balanced routing).
	{Name: "DeepSeek profile prefill 4K, H800 EP32, balanced (held aside)", Source: srcDSProf, Model: "deepseek-v3", GPU: "h800",
		Config:       Config{GPUs: 32, DP: 32, EP: 32, RedundantExperts: 32, DType: "fp8", KVDType: "bf16", A2A: A2ANormal, Imbalance: 1},
		TokensPerGPU: 16384, PromptLen: 4096, Published: 62713, HeldAside: true},
	// Held aside: RTP-LLM on H800. Prefill: 2 × 4K requests per GPU per
	// 1.5 s step. Decode: EP144 at ITL ≤ 50 ms gives at most 14.7k/8×0.05 ≈
	// 92 sequences per GPU, at ~5K tokens of context (4K in, half of 2K out).
	{Name: "RTP-LLM prefill 2x4K per GPU, H800 EP32 (held aside)", Source: srcRTP, Model: "deepseek-v3", GPU: "h800",
		Config:       Config{GPUs: 32, DP: 32, EP: 32, DType: "fp8", KVDType: "bf16", A2A: A2ANormal},
		TokensPerGPU: 8192, PromptLen: 4096, Published: 42600, HeldAside: true},
	{Name: "RTP-LLM decode 92 seq/GPU @5K, H800 EP144 (held aside)", Source: srcRTP, Model: "deepseek-v3", GPU: "h800",
		Config:     Config{GPUs: 144, DP: 144, EP: 144, DType: "fp8", KVDType: "bf16", A2A: A2ALowLatency},
		SeqsPerGPU: 92, Ctx: 5000, Published: 14700, HeldAside: true},
	// Held aside: DeepSeek's own production decode on H800 (EP144, 18 nodes
	// per unit, MTP with one draft token; the V3 report gives 85-90%
	// acceptance of the second token). The day's mean: 14.8k output tokens/s
	// per node at 20-22 tokens/s per user and 4,989 tokens of KV per output
	// token, i.e. ~705 sequences per node (88 per GPU).
	{Name: "DeepSeek production decode, H800 EP144, MTP (held aside)", Source: srcDSDay6, Model: "deepseek-v3", GPU: "h800",
		Config: Config{GPUs: 144, DP: 144, EP: 144, RedundantExperts: 32, DType: "fp8", KVDType: "bf16", A2A: A2ALowLatency,
			Spec: Spec{Draft: 1, Accept: 0.875}},
		SeqsPerGPU: 88, Ctx: 4989, Published: 14800, HeldAside: true},
}

// DeepEPLowLatency is DeepEP's low-latency kernel table (H800, CX7 400 Gb/s
// InfiniBand, 128 tokens per GPU, hidden 7168, top-8, FP8 dispatch, BF16
// combine; pure RDMA): latency in µs of one dispatch and one combine.
var DeepEPLowLatency = []struct {
	EP                int
	Dispatch, Combine float64
}{{8, 77, 114}, {16, 118, 195}, {32, 155, 273}, {64, 173, 314}, {128, 192, 369}, {256, 194, 360}}

// EPThroughput returns the model's steady-state tokens/s per 8-GPU node for
// r: one full step of the pool divided by its duration.
func EPThroughput(p *Model, r EPRow) float64 {
	node := float64(p.GPU().Node())
	if r.TokensPerGPU > 0 {
		tok := r.TokensPerGPU * p.GPUs()
		n := int64(tok / r.PromptLen)
		P := int64(r.PromptLen)
		s := Step{PrefillTokens: tok, PrefillAttn: n * P * (P + 1) / 2}
		return float64(r.TokensPerGPU) * node / (float64(p.StepTime(s)) / 1e9)
	}
	seqs := r.SeqsPerGPU * p.GPUs()
	s := Step{DecodeSeqs: seqs, DecodeCtx: int64(seqs) * int64(r.Ctx)}
	return float64(r.SeqsPerGPU) * node / (float64(p.StepTime(s)) / 1e9)
}

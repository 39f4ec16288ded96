package perf

// Efficiency coefficients of the roofline model. They describe the hardware
// and kernels, not any particular benchmark row: each is fitted on operator
// measurements or taken from a published kernel figure, and the same values
// apply to every model, GPU and batch. Run `go test ./sim/perf -run
// Calibration -v` to see how they reproduce docs/calibration.md.
const (
	// gemmEff is the fraction of dense tensor peak a large GEMM reaches.
	// Fit on the Vidur H100 operator profiles (llama-2-7b and -70b, TP 1-8,
	// 1-4096 tokens): 0.755, matching ~750 TFLOPS BF16 at 4096 tokens and
	// the 74-78% FP8 GEMM figure in docs/catalog.md.
	gemmEff = 0.755
	// gemmPadTokens models the small-batch GEMM inefficiency: a GEMM over T
	// tokens costs as much compute as (T + gemmPadTokens) tokens at gemmEff
	// (tile and wave quantisation), i.e. eff(T) = gemmEff·T/(T+163). Same
	// Vidur fit; geometric RMS error 8.8% over all 288 points.
	gemmPadTokens = 163
	// fp8HalfK models FP8 GEMMs' dependence on the reduction size K: they
	// reach gemmEff·K/(K+fp8HalfK). docs/catalog.md (tilelang on H800): 74-78%
	// of peak at K ≥ 8192 and 19-47% at K = 256-1024; K/(K+600) gives 70%
	// at 8192, 48% at 1024, 23% at 256. BF16's K-dependence is already
	// inside the Vidur fit.
	fp8HalfK = 600
	// kernelFloor is the fixed cost of one GEMM kernel (launch, prologue,
	// tail wave), in seconds. Vidur fit: 27 µs per layer of 4 GEMMs.
	kernelFloor = 6.8e-6
	// memEff is the fraction of peak HBM bandwidth that weight streaming and
	// KV reads reach. docs/catalog.md: well-tuned decode reaches 70-85% (FlashMLA
	// 90%); Vidur single-token GEMMs run at 78-88% of 3.35 TB/s.
	memEff = 0.85
	// attnEff is the fraction of tensor peak an attention kernel reaches
	// when compute-bound: FlashAttention-2 reports 50-73% on A100,
	// FlashAttention-3 75% on H100; 0.68 also reproduces the H20 video rows.
	attnEff = 0.68
	// elemRepTensors and elemSplitTensors size the element-wise traffic
	// (norms, residual adds, activation, RoPE) per token per layer, in
	// hidden-sized BF16 tensors read or written: the replicated part does
	// not shrink with TP, the split part scales with (hidden+ffn)/TP.
	// Fit on the same Vidur profiles (norm, add, act, rope operators).
	elemRepTensors   = 14.7
	elemSplitTensors = 4.9
	// linkEff is the fraction of one direction of the scale-up (or NIC)
	// bandwidth a ring all-reduce reaches: Vidur's H100 DGX all_reduce.csv
	// shows ~365 GB/s bus bandwidth at 64 MB over NVLink4 (450 GB/s/dir).
	linkEff = 0.8
	// collectiveLatency is the fixed cost of one all-reduce or all-to-all, in
	// seconds. Vidur's eager NCCL shows ~35 µs at small sizes; serving
	// engines use one-shot custom all-reduce kernels inside CUDA graphs,
	// which take ~8 µs.
	collectiveLatency = 8e-6
	// stepOverhead is the per-step fixed cost outside the GPU kernels
	// (scheduling, sampling, input preparation), in seconds.
	stepOverhead = 0.5e-3
	// a2aLLNICEff is the fraction of NIC bandwidth DeepEP's low-latency
	// (pure RDMA) dispatch/combine kernels reach, and a2aLatency their fixed
	// cost per call, in seconds: a least-squares fit of time = latency +
	// remote bytes / (eff·50 GB/s) to DeepEP's H800 table (128 tokens, 7168
	// hidden, top-8, FP8 dispatch, BF16 combine, EP16..EP256): dispatch
	// gives 0.905 and 37 µs, combine 0.834 and 19 µs. docs/calibration.md.
	a2aLLNICEff = 0.87
	a2aLatency  = 28e-6
	// a2aNormalNICEff is the same for DeepEP's normal (NVLink-forwarding)
	// kernels, counted on the deduplicated RDMA bytes: DeepEP reports 43-58
	// GB/s "RDMA bottleneck bandwidth" for EP16-64 on 50 GB/s NICs.
	a2aNormalNICEff = 1.0
	// normalA2ASMShare is the share of SMs DeepEP's normal kernels occupy
	// while they overlap compute (DeepEP README: Buffer.set_num_sms(24) of
	// an H800's 132 SMs); low-latency kernels hold none while in flight.
	normalA2ASMShare = 24.0 / 132
	// a2aBufferBytes is the per-GPU memory kept for expert-parallel
	// communication buffers (DeepEP NVLink/RDMA buffers) [unverified: a
	// round figure of the order DeepEP's size hints give for 7168 hidden].
	a2aBufferBytes = 2 << 30
	// reserveFixed is per-GPU memory kept out of the weights+KV budget for
	// the CUDA context, CUDA graphs and communication buffers, in bytes.
	reserveFixed = 1 << 30
	// reserveTokens is the batch size in tokens the activation reserve is
	// sized for (vLLM and TensorRT-LLM default max batched tokens: 8192).
	reserveTokens = 8192
	// minKVTokens is the least KV capacity (tokens per instance) New accepts:
	// one 8K-token sequence.
	minKVTokens = 8192
)

// tboOverlap is the share of the shorter of (MoE-layer compute, all-to-all)
// that two-batch overlap hides. Fitted on SGLang's decode ablation
// (DeepSeek-V3, 9×8 H100, 256 sequences per GPU: TBO gives +25.5%).
var tboOverlap = 0.8

// EPLBImbalance is the default expert-load imbalance with expert
// parallelism: the busiest GPU's routed tokens over the mean, which
// stretches both the expert GEMMs and the all-to-all. Fitted so that the
// model reproduces SGLang's measured cost of imbalance: DeepSeek-V3
// prefill on 4×8 H100 (EP32, its EPLB) ran at 50,302 tokens/s per node
// against 59,337 with simulated perfect balance (LMSYS blog, May 2025), a
// ratio of 1.18; the model gives 1.177 at 1.4.
const EPLBImbalance = 1.4

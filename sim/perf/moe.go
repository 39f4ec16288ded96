package perf

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/sim/models"
)

// All-to-all kernel families (Config.A2A).
const (
	A2ANormal     = "normal"
	A2ALowLatency = "low-latency"
)

// Spec is speculative decoding: each decode step drafts Draft tokens per
// sequence with a small draft model (or the model's own MTP module), then
// the target model verifies all of them in one pass.
type Spec struct {
	// Draft is the number of draft tokens per step (0: off; at most 16).
	Draft int
	// Accept is the probability that a draft token is accepted given that
	// the ones before it were, in [0, 1].
	Accept float64
	// DraftLayers is the draft model's cost in layers of the target model's
	// width; default the model's MTP modules (1 for DeepSeek-V3), else 1.
	DraftLayers float64
}

// ExpectedTokens is the mean number of tokens one speculative step yields
// per sequence: 1 + a + a² + … + a^Draft (the verified bonus token plus the
// accepted prefix of the draft).
func (s Spec) ExpectedTokens() float64 {
	e, term := 1.0, 1.0
	for i := 0; i < s.Draft; i++ {
		term *= s.Accept
		e += term
	}
	return e
}

// specCoeffs is the precomputed speculative-decoding state.
type specCoeffs struct {
	on     bool
	q      float64 // query tokens per sequence in the verify pass (Draft+1)
	n      float64 // draft passes per step
	frac   float64 // draft cost as a share of one target pass
	tokens float64 // expected tokens per step
}

func specCoefficients(m models.Model, cfg Config) specCoeffs {
	if cfg.Spec.Draft <= 0 {
		return specCoeffs{}
	}
	return specCoeffs{on: true, q: float64(cfg.Spec.Draft + 1), n: float64(cfg.Spec.Draft),
		frac: cfg.Spec.DraftLayers / float64(m.Layers), tokens: cfg.Spec.ExpectedTokens()}
}

// specStep is one speculative decode step divided by its expected tokens:
// Draft sequential draft passes (each frac of a target pass over the same
// batch, plus the LM head to sample), then one verify pass in which every
// sequence brings Draft+1 query tokens (more GEMM rows, attention queries,
// routed tokens; the KV is read once).
func (p *Model) specStep(dec, decCtx float64) float64 {
	one := p.step(0, dec, 0, decCtx, 1)
	verify := p.step(0, dec, 0, decCtx, p.spec.q)
	head := max(p.cHead*(dec/p.dp+gemmPadTokens*p.mb), p.wHead)
	draft := p.spec.frac*(one-stepOverhead) + head
	return (verify + p.spec.n*draft) / p.spec.tokens
}

// normaliseLayout fills the parallel layout's defaults and says what is
// wrong with an impossible one.
func normaliseLayout(m models.Model, cfg *Config) error {
	for _, f := range []struct {
		name string
		v    int
	}{{"GPUs", cfg.GPUs}, {"TP", cfg.TP}, {"DP", cfg.DP}, {"EP", cfg.EP}} {
		if f.v < 0 || f.v > 1024 {
			return fmt.Errorf("perf: %s %d out of range: use 1 to 1024", f.name, f.v)
		}
	}
	if cfg.GPUs == 0 {
		cfg.GPUs = max(cfg.TP, 1) * max(cfg.DP, 1)
		if cfg.GPUs > 1024 {
			return fmt.Errorf("perf: TP %d × DP %d = %d GPUs per instance: use at most 1024", cfg.TP, cfg.DP, cfg.GPUs)
		}
	}
	switch {
	case cfg.DP == 0 && cfg.TP == 0:
		cfg.DP, cfg.TP = 1, cfg.GPUs
	case cfg.DP == 0:
		if cfg.GPUs%cfg.TP != 0 {
			return fmt.Errorf("perf: attention TP %d does not divide the instance's %d GPUs: use a TP that divides it (DP = GPUs/TP)", cfg.TP, cfg.GPUs)
		}
		cfg.DP = cfg.GPUs / cfg.TP
	case cfg.TP == 0:
		if cfg.GPUs%cfg.DP != 0 {
			return fmt.Errorf("perf: DP %d does not divide the instance's %d GPUs: use a DP that divides it (attention TP = GPUs/DP)", cfg.DP, cfg.GPUs)
		}
		cfg.TP = cfg.GPUs / cfg.DP
	}
	if cfg.TP*cfg.DP != cfg.GPUs {
		return fmt.Errorf("perf: attention TP %d × DP %d = %d, but the instance has %d GPUs: make TP·DP equal the GPU count (e.g. %s)", cfg.TP, cfg.DP, cfg.TP*cfg.DP, cfg.GPUs, layoutExamples(cfg.GPUs))
	}
	if cfg.TP > m.Heads {
		return fmt.Errorf("perf: attention TP %d exceeds %s's %d attention heads: use DP attention (e.g. /dp%d) so each rank has TP ≤ %d", cfg.TP, m.ID, m.Heads, cfg.GPUs, m.Heads)
	}
	if m.Heads%cfg.TP != 0 {
		// vLLM and SGLang refuse it: each rank takes heads/TP whole heads.
		return fmt.Errorf("perf: attention TP %d does not divide %s's %d attention heads (servers refuse it): use a TP that does (%s)", cfg.TP, m.ID, m.Heads, divisorsUpTo(m.Heads, 16))
	}
	if cfg.EP == 0 {
		cfg.EP = cfg.GPUs
	}
	if cfg.RedundantExperts < 0 || cfg.RedundantExperts > 4096 {
		return fmt.Errorf("perf: redundant experts %d out of range: use 0 to 4096", cfg.RedundantExperts)
	}
	if m.IsMoE() {
		if cfg.GPUs%cfg.EP != 0 {
			return fmt.Errorf("perf: EP %d must divide the instance's %d GPUs: use EP = GPUs (one expert group per GPU) or a divisor of it", cfg.EP, cfg.GPUs)
		}
		if cfg.RedundantExperts == 0 {
			// The fewest replicas that give every rank the same count.
			cfg.RedundantExperts = (cfg.EP - m.RoutedExperts%cfg.EP) % cfg.EP
		}
		n := m.RoutedExperts + cfg.RedundantExperts
		if n%cfg.EP != 0 {
			r := (cfg.EP - m.RoutedExperts%cfg.EP) % cfg.EP
			return fmt.Errorf("perf: EP %d does not divide %s's %d experts (%d routed + %d redundant): add redundant experts so the total divides (e.g. %d redundant) or pick an EP that divides %d", cfg.EP, m.ID, n, m.RoutedExperts, cfg.RedundantExperts, r, m.RoutedExperts)
		}
	} else {
		cfg.EP = 1
	}
	if cfg.Imbalance == 0 {
		cfg.Imbalance = 1
		if m.IsMoE() && cfg.EP > 1 {
			cfg.Imbalance = EPLBImbalance
		}
	}
	if !(cfg.Imbalance >= 1 && cfg.Imbalance <= 16) {
		return fmt.Errorf("perf: expert imbalance %g out of range: use 1 (perfect balance) to 16 (busiest GPU's load over the mean)", cfg.Imbalance)
	}
	cfg.A2A = strings.ToLower(strings.TrimSpace(cfg.A2A))
	if cfg.A2A == "" {
		cfg.A2A = A2ANormal
	}
	if cfg.A2A != A2ANormal && cfg.A2A != A2ALowLatency {
		return fmt.Errorf("perf: all-to-all kernels %q unknown: use %q (prefill) or %q (decode)", cfg.A2A, A2ANormal, A2ALowLatency)
	}
	cfg.TBO = strings.ToLower(strings.TrimSpace(cfg.TBO))
	if cfg.TBO == "" {
		cfg.TBO = "auto"
	}
	if cfg.TBO != "auto" && cfg.TBO != "on" && cfg.TBO != "off" {
		return fmt.Errorf("perf: two-batch overlap %q unknown: use auto, on or off", cfg.TBO)
	}
	return normaliseSpec(m, &cfg.Spec)
}

func normaliseSpec(m models.Model, s *Spec) error {
	if s.Draft < 0 || s.Draft > 16 {
		return fmt.Errorf("perf: speculative draft length %d out of range: use 0 (off) to 16 tokens", s.Draft)
	}
	if !(s.Accept >= 0 && s.Accept <= 1) {
		return fmt.Errorf("perf: speculative acceptance rate %g out of range: use a probability in [0, 1]", s.Accept)
	}
	if !(s.DraftLayers >= 0 && s.DraftLayers <= float64(m.Layers)) {
		return fmt.Errorf("perf: draft model size %g layers out of range: use 0 to the model's %d layers", s.DraftLayers, m.Layers)
	}
	if s.Draft > 0 && s.DraftLayers == 0 {
		s.DraftLayers = float64(max(m.MTPLayers, 1))
	}
	return nil
}

// layoutString describes a normalised layout for messages.
func layoutString(cfg Config) string {
	return fmt.Sprintf("TP %d × DP %d, EP %d", cfg.TP, cfg.DP, cfg.EP)
}

// a2aCoeffs prices expert-parallel dispatch (FP8 activations plus one FP32
// scale per 128 values) and combine (BF16) over all MoE layers: seconds per
// instance token on the busiest link, and the per-step latencies.
//
// Each GPU sends its 1/GPUs share of the tokens. EP ranks are packed into
// scale-up domains of D = min(EP, domain) GPUs; copies for experts in the
// sender's domain ride NVLink, the rest cross the sender's NIC, and the two
// run in parallel (time = the slower). Low-latency kernels send one copy per
// routed expert; normal kernels send one copy per remote domain touched and
// forward inside it over NVLink (DeepEP's NVLink-RDMA forwarding).
func a2aCoeffs(m models.Model, g hardware.Spec, cfg Config) (perTok, fixed float64) {
	ep, k, h := float64(cfg.EP), float64(m.TopK), float64(m.Hidden)
	D := float64(min(cfg.EP, g.Domain()))
	nvBW := linkEff * g.ScaleUpBandwidth / 2
	nicEff, lat := a2aLLNICEff, a2aLatency
	var remote, local float64 // copies per token
	if cfg.A2A == A2ALowLatency {
		remote = k * (ep - D) / ep
		local = k * (D - 1) / ep
	} else {
		nicEff = a2aNormalNICEff
		N := math.Ceil(ep / D) // scale-up domains in the EP group
		touched := N * (1 - math.Pow(1-1/N, k))
		if m.GroupTopK > 1 && m.ExpertGroups > 1 {
			touched = min(touched, float64(m.GroupTopK))
		}
		remote = touched * (N - 1) / N
		local = k * (D - 1) / D
	}
	nicBW := nicEff * g.NICBandwidth
	dir := func(bytes float64) float64 {
		return max(remote*bytes/nicBW, local*bytes/nvBW)
	}
	Lm := float64(m.MoELayers())
	dispatch := h * (1 + 4.0/128)
	combine := 2 * h
	mb := 1.0
	if cfg.TBO == "on" {
		mb = 2
	}
	// The kernels finish when the busiest receiver has its tokens: expert
	// imbalance stretches them like the expert GEMMs.
	return Lm * (dir(dispatch) + dir(combine)) / float64(cfg.GPUs) * cfg.Imbalance, Lm * 2 * lat * mb
}

// A2ATime is the modelled time in seconds of one dispatch or combine of
// tokensPerGPU tokens on one MoE layer (no overlap), for comparison with
// DeepEP's published kernel tables.
func (p *Model) A2ATime(tokensPerGPU float64, combine bool) float64 {
	c := p.cfg
	c.TBO, c.Imbalance = "off", 1
	m := p.m
	m.DenseLayers = m.Layers - 1 // one MoE layer
	one, _ := a2aCoeffs(m, p.g, c)
	// one covers dispatch+combine; split by byte ratio.
	d, cb := float64(m.Hidden)*(1+4.0/128), 2*float64(m.Hidden)
	share := d / (d + cb)
	if combine {
		share = cb / (d + cb)
	}
	return one*float64(c.GPUs)*tokensPerGPU*share + a2aLatency
}

// divisorsUpTo lists the divisors of n up to max, for messages: "1, 2, 4, 8".
func divisorsUpTo(n, max int) string {
	var ds []string
	for d := 1; d <= max && d <= n; d++ {
		if n%d == 0 {
			ds = append(ds, strconv.Itoa(d))
		}
	}
	return strings.Join(ds, ", ")
}

// layoutExamples writes TP x DP layouts of an instance of gpus GPUs, in
// the fleet spec's syntax: DP attention with TP 1, and TP 4 (or 2) when
// it divides the GPUs.
func layoutExamples(gpus int) string {
	ex := fmt.Sprintf("x%d/dp%d for TP 1", gpus, gpus)
	for _, tp := range []int{4, 2} {
		if gpus > tp && gpus%tp == 0 {
			return ex + fmt.Sprintf(", x%d/dp%d/tp%d", gpus, gpus/tp, tp)
		}
	}
	return ex
}

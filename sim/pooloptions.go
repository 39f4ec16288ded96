package sim

import (
	"fmt"

	"github.com/fleetbench/fleetbench/sim/perf"
)

// PoolOptions are one pool's performance knobs. Zero values take the
// defaults of perf.Config; the fleet notation's /epN, /dpN and /tpN win
// over EP, DP and TP here.
type PoolOptions struct {
	Role string // prefill, decode or colocated

	EP, DP, TP       int     // expert-parallel ranks, attention DP ranks, attention TP per rank
	RedundantExperts int     // extra expert replicas (EPLB)
	Imbalance        float64 // busiest GPU's expert load over the mean (default perf.EPLBImbalance with EP)
	TBO              string  // two-batch overlap: auto (default), on, off
	A2A              string  // all-to-all kernels: normal, low-latency (default: low-latency on decode pools)
	Spec             perf.Spec

	// MaxSeqs and MaxBatchTokens override the fleet's per-rank limits.
	MaxSeqs, MaxBatchTokens int
}

func (o PoolOptions) validate(c *Config) error {
	switch o.Role {
	case "prefill", "decode", "colocated":
	default:
		return fmt.Errorf("pool options for %q: unknown pool (use prefill, decode or colocated)", o.Role)
	}
	if o.MaxSeqs < 0 || o.MaxBatchTokens < 0 || o.MaxSeqs > 1<<20 || o.MaxBatchTokens > 1<<24 {
		return fmt.Errorf("%s pool: max seqs %d / max batch tokens %d out of range (use 1 to 1048576 / 16777216)", o.Role, o.MaxSeqs, o.MaxBatchTokens)
	}
	seqs, toks := pick(o.MaxSeqs, c.MaxSeqs), pick(o.MaxBatchTokens, c.MaxBatchTokens)
	if toks <= seqs {
		return fmt.Errorf("%s pool: max batch tokens %d must exceed max sequences %d so every step has room for prefill", o.Role, toks, seqs)
	}
	return nil
}

func pick(v, def int) int {
	if v > 0 {
		return v
	}
	return def
}

// options returns the knobs for role r (zero when none were given).
func (c *Config) options(r Role) PoolOptions {
	for _, o := range c.Pools {
		if o.Role == r.String() {
			return o
		}
	}
	return PoolOptions{Role: r.String()}
}

// perfConfig is the performance-model configuration of pool ps with gpus
// GPUs per instance.
func (c *Config) perfConfig(ps PoolSpec, gpus int) perf.Config {
	o := c.options(ps.Role)
	pc := perf.Config{GPUs: gpus, EP: pick(ps.EP, o.EP), DP: pick(ps.DP, o.DP), TP: pick(ps.AttnTP, o.TP),
		RedundantExperts: o.RedundantExperts, Imbalance: o.Imbalance, TBO: o.TBO, A2A: o.A2A, Spec: o.Spec,
		DType: c.DType, MemFraction: c.MemFraction}
	if pc.A2A == "" && ps.Role == RoleDecode {
		pc.A2A = perf.A2ALowLatency
	}
	return pc
}

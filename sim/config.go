// Package sim is a deterministic discrete-event simulator of LLM and
// video-generation serving fleets: prefill/decode-disaggregated or
// colocated pools of vLLM-like instances (continuous batching, chunked
// prefill, paged KV blocks with a prefix cache, preemption by recompute),
// routing policies, KV transfer links and video diffusion pools.
//
// The simulator is a pure function of (scenario, config, seed): virtual
// time is an int64 count of nanoseconds, events are ordered by (time,
// sequence number), every random choice comes from a stream derived from
// the scenario seed, and nothing here reads the wall clock, sleeps, starts
// goroutines or does I/O (records go to a caller-supplied sink).
package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/fleetbench/fleetbench/elastic"
	"github.com/fleetbench/fleetbench/results"
)

// Config describes the simulated fleet and its scheduler. Zero values take
// the defaults documented on each field.
type Config struct {
	Fleet string // fleet notation, e.g. "4P8D", "12C", "4P:h200 8D:h20+8V"
	Model string // model id from the catalog (sim/models)
	// ModelConfig is the path of a Hugging Face config.json to build the
	// model from instead of the catalog (Model, when set, names it). Its
	// quantization sets DType when DType is empty.
	ModelConfig string
	GPU         string // default GPU type for pools that do not name one (default h100)
	TP          int    // default tensor-parallel degree per instance (default 1)
	DType       string // "bf16" or "fp8" weights/compute (default bf16)

	// Routing picks the instance for a new request in the colocated or
	// prefill pool: round-robin, least-loaded, cache-aware (default) or
	// session (agent session affinity, falling back to cache-aware).
	Routing string
	// DecodeRouting picks the decode instance in disaggregated mode:
	// round-robin, least-loaded (default) or cache-aware (fewest blocks to
	// transfer, traded against load).
	DecodeRouting string
	// PowerOfK is how many random instances the sampling policies look at
	// (least-loaded, and the load candidates of cache-aware); default 4.
	// Pools no larger than PowerOfK are scanned whole.
	PowerOfK int

	// IndexEvery is the prefix index's sampling: it records one block hash
	// in IndexEvery (chosen by hash value, so every instance samples the
	// same blocks) and cache-aware routing estimates prefix overlap from
	// those. 1 = every block (exact overlap); the default 4 cuts the index's
	// cost fourfold and only blurs the routing estimate by under 4 blocks —
	// the hit rate itself is always computed exactly by each instance.
	IndexEvery int

	BlockTokens int // KV block size in tokens (default 16, as vLLM)
	// MaxBatchTokens and MaxSeqs bound one step per attention rank: an
	// instance with data-parallel attention over DP ranks schedules up to
	// DP times as many (defaults 8192 tokens, 256 sequences).
	MaxBatchTokens int
	MaxSeqs        int
	MemFraction    float64 // usable share of HBM (default 0.90)
	MaxSpanSteps   int     // longest decode span simulated as one event (default 128)
	// NoDecodePrefixCache turns off prefix caching on decode instances
	// (Mooncake- and DistServe-style decode: every transfer moves the whole
	// prompt's KV and decode instances keep no reusable blocks). The default
	// (false) hashes transferred blocks on the decode side, as vLLM does, so
	// transfers skip blocks the decode instance already holds. A fidelity
	// and speed knob: decode-side tracking is ~40% of the simulator's work
	// in disaggregated fleets.
	NoDecodePrefixCache bool

	// KVTokens overrides the per-instance KV capacity in tokens that the
	// performance model derives from HBM (0 = derived).
	KVTokens int64

	// TierBlocks is the capacity, in KV blocks, of a second-tier cache
	// shared by each LLM pool (Mooncake-style pooled DRAM/SSD); 0 = none.
	TierBlocks int
	// TierBandwidth is the tier's load bandwidth per instance in bytes/s
	// (default 25e9, about one 200 Gb/s NIC).
	TierBandwidth float64

	// LinkBandwidth overrides the per-GPU NIC bandwidth (bytes/s) used for
	// prefill→decode KV transfers; 0 = the GPU catalog value.
	LinkBandwidth float64
	// LinkLatency is the fixed setup latency of one KV transfer (default 20µs).
	LinkLatency time.Duration

	VideoModel string // diffusion model of the video pool (default: the request's own)
	VideoGPU   string // GPU type of the video pool (default GPU)
	VideoSP    int    // sequence-parallel GPUs per clip (default 1)

	// SampleInterval is the timeline gauge sampling period in virtual time
	// (default: 1s).
	SampleInterval time.Duration

	// Pools holds per-pool performance knobs (expert and data parallelism,
	// two-batch overlap, speculative decoding, batch limits), by role.
	Pools []PoolOptions

	// Autoscale lists per-pool autoscalers; Failures injects failures.
	Autoscale []elastic.Autoscale
	Failures  elastic.Failures

	// Progress, when set, is called at every timeline sample (each
	// SampleInterval of virtual time) with the virtual time reached and the
	// requests finished so far. It must not call back into the simulator.
	Progress func(virtualNs int64, done uint64)

	// Stop, when closed (Ctrl-C), ends a batch run at the next timeline
	// sample (looked at once per SampleInterval of virtual time, never per
	// event): the result covers what was simulated, its window ends at the
	// stop, requests not finished are not counted, and it is marked
	// interrupted (Stats.Interrupted, extra.interrupted, a warning).
	// Records already finished all reach Records and the summary.
	Stop <-chan struct{}

	// Records, when set, receives every finished request's record. Its
	// first error stops the run a fixed number of records and samples
	// later, the same serial or pipelined (see sinkLag); it is not called
	// again.
	Records func(*results.Record) error

	// Serial keeps workload generation and result accumulation on the
	// event loop's goroutine. By default a batch run gives each a
	// goroutine of its own, fed in order through bounded channels
	// (pipeline.go): the result is the same either way, Serial only stops
	// the run from using a second core. Records is then called from that
	// other goroutine, one record at a time, in completion order.
	Serial bool
}

func (c *Config) applyDefaults() {
	if c.GPU == "" {
		c.GPU = "h100"
	}
	if c.TP == 0 {
		c.TP = 1
	}
	if c.Routing == "" {
		c.Routing = "cache-aware"
	}
	if c.DecodeRouting == "" {
		c.DecodeRouting = "least-loaded"
	}
	if c.PowerOfK <= 0 {
		c.PowerOfK = 4
	}
	if c.IndexEvery <= 0 {
		c.IndexEvery = 4
	}
	if c.BlockTokens == 0 {
		c.BlockTokens = 16
	}
	if c.MaxBatchTokens == 0 {
		c.MaxBatchTokens = 8192
	}
	if c.MaxSeqs == 0 {
		c.MaxSeqs = 256
	}
	if c.MemFraction <= 0 {
		c.MemFraction = 0.90
	}
	if c.MaxSpanSteps <= 0 {
		c.MaxSpanSteps = 128
	}
	if c.TierBandwidth <= 0 {
		c.TierBandwidth = 25e9
	}
	if c.LinkLatency <= 0 {
		c.LinkLatency = 20 * time.Microsecond
	}
	if c.VideoSP <= 0 {
		c.VideoSP = 1
	}
	if c.VideoGPU == "" {
		c.VideoGPU = c.GPU
	}
	if c.SampleInterval <= 0 {
		c.SampleInterval = time.Second
	}
	c.Autoscale = slices.Clone(c.Autoscale) // the caller's specs stay as written
	for i := range c.Autoscale {
		c.Autoscale[i].Defaults()
	}
	c.Failures.Defaults()
}

var routingPolicies = map[string]bool{"round-robin": true, "least-loaded": true, "cache-aware": true, "session": true}

func (c *Config) validate() error {
	if !routingPolicies[c.Routing] {
		return fmt.Errorf("unknown routing policy %q (use round-robin, least-loaded, cache-aware or session)", c.Routing)
	}
	if !routingPolicies[c.DecodeRouting] || c.DecodeRouting == "session" {
		return fmt.Errorf("unknown decode routing policy %q (use round-robin, least-loaded or cache-aware)", c.DecodeRouting)
	}
	for i := range c.Autoscale {
		if err := c.Autoscale[i].Validate(); err != nil {
			return fmt.Errorf("autoscale %s: %w", c.Autoscale[i].Pool, err)
		}
	}
	if err := c.Failures.Validate(); err != nil {
		return fmt.Errorf("failures: %w", err)
	}
	// 0 means the default (applyDefaults); anything else out of range is
	// an error, never silently replaced.
	for _, b := range IntLimits {
		if v := b.get(c); v < b.Min || v > b.Max {
			return fmt.Errorf("%s %d: must be in [%d, %d]", b.Flag, v, b.Min, b.Max)
		}
	}
	if c.MaxBatchTokens <= c.MaxSeqs {
		return fmt.Errorf("max batch tokens %d must exceed max sequences %d so every step has room for prefill", c.MaxBatchTokens, c.MaxSeqs)
	}
	seen := map[string]bool{}
	for _, o := range c.Pools {
		if err := o.validate(c); err != nil {
			return err
		}
		if seen[o.Role] {
			return fmt.Errorf("pool options for %s given twice: merge them", o.Role)
		}
		seen[o.Role] = true
	}
	return nil
}

// IntLimit is the documented range of one integer setting of the
// simulator (and its command-line flag).
type IntLimit struct {
	Flag     string
	Min, Max int
	get      func(*Config) int
}

// IntLimits are the ranges of the simulator's integer settings; the CLI
// checks explicitly given flags against them (exit 2) and Config
// validation checks the values (docs/scenarios.md, Limits).
var IntLimits = []IntLimit{
	{"--tp", 1, 1024, func(c *Config) int { return c.TP }},
	{"--block-tokens", 1, 4096, func(c *Config) int { return c.BlockTokens }},
	{"--max-batch-tokens", 2, 1 << 24, func(c *Config) int { return c.MaxBatchTokens }},
	{"--max-seqs", 1, 1 << 16, func(c *Config) int { return c.MaxSeqs }},
	{"--tier-blocks", 0, 1 << 40, func(c *Config) int { return c.TierBlocks }},
}

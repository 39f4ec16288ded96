package scenarios

import (
	"path/filepath"
	"time"

	"github.com/fleetbench/fleetbench/elastic"
	"github.com/fleetbench/fleetbench/pricing"
	"github.com/fleetbench/fleetbench/scenarios/arrival"
	"github.com/fleetbench/fleetbench/scenarios/dist"
	"github.com/fleetbench/fleetbench/slo"
)

// Scenario is a parsed and validated scenario file with every default filled
// in. Treat it as read-only once loaded: Hash and workloads derive from it.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description,omitempty"`
	// Seed seeds every random stream of the workload (default 1).
	Seed uint64 `yaml:"seed"`
	// Duration bounds arrivals: none at or after it. 0 = unbounded, and then
	// Requests must be set.
	Duration time.Duration `yaml:"duration"`
	// Requests caps top-level arrivals (chat requests, agent tasks, clips,
	// trace lines) over all classes; 0 = no cap.
	Requests int `yaml:"requests"`
	// Warmup: arrivals before it are excluded from results.
	Warmup  time.Duration  `yaml:"warmup"`
	Classes []Class        `yaml:"classes"`
	Fleet   *FleetDefaults `yaml:"fleet,omitempty"`

	// Source is the file path, or "builtin:NAME" for the embedded library.
	Source string `yaml:"-"`
	// baseDir resolves relative file references (traces, empirical tables).
	baseDir string
	// hash, when set, is the scenario's identity before a run option
	// (WithWarmup) changed it: like --requests or --seed, a warm-up chosen
	// for one run does not make it another scenario.
	hash string
	// posFile and keyPos are where each key of the file was (the
	// decoder's record), for checks made after loading (IssueAt).
	posFile string
	keyPos  map[string]pos
}

// Class is one workload class of a scenario. Kind decides which of the
// kind-specific sections apply; the others must be absent.
type Class struct {
	Name string `yaml:"name"`
	Kind Kind   `yaml:"kind"`
	// Arrival is when tasks (chat requests, agent sessions, clips) start.
	// Trace classes default to {process: trace} (timestamps from the file).
	Arrival arrival.Spec `yaml:"arrival"`

	// Input is the user-message length in tokens (chat; agent turn 0).
	Input *dist.Spec `yaml:"input,omitempty"`
	// Output is the requested output length in tokens (chat; agent turns).
	Output *dist.Spec `yaml:"output,omitempty"`
	// SystemPrompts is the pool of shared system prompts of a chat class.
	SystemPrompts *PromptPool `yaml:"system_prompts,omitempty"`
	// Agent holds the session model of an agent class.
	Agent *AgentSpec `yaml:"agent,omitempty"`
	// Video holds the clip parameters of a video class.
	Video *VideoMix `yaml:"video,omitempty"`
	// Trace names the file a trace class replays.
	Trace *TraceSpec `yaml:"trace,omitempty"`

	SLO     slo.Spec      `yaml:"slo,omitempty"`
	Pricing *pricing.List `yaml:"pricing,omitempty"`
}

// PromptPool is a pool of shared system prompts: each chat request starts
// with one of them, chosen with Zipf popularity, so cross-user prefix reuse
// exists. Lengths are drawn once per pool entry (from the class stream).
type PromptPool struct {
	Count  int       `yaml:"count"`  // number of distinct prompts (>= 1)
	Tokens dist.Spec `yaml:"tokens"` // length of each prompt in tokens
	// Zipf is the popularity exponent s: entry i (0-based) is chosen with
	// weight 1/(i+1)^s. 0 = uniform.
	Zipf float64 `yaml:"zipf"`
}

// AgentSpec is the session model of an agent class. Turn 0's prompt is
// [shared prefix, first user message (Input)]; turn k's prompt is turn k-1's
// prompt + turn k-1's output + Append new tokens (tool result or user
// message), sent ToolS seconds after turn k-1 completed.
type AgentSpec struct {
	Turns dist.Spec `yaml:"turns"` // turns per session (>= 1)
	// SharedPrefix is the length of the system prompt + tool definitions
	// shared by every session of the class (drawn once); absent = none.
	SharedPrefix *dist.Spec `yaml:"shared_prefix,omitempty"`
	Append       dist.Spec  `yaml:"append"` // new tokens per turn after the first
	ToolS        dist.Spec  `yaml:"tool_s"` // tool/think time between turns, seconds
	Subagents    *Subagents `yaml:"subagents,omitempty"`
}

// Subagents is the sub-agent fan-out model: after a turn that is not the
// last, with probability Probability the session spawns Count parallel child
// sessions and waits for all of them; each child's final output joins the
// parent's context as a tool block, in child order.
type Subagents struct {
	Probability float64   `yaml:"probability"` // per eligible turn, in [0,1]
	Count       dist.Spec `yaml:"count"`       // children per fan-out (>= 1)
	Turns       dist.Spec `yaml:"turns"`       // turns per child session
	// SharedPrefix is the children's own system prompt + tools (shared by
	// every child of the class); absent = none.
	SharedPrefix *dist.Spec `yaml:"shared_prefix,omitempty"`
	Task         dist.Spec  `yaml:"task"`                // task description block handed to each child
	Append       *dist.Spec `yaml:"append,omitempty"`    // default: the parent's
	Output       *dist.Spec `yaml:"output,omitempty"`    // default: the class output
	ToolS        *dist.Spec `yaml:"tool_s,omitempty"`    // default: the parent's
	MaxDepth     int        `yaml:"max_depth,omitempty"` // nesting limit, default 1
}

// VideoMix is the clip parameters of a video class: one clip spec, or a
// weighted Mix of them. After loading, Mix always holds every variant
// (a single spec becomes a one-entry mix) and the top-level fields are empty.
type VideoMix struct {
	VideoClip `yaml:",inline"`
	Mix       []VideoClip `yaml:"mix,omitempty"`
}

// VideoClip is one clip variant as written in a scenario file.
type VideoClip struct {
	Weight     float64 `yaml:"weight,omitempty"`     // relative weight in a mix (default 1)
	Model      string  `yaml:"model,omitempty"`      // default wan2.1-14b
	Resolution string  `yaml:"resolution,omitempty"` // WxH or 480p/720p/1080p; default 1280x720
	Seconds    float64 `yaml:"seconds,omitempty"`    // default 5
	FPS        int     `yaml:"fps,omitempty"`        // default 16
	Steps      int     `yaml:"steps,omitempty"`      // sampling steps, default 50
}

// TraceSpec is the file a trace class replays.
type TraceSpec struct {
	// File is relative to the scenario file, or builtin:traces/NAME.
	File   string `yaml:"file"`
	Format string `yaml:"format"` // mooncake | azure
	// TimeScale speeds the trace up: 2 replays it in half the time.
	TimeScale float64 `yaml:"time_scale"`
	// RateScale < 1 keeps each line with that probability; > 1 adds clones
	// (see the scenario reference for their block identity).
	RateScale float64 `yaml:"rate_scale"`
	// BlockTokens is the size of one hash id's block (Mooncake: 512).
	BlockTokens int `yaml:"block_tokens"`
}

// FleetDefaults is the default fleet `fleetbench sim` uses for this
// scenario. The scenario package checks only types and signs; the
// simulator parses and validates the values.
type FleetDefaults struct {
	Spec  string   `yaml:"spec,omitempty"`  // e.g. 4P8D
	Model ModelRef `yaml:"model,omitempty"` // e.g. llama-3.1-70b, or {config: path/to/config.json}
	GPU   string   `yaml:"gpu,omitempty"`   // e.g. h100
	TP    int      `yaml:"tp,omitempty"`
	// DType is the weight and GEMM precision: bf16 (default) or fp8.
	DType   string `yaml:"dtype,omitempty"`
	Routing string `yaml:"routing,omitempty"`
	// Pools holds per-pool performance knobs (simulator): expert and data
	// parallelism, two-batch overlap, speculative decoding, batch limits.
	Pools      *PoolsDefaults     `yaml:"pools,omitempty"`
	GPUHourUSD map[string]float64 `yaml:"gpu_hour_usd,omitempty"`
	Video      *VideoFleet        `yaml:"video,omitempty"`
	// BlockTokens is the KV block size used for cache accounting (the
	// simulator's fidelity knob; default 16 as vLLM).
	BlockTokens int `yaml:"block_tokens,omitempty"`
	// DecodePrefixCache: whether decode instances keep a prefix cache of
	// the KV they receive (default true, as vLLM; false as Mooncake).
	DecodePrefixCache *bool `yaml:"decode_prefix_cache,omitempty"`
	// Autoscale lists per-pool autoscalers (simulator).
	Autoscale []elastic.Autoscale `yaml:"autoscale,omitempty"`
	// Failures injects instance failures (simulator).
	Failures *elastic.Failures `yaml:"failures,omitempty"`
}

// ModelRef names the served model: a catalog id (`model: deepseek-v3`) or
// a Hugging Face config.json the user has (`model: {config: dir/config.json}`,
// relative to the scenario file), optionally named with id.
type ModelRef struct {
	ID     string `yaml:"id,omitempty"`
	Config string `yaml:"config,omitempty"`
}

// SetShorthand implements the bare-string form `model: ID`.
func (m *ModelRef) SetShorthand(s string) { m.ID = s }

// MarshalYAML writes the bare-string form when only an id is set.
func (m ModelRef) MarshalYAML() (any, error) {
	if m.Config == "" {
		return m.ID, nil
	}
	type plain ModelRef
	return plain(m), nil
}

// ResolvePath returns p resolved against the scenario file's directory
// (unchanged when absolute, empty, or the scenario has no directory).
func (s *Scenario) ResolvePath(p string) string {
	if p == "" || filepath.IsAbs(p) || s.baseDir == "" {
		return p
	}
	return filepath.Join(s.baseDir, p)
}

// PoolsDefaults holds the per-role pool knobs.
type PoolsDefaults struct {
	Prefill   *PoolDefaults `yaml:"prefill,omitempty"`
	Decode    *PoolDefaults `yaml:"decode,omitempty"`
	Colocated *PoolDefaults `yaml:"colocated,omitempty"`
}

// PoolDefaults are one pool's performance knobs; zero means default. The
// fleet spec's /epN, /dpN and /tpN suffixes win over ep, dp and tp here.
type PoolDefaults struct {
	EP               int     `yaml:"ep,omitempty"`                // expert-parallel ranks
	DP               int     `yaml:"dp,omitempty"`                // attention data-parallel ranks
	TP               int     `yaml:"tp,omitempty"`                // attention tensor parallel per rank
	RedundantExperts int     `yaml:"redundant_experts,omitempty"` // extra expert replicas (EPLB)
	ExpertImbalance  float64 `yaml:"expert_imbalance,omitempty"`  // busiest GPU's expert load / mean (>= 1)
	TwoBatchOverlap  string  `yaml:"two_batch_overlap,omitempty"` // auto | on | off
	AllToAll         string  `yaml:"all_to_all,omitempty"`        // normal | low-latency
	MaxSeqs          int     `yaml:"max_seqs,omitempty"`          // per attention rank
	MaxBatchTokens   int     `yaml:"max_batch_tokens,omitempty"`  // per attention rank
	// Speculative is speculative decoding (MTP or a draft model).
	Speculative *SpecDefaults `yaml:"speculative,omitempty"`
}

// SpecDefaults is speculative decoding: draft_tokens per step, each
// accepted with probability acceptance (given the previous ones were), a
// draft costing draft_layers layers of the target model (default: the
// model's MTP modules, else 1).
type SpecDefaults struct {
	DraftTokens int     `yaml:"draft_tokens"`
	Acceptance  float64 `yaml:"acceptance"`
	DraftLayers float64 `yaml:"draft_layers,omitempty"`
}

// VideoFleet is the default video pool.
type VideoFleet struct {
	Model     string `yaml:"model,omitempty"`
	GPU       string `yaml:"gpu,omitempty"`
	SP        int    `yaml:"sp,omitempty"` // sequence-parallel degree (GPUs per instance)
	Instances int    `yaml:"instances,omitempty"`
}

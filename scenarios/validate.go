package scenarios

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/pricing"
	"github.com/fleetbench/fleetbench/scenarios/dist"
	"github.com/fleetbench/fleetbench/scenarios/fielderr"
	"github.com/fleetbench/fleetbench/slo"
)

// kinds lists the valid class kinds for messages and suggestions.
var kinds = []string{string(KindChat), string(KindAgent), string(KindVideo), string(KindTrace)}

// Bounds on sizes a file can ask for, so that a typo cannot make the
// generator allocate gigabytes: far beyond any real deployment.
const (
	maxPool    = 1 << 20 // system prompts in a pool
	maxUsers   = 1 << 20 // closed-loop users
	maxClasses = 1 << 12 // classes (the block-id class field is 12 bits)
)

// validator fills defaults and checks a decoded scenario, reporting each
// problem at the position the decoder recorded for its key.
type validator struct {
	d       *decoder
	baseDir string
	builtin bool // embedded scenario: file references resolve in the embedded FS
	// The scenario's duration and requests, which bound a trace replay.
	duration time.Duration
	requests int
}

func (v *validator) errf(path, format string, args ...any) {
	if v.d.failed(path) {
		return // already reported as a type error
	}
	v.d.errAt(v.d.at(path), format, args...)
}

func (v *validator) has(path string) bool { _, ok := v.d.keyPos[path]; return ok }

// fields reports every error joined in err (errors.Join) with field.
func (v *validator) fields(path string, err error) {
	if err == nil {
		return
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		for _, e := range j.Unwrap() {
			v.fields(path, e)
		}
		return
	}
	v.field(path, err)
}

// field maps a *fielderr.Error from dist/arrival validation to the YAML key
// it names under path.
func (v *validator) field(path string, err error) {
	var fe *fielderr.Error
	if errors.As(err, &fe) {
		p := path
		if fe.Field != "" {
			p = path + "." + fe.Field
			if strings.HasPrefix(fe.Field, "[") {
				p = path + fe.Field
			}
		}
		msg := fe.Msg
		if fe.Hint != "" {
			msg += " (" + fe.Hint + ")"
		}
		v.errf(p, "%s: %s", p, msg)
		return
	}
	v.errf(path, "%s: %v", path, err)
}

func (v *validator) scenario(s *Scenario) {
	if s.Name == "" {
		v.errf("", "missing required key \"name\" (give the scenario a short name)")
	}
	if !v.has("seed") {
		s.Seed = 1
	}
	if s.Requests < 0 {
		v.errf("requests", "requests: must be >= 0, got %d", s.Requests)
	}
	if len(s.Classes) == 0 {
		v.errf("classes", "missing required key \"classes\" (a scenario needs at least one workload class)")
	}
	onlyTrace := len(s.Classes) > 0
	for _, c := range s.Classes {
		if c.Kind != KindTrace {
			onlyTrace = false
		}
	}
	// A duration or requests refused for its value is reported there.
	if s.Duration == 0 && s.Requests == 0 && !onlyTrace && !v.d.bad["duration"] && !v.d.bad["requests"] {
		v.errf("", "set duration (e.g. duration: 10m) or requests (e.g. requests: 1000): without one the workload never ends")
	}
	if s.Duration > 0 && s.Warmup >= s.Duration {
		v.errf("warmup", "warmup: %s must be shorter than duration %s", s.Warmup, s.Duration)
	}
	if len(s.Classes) > maxClasses {
		v.errf("classes", "classes: at most %d classes, got %d", maxClasses, len(s.Classes))
		return
	}
	v.duration, v.requests = s.Duration, s.Requests
	names := map[string]int{}
	for i := range s.Classes {
		c := &s.Classes[i]
		p := fmt.Sprintf("classes[%d]", i)
		v.class(c, p)
		if c.Name == "" {
			c.Name = string(c.Kind)
			if c.Name == "" {
				c.Name = "class" + strconv.Itoa(i)
			}
			if _, dup := names[c.Name]; dup {
				c.Name += "-" + strconv.Itoa(i)
			}
		}
		if j, dup := names[c.Name]; dup {
			v.errf(p+".name", "%s.name: class name %q is already used by classes[%d] (names must be unique)", p, c.Name, j)
		}
		names[c.Name] = i
	}
	v.fleet(s.Fleet)
	v.scenarioLimits(s)
	v.contextLimits(s)
}

func (v *validator) class(c *Class, p string) {
	switch c.Kind {
	case KindChat, KindAgent, KindVideo, KindTrace:
	case "":
		v.errf(p, "%s: missing required key \"kind\" (one of %s)", p, strings.Join(kinds, ", "))
		return
	default:
		v.errf(p+".kind", "%s.kind: unknown kind %q (%s)", p, c.Kind, suggestKind(string(c.Kind)))
		return
	}
	// Sections that belong to other kinds are mistakes, not extras to ignore.
	v.forbid(p, "input", c.Input != nil, c.Kind == KindChat || c.Kind == KindAgent, c.Kind)
	v.forbid(p, "output", c.Output != nil, c.Kind == KindChat || c.Kind == KindAgent, c.Kind)
	v.forbid(p, "system_prompts", c.SystemPrompts != nil, c.Kind == KindChat, c.Kind)
	v.forbid(p, "agent", c.Agent != nil, c.Kind == KindAgent, c.Kind)
	v.forbid(p, "video", c.Video != nil, c.Kind == KindVideo, c.Kind)
	v.forbid(p, "trace", c.Trace != nil, c.Kind == KindTrace, c.Kind)

	v.arrival(c, p)
	switch c.Kind {
	case KindChat:
		v.requiredDist(p, "input", c.Input, 1)
		v.requiredDist(p, "output", c.Output, 1)
		v.limit(p+".input", c.Input, MaxTokens, "tokens")
		v.limit(p+".output", c.Output, MaxTokens, "tokens")
		if c.SystemPrompts != nil {
			v.pool(c.SystemPrompts, p+".system_prompts")
			v.limit(p+".system_prompts.tokens", &c.SystemPrompts.Tokens, MaxTokens, "tokens")
		}
	case KindAgent:
		v.requiredDist(p, "input", c.Input, 1)
		v.requiredDist(p, "output", c.Output, 1)
		v.limit(p+".input", c.Input, MaxTokens, "tokens")
		v.limit(p+".output", c.Output, MaxTokens, "tokens")
		if c.Agent == nil {
			v.errf(p, "%s: agent class needs an \"agent\" section (turns, append, tool_s)", p)
		} else {
			v.agent(c.Agent, p+".agent")
			v.agentLimits(c, p)
		}
	case KindVideo:
		if c.Video == nil {
			c.Video = &VideoMix{}
		}
		v.video(c.Video, p+".video")
		// A clip has no tokens: no first token, no time per token. Its
		// wait and its duration are what a video SLO bounds.
		for _, key := range []string{"ttft_ms", "tpot_ms"} {
			if *c.SLO.Field(key) != nil {
				v.errf(p+".slo."+key, "%s.slo.%s: video classes generate no tokens, so %s is not measured: bound queue_s (wait before generation), e2e_ms or completion_s instead", p, key, key)
			}
		}
	case KindTrace:
		if c.Trace == nil {
			v.errf(p, "%s: trace class needs a \"trace\" section ({file: ..., format: mooncake|azure})", p)
		} else {
			v.trace(c.Trace, p+".trace")
		}
	}
	v.slo(&c.SLO, p+".slo")
	if c.Pricing != nil {
		v.pricing(c.Pricing, p+".pricing")
	}
}

func suggestKind(k string) string {
	s := suggest(k, kinds)
	if strings.HasPrefix(s, "valid keys") {
		return "one of " + strings.Join(kinds, ", ")
	}
	return s
}

func (v *validator) forbid(p, key string, present, allowed bool, kind Kind) {
	if present && !allowed {
		v.errf(p+"."+key, "%s.%s: %s classes do not use %q (remove it)", p, key, kind, key)
	}
}

// dist validates a distribution and checks that it can be built (empirical
// files exist). minValue > 0 rejects a spec that can only yield less, e.g.
// `turns: 0`.
func (v *validator) dist(path string, s *dist.Spec, minValue float64) {
	if err := s.Validate(); err != nil {
		v.field(path, err)
		return
	}
	if s.File != "" && v.builtin {
		v.errf(path+".file", "%s.file: built-in scenarios cannot read files", path)
		return
	}
	if _, err := s.New(v.baseDir); err != nil {
		v.field(path, err)
		return
	}
	if minValue > 0 {
		if s.Dist == "fixed" && s.Value < minValue {
			v.errf(path, "%s: must be at least %v, got %v", path, minValue, s.Value)
		} else if s.Max > 0 && s.Max < minValue {
			v.errf(path+".max", "%s.max: must be at least %v, got %v", path, minValue, s.Max)
		}
	}
}

func (v *validator) requiredDist(p, key string, s *dist.Spec, minValue float64) {
	if s == nil {
		v.errf(p, "%s: missing required key %q (a length distribution in tokens, e.g. %s: 512)", p, key, key)
		return
	}
	v.dist(p+"."+key, s, minValue)
}

// optionalDist treats an absent (all-zero) spec as fixed def.
func (v *validator) optionalDist(path string, s *dist.Spec, def float64, minValue float64) {
	if s.Dist == "" && !v.has(path) {
		*s = dist.Fixed(def)
		return
	}
	v.dist(path, s, minValue)
}

func (v *validator) pool(pp *PromptPool, p string) {
	if pp.Count < 1 || pp.Count > maxPool {
		v.errf(p+".count", "%s.count: must be in [1, %d], got %d", p, maxPool, pp.Count)
	}
	if pp.Zipf < 0 {
		v.errf(p+".zipf", "%s.zipf: popularity exponent must be >= 0 (0 = uniform), got %v", p, pp.Zipf)
	}
	if pp.Tokens.Dist == "" && !v.has(p+".tokens") {
		v.errf(p, "%s: missing required key \"tokens\" (system prompt length, e.g. tokens: 1024)", p)
		return
	}
	v.dist(p+".tokens", &pp.Tokens, 1)
}

func (v *validator) agent(a *AgentSpec, p string) {
	if a.Turns.Dist == "" && !v.has(p+".turns") {
		v.errf(p, "%s: missing required key \"turns\" (turns per session, e.g. turns: 8)", p)
	} else {
		v.dist(p+".turns", &a.Turns, 1)
	}
	if a.SharedPrefix != nil {
		v.dist(p+".shared_prefix", a.SharedPrefix, 1)
	}
	if a.Append.Dist == "" && !v.has(p+".append") {
		v.errf(p, "%s: missing required key \"append\" (new tokens per turn, e.g. append: 800)", p)
	} else {
		v.dist(p+".append", &a.Append, 1)
	}
	v.optionalDist(p+".tool_s", &a.ToolS, 0, 0)
	if sa := a.Subagents; sa != nil {
		sp := p + ".subagents"
		if sa.Probability < 0 || sa.Probability > 1 {
			v.errf(sp+".probability", "%s.probability: must be in [0, 1], got %v", sp, sa.Probability)
		}
		v.optionalDist(sp+".count", &sa.Count, 1, 1)
		v.optionalDist(sp+".turns", &sa.Turns, 1, 1)
		if sa.SharedPrefix != nil {
			v.dist(sp+".shared_prefix", sa.SharedPrefix, 1)
		}
		if sa.Task.Dist == "" && !v.has(sp+".task") {
			v.errf(sp, "%s: missing required key \"task\" (tokens of the task handed to each sub-agent, e.g. task: 300)", sp)
		} else {
			v.dist(sp+".task", &sa.Task, 1)
		}
		for key, s := range map[string]*dist.Spec{"append": sa.Append, "output": sa.Output, "tool_s": sa.ToolS} {
			if s != nil {
				minV := 1.0
				if key == "tool_s" {
					minV = 0
				}
				v.dist(sp+"."+key, s, minV)
			}
		}
		if sa.MaxDepth < 0 {
			v.errf(sp+".max_depth", "%s.max_depth: must be >= 1, got %d", sp, sa.MaxDepth)
		}
		if sa.MaxDepth == 0 {
			sa.MaxDepth = 1
		}
		if sa.MaxDepth > 4 {
			v.errf(sp+".max_depth", "%s.max_depth: at most 4 levels of sub-agents, got %d", sp, sa.MaxDepth)
		}
	}
}

// slo validates a class's objectives (slo.Spec.Validate, shared with the
// results package) and reports each problem at its key.
func (v *validator) slo(s *slo.Spec, p string) {
	// A bound written as 0 decodes as no bound (the fields are plain
	// numbers): refuse it where the key was written, instead of dropping it.
	zero := false
	for _, m := range slo.Metrics {
		t := *s.Field(m)
		for _, k := range slo.Keys {
			if path := p + "." + m + "." + k; t != nil && v.has(path) && t.Map()[k] == 0 {
				v.errf(path, "%s: a latency target must be > 0, got 0 (leave the key out for no bound)", path)
				zero = true
			}
		}
	}
	if zero {
		return // Validate would add "set at least one of ..." for it
	}
	v.fields(p, s.Validate())
}

// pricing validates a price list (pricing.List.Validate, shared with
// --price-file) and reports each problem at its key.
func (v *validator) pricing(pr *pricing.List, p string) {
	v.fields(p, pr.Validate())
}

// pool checks one pool's knobs against their documented limits.
func (v *validator) fleetPool(path string, p *PoolDefaults) {
	for _, x := range []struct {
		key    string
		val    int
		lo, hi int
	}{{"ep", p.EP, 0, 1024}, {"dp", p.DP, 0, 1024}, {"tp", p.TP, 0, 1024}, {"redundant_experts", p.RedundantExperts, 0, 4096},
		{"max_seqs", p.MaxSeqs, 0, 1 << 20}, {"max_batch_tokens", p.MaxBatchTokens, 0, 1 << 24}} {
		if x.val < x.lo || x.val > x.hi {
			v.errf(path+"."+x.key, "%s.%s: must be %d to %d, got %d", path, x.key, max(x.lo, 1), x.hi, x.val)
		}
	}
	if im := p.ExpertImbalance; im != 0 && !(im >= 1 && im <= 16) {
		v.errf(path+".expert_imbalance", "%s.expert_imbalance: must be 1 (perfect balance) to 16, got %v", path, im)
	}
	switch p.TwoBatchOverlap {
	case "", "auto", "on", "off":
	default:
		v.errf(path+".two_batch_overlap", "%s.two_batch_overlap: %q unknown: use auto, on or off", path, p.TwoBatchOverlap)
	}
	switch p.AllToAll {
	case "", "normal", "low-latency":
	default:
		v.errf(path+".all_to_all", "%s.all_to_all: %q unknown: use normal (prefill kernels) or low-latency (decode kernels)", path, p.AllToAll)
	}
	if s := p.Speculative; s != nil {
		sp := path + ".speculative"
		if s.DraftTokens < 0 || s.DraftTokens > 16 {
			v.errf(sp+".draft_tokens", "%s.draft_tokens: must be 0 (off) to 16, got %d", sp, s.DraftTokens)
		}
		if !(s.Acceptance >= 0 && s.Acceptance <= 1) {
			v.errf(sp+".acceptance", "%s.acceptance: must be a probability in [0, 1], got %v", sp, s.Acceptance)
		}
		if !(s.DraftLayers >= 0 && s.DraftLayers <= 1000) {
			v.errf(sp+".draft_layers", "%s.draft_layers: must be 0 (default) to 1000, got %v", sp, s.DraftLayers)
		}
	}
}

func (v *validator) fleet(f *FleetDefaults) {
	if f == nil {
		return
	}
	if f.TP < 0 || (f.TP == 0 && v.has("fleet.tp")) {
		v.errf("fleet.tp", "fleet.tp: must be >= 1, got %d (leave it out for the default)", f.TP)
	}
	if bt := f.BlockTokens; bt < 0 || bt > MaxFleetBlockTokens || (bt == 0 && v.has("fleet.block_tokens")) {
		v.errf("fleet.block_tokens", "fleet.block_tokens: must be in [1, %d], got %d", MaxFleetBlockTokens, bt)
	}
	if mc := f.Model.Config; mc != "" {
		path := mc
		if !filepath.IsAbs(path) && v.baseDir != "" {
			path = filepath.Join(v.baseDir, path)
		}
		if st, err := os.Stat(path); err != nil || st.IsDir() {
			v.errf("fleet.model.config", "fleet.model.config: cannot read %s: give the path of a Hugging Face config.json (relative to the scenario file)", path)
		}
	}
	if d := f.DType; d != "" && d != "bf16" && d != "fp8" {
		v.errf("fleet.dtype", "fleet.dtype: %q not supported: use bf16 or fp8", d)
	}
	if ps := f.Pools; ps != nil {
		for _, p := range []struct {
			name string
			d    *PoolDefaults
		}{{"prefill", ps.Prefill}, {"decode", ps.Decode}, {"colocated", ps.Colocated}} {
			if p.d != nil {
				v.fleetPool("fleet.pools."+p.name, p.d)
			}
		}
	}
	for _, g := range slices.Sorted(maps.Keys(f.GPUHourUSD)) {
		usd := f.GPUHourUSD[g]
		if !(usd >= 0 && usd <= pricing.MaxGPUHourUSD) {
			v.errf("fleet.gpu_hour_usd."+g, "fleet.gpu_hour_usd.%s: price must be 0 to %g USD per GPU-hour, got %v", g, pricing.MaxGPUHourUSD, usd)
		}
		// Fleets run on catalog GPUs: a price for another name (a typo)
		// would never be used, the catalog's charged instead.
		if _, err := hardware.Lookup(g); err != nil {
			v.errf("fleet.gpu_hour_usd."+g, "fleet.gpu_hour_usd.%s: %v", g, err)
		}
	}
	// Autoscalers and failures are checked here, where a mistake has a
	// position, with the simulator's own validation (on a defaulted copy:
	// the file's values stay as written).
	for i, a := range f.Autoscale {
		a.Defaults()
		v.fields(fmt.Sprintf("fleet.autoscale[%d]", i), a.Validate())
	}
	if f.Failures != nil {
		fs := *f.Failures
		fs.Defaults()
		v.fields("fleet.failures", fs.Validate())
	}
	if f.Video != nil {
		if f.Video.SP < 0 {
			v.errf("fleet.video.sp", "fleet.video.sp: must be >= 1, got %d", f.Video.SP)
		}
		if f.Video.Instances < 0 {
			v.errf("fleet.video.instances", "fleet.video.instances: must be >= 0, got %d", f.Video.Instances)
		}
	}
}

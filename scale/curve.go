package scale

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"sort"
	"strings"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Curve is the scale curve: one Level per traffic level.
type Curve struct {
	Schema   string               `json:"schema"`
	Scenario results.ScenarioInfo `json:"scenario"`
	Kinds    []string             `json:"kinds"`
	// TierBlocksPerInstance is the pool-shared KV tier per instance (0: none).
	TierBlocksPerInstance int     `json:"tier_blocks_per_instance,omitempty"`
	Shard                 string  `json:"shard,omitempty"`
	Levels                []Level `json:"levels"`
	// Overall is the decomposition from the first level with an answer to
	// the last (nil with fewer than two).
	Overall *Change `json:"overall,omitempty"`
	// Flat is set when GPUs per 1k req/s and cost per task move by less
	// than FlatTolerance over the whole curve.
	Flat  bool     `json:"flat"`
	Notes []string `json:"notes,omitempty"`
	// Interrupted is set when the search was stopped (Ctrl-C): the last
	// level listed has no answer and later levels were not searched.
	Interrupted bool `json:"interrupted,omitempty"`
}

// FlatTolerance is the relative change below which the curve is flat.
const FlatTolerance = 0.05

// Level is one traffic level's answer.
type Level struct {
	Index   int     `json:"index"`
	Traffic float64 `json:"traffic"` // multiplier of the scenario's rates
	// Fleet is the smallest fleet meeting every SLO ("" when none did).
	Fleet string `json:"fleet,omitempty"`
	Kind  string `json:"kind,omitempty"`
	GPUs  int    `json:"gpus,omitempty"`
	// GPUsPer1kRPS is GPUs per 1,000 completed requests per second; with
	// video pools (VideoGPUs), the LLM pools' GPUs per 1,000 completed LLM
	// requests per second, the scope of Factors and Change.
	GPUsPer1kRPS float64 `json:"gpus_per_1k_rps,omitempty"`
	// VideoGPUs are the GPUs of the fleet's video pools, which the search
	// holds at the scenario's size (part of GPUs, outside GPUsPer1kRPS).
	VideoGPUs int `json:"video_gpus,omitempty"`
	// LinearGPUs is the previous level's fleet scaled with the traffic
	// (what a fixed-ratio curve, sweep --scale, provisions); Saving is
	// 1 - GPUs/LinearGPUs.
	// Saving is absent where LinearGPUs is (no previous answer), and 0
	// where the level grew exactly linearly.
	LinearGPUs float64  `json:"linear_gpus,omitempty"`
	Saving     *float64 `json:"saving,omitempty"`
	// Metrics are the chosen point's sweep metrics (hit rate, utilization,
	// $/task, $/Mtok, revenue and margin with a price list).
	Metrics map[string]float64 `json:"metrics,omitempty"`
	// Factors are the measured terms of GPUs per request.
	Factors *Factors `json:"factors,omitempty"`
	// Change decomposes the change from the previous level.
	Change *Change `json:"change,omitempty"`
	// Probes are every fleet simulated at this level (by size).
	Probes []sweepfile.Point `json:"probes"`
	Note   string            `json:"note,omitempty"`
	// heldLag lists, per probe that fell behind on a held video pool's
	// queue, the class (heldPoolLag).
	heldLag []string
	// unbuilt maps a fleet shape (kind) none of whose probes at this level
	// could run to an example "fleet: why".
	unbuilt map[string]string
	// NothingMeasured is set when no probe of the level completed a
	// request: the level has no answer because every request failed, not
	// for want of capacity.
	NothingMeasured bool `json:"nothing_measured,omitempty"`
	// HeldPoolBehind names the video class(es) on whose queue every probe
	// of the level fell behind: the video pool, which the search holds at
	// the scenario's size, not the LLM fleet, is what lacks (no answer;
	// scale exits 1).
	HeldPoolBehind []string `json:"held_pool_behind,omitempty"`
}

// Factors are the measured terms of the identity
//
//	GPUs / (requests/s) = TokensPerRequest x BusyGPUSecondsPerToken / (BindingUtilization x Balance)
//
// TokensPerRequest counts the tokens the fleet computes (uncached input
// plus output) per completed request: cache reuse lowers it.
// BusyGPUSecondsPerToken is busy GPU time per computed token: larger
// batches lower it. BindingUtilization is the busiest pool's utilization
// (busy / provisioned time), the one the SLO binds; burst smoothing raises
// it. Balance is the fleet's GPU-weighted utilization over the binding
// pool's (1 for a single pool): a P:D split that fits the work raises it.
type Factors struct {
	RequestsPerS           float64 `json:"requests_per_s"`
	TokensPerRequest       float64 `json:"tokens_per_request"`
	BusyGPUSecondsPerToken float64 `json:"busy_gpu_s_per_token"`
	BindingUtilization     float64 `json:"binding_utilization"`
	Balance                float64 `json:"balance"`
	HitRate                float64 `json:"hit_rate"`
	GPUsPerRPS             float64 `json:"gpus_per_rps"`

	// videoGPUs are the video pools' GPUs, outside the identity.
	videoGPUs int
}

// FactorsOf measures a priced result's factors (zero Factors when it
// completed nothing or has no cost section). The identity is over tokens:
// a fleet's video pools and video classes' requests are outside it (the
// requests are LLM requests, the GPUs the LLM pools').
func FactorsOf(r *results.Result) Factors {
	var f Factors
	t := r.Totals
	if r.Cost == nil || t == nil || t.Completed <= 0 || r.Cost.WindowS <= 0 {
		return f
	}
	if r.Fleet != nil {
		for _, p := range r.Fleet.Pools {
			if p.Role == "video" {
				f.videoGPUs += p.GPUs
			}
		}
	}
	done := t.Completed
	for _, c := range r.Classes {
		if c != nil && c.Kind == "video" {
			done -= c.Completed
		}
	}
	if done <= 0 {
		return f
	}
	win := r.Cost.WindowS
	in, cached, out := t.Tokens()
	tokens := float64(max(in-cached, 0) + max(out, 0))
	var gpuS, busyGPUS, bind float64
	keys := make([]string, 0, len(r.Cost.ByPool))
	for k := range r.Cost.ByPool {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		pc := r.Cost.ByPool[k]
		if pc == nil || pc.Role == "video" || pc.GPUHours <= 0 {
			continue
		}
		gpuS += pc.GPUHours * 3600
		u, _ := pc.Util()
		busyGPUS += pc.GPUHours * 3600 * u
		bind = math.Max(bind, u)
	}
	if gpuS <= 0 || tokens <= 0 || busyGPUS <= 0 {
		return f
	}
	f.RequestsPerS = float64(done) / win
	f.TokensPerRequest = tokens / float64(done)
	f.BusyGPUSecondsPerToken = busyGPUS / tokens
	f.BindingUtilization = bind
	f.Balance = busyGPUS / gpuS / bind
	f.HitRate, _ = results.Ratio(t.CacheHitRate) // tokens > 0 here: defined
	f.GPUsPerRPS = gpuS / win / f.RequestsPerS
	return f
}

func (L *Level) fill(f *found) {
	L.Fleet, L.Kind, L.GPUs = f.pt.Fleet, f.kind, f.pt.GPUs
	L.Metrics = f.pt.Metrics
	if f.pt.Kind == results.KindMixed {
		// The level has no kind label: its latencies pooled over classes of
		// different kinds are left out (the probe keeps them, labelled).
		L.Metrics = maps.Clone(f.pt.Metrics)
		maps.DeleteFunc(L.Metrics, func(k string, _ float64) bool { return results.PooledOverKinds(k) })
	}
	if f.f.RequestsPerS > 0 {
		ff := f.f
		L.Factors = &ff
		L.VideoGPUs = ff.videoGPUs
		L.GPUsPer1kRPS = float64(f.pt.GPUs-ff.videoGPUs) / ff.RequestsPerS * 1000
	}
}

// Change is the change of GPUs per 1k req/s between two levels and its
// split into the factors' contributions, in percent of the earlier
// value: the contributions add up to Total (each factor's share of the
// log-change, so the split is exact whatever the order of factors).
type Change struct {
	// From and To are the two levels' traffic multipliers.
	From float64 `json:"from_traffic"`
	To   float64 `json:"to_traffic"`
	// Total is the relative change of GPUs per 1k req/s, in percent.
	Total float64 `json:"total_pct"`
	// CacheReuse: tokens computed per request; Batching: busy GPU time per
	// token; Utilization: the binding pool's safe utilization (burst
	// smoothing); PDBalance: the utilization balance between pools.
	CacheReuse  float64 `json:"cache_reuse_pct"`
	Batching    float64 `json:"batching_pct"`
	Utilization float64 `json:"utilization_pct"`
	PDBalance   float64 `json:"pd_balance_pct"`
	// CostPerTask is the relative change of $ per task, in percent.
	CostPerTask *float64 `json:"usd_per_task_pct,omitempty"`
}

// UnmarshalJSON reads a change, also as written before its multipliers
// had snake_case keys ("From", "To").
func (c *Change) UnmarshalJSON(b []byte) error {
	type plain Change
	var v struct {
		plain
		OldFrom *float64 `json:"From"`
		OldTo   *float64 `json:"To"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	*c = Change(v.plain)
	if v.OldFrom != nil && c.From == 0 {
		c.From = *v.OldFrom
	}
	if v.OldTo != nil && c.To == 0 {
		c.To = *v.OldTo
	}
	return nil
}

// between decomposes the change from a to b.
func between(a, b *Level) *Change {
	fa, fb := a.Factors, b.Factors
	if fa == nil || fb == nil || fa.GPUsPerRPS <= 0 {
		return nil
	}
	R := fb.GPUsPerRPS / fa.GPUsPerRPS
	fs := []float64{
		fb.TokensPerRequest / fa.TokensPerRequest,
		fb.BusyGPUSecondsPerToken / fa.BusyGPUSecondsPerToken,
		fa.BindingUtilization / fb.BindingUtilization,
		fa.Balance / fb.Balance,
	}
	share := func(f float64) float64 {
		if math.Abs(math.Log(R)) < 1e-9 {
			return (f - 1) * 100
		}
		return math.Log(f) / math.Log(R) * (R - 1) * 100
	}
	c := &Change{From: a.Traffic, To: b.Traffic, Total: (R - 1) * 100,
		CacheReuse: share(fs[0]), Batching: share(fs[1]), Utilization: share(fs[2]), PDBalance: share(fs[3])}
	if ca, cb := a.Metrics["usd_per_task"], b.Metrics["usd_per_task"]; ca > 0 && cb > 0 {
		v := (cb/ca - 1) * 100
		c.CostPerTask = &v
	}
	return c
}

// Decompose fills each level's Change from the previous level with an
// answer, the linear reference, the overall change, flatness and the
// notes that explain the curve.
func Decompose(c *Curve) {
	var first, prev *Level
	for i := range c.Levels {
		L := &c.Levels[i]
		if L.Factors == nil {
			continue
		}
		if prev != nil {
			L.Change = between(prev, L)
			L.LinearGPUs = float64(prev.GPUs) * L.Traffic / prev.Traffic
			if L.LinearGPUs > 0 {
				v := 1 - float64(L.GPUs)/L.LinearGPUs
				L.Saving = &v
			}
		} else {
			first = L
		}
		prev = L
	}
	if first == nil || prev == first {
		if len(c.Levels) > 1 {
			c.Notes = append(c.Notes, "fewer than two levels have an answer: no change to decompose")
		}
		return
	}
	for _, L := range c.Levels {
		if L.Fleet == "1C" || L.Fleet == "1P1D" {
			c.Notes = append(c.Notes, fmt.Sprintf("at %gx the answer %s is the smallest fleet there is: it has headroom this traffic does not use (granularity), so part of the saving to the next level is filling it; the split shows it as batching (its batches are small)", L.Traffic, L.Fleet))
		}
	}
	c.Overall = between(first, prev)
	o := c.Overall
	if o == nil {
		return
	}
	costFlat := o.CostPerTask == nil || math.Abs(*o.CostPerTask) < FlatTolerance*100
	c.Flat = math.Abs(o.Total) < FlatTolerance*100 && costFlat
	c.Notes = append(c.Notes, explain(first, prev, o, c.Flat))
}

// perRPSName names GPUsPer1kRPS in the notes: over the LLM pools and
// requests when the fleet has video pools.
func perRPSName(ls ...*Level) string {
	for _, l := range ls {
		if l.VideoGPUs > 0 {
			return "LLM GPUs per 1k LLM req/s"
		}
	}
	return "GPUs per 1k req/s"
}

// explain writes the curve's one-paragraph answer.
func explain(a, b *Level, o *Change, flat bool) string {
	var s strings.Builder
	if flat {
		fmt.Fprintf(&s, "flat: from %gx to %gx traffic %s change %+.1f%%", a.Traffic, b.Traffic, perRPSName(a, b), o.Total)
		if o.CostPerTask != nil {
			fmt.Fprintf(&s, " and $/task %+.1f%%", *o.CostPerTask)
		}
		s.WriteString(" (under 5%): this workload shows no economy of scale on these fleets")
	} else {
		fmt.Fprintf(&s, "from %gx to %gx traffic %s change %+.1f%% (%.4g -> %.4g)", a.Traffic, b.Traffic, perRPSName(a, b), o.Total, a.GPUsPer1kRPS, b.GPUsPer1kRPS)
		if o.CostPerTask != nil {
			fmt.Fprintf(&s, ", $/task %+.1f%%", *o.CostPerTask)
		}
	}
	type part struct {
		name, what, saves, costs string
		v                        float64
	}
	parts := []part{
		{"cache reuse", fmt.Sprintf("tokens computed per request %.4g -> %.4g, hit rate %s -> %s", a.Factors.TokensPerRequest, b.Factors.TokensPerRequest, results.Pct(a.Factors.HitRate), results.Pct(b.Factors.HitRate)),
			"more requests find their prefix cached: more users share the same prompts and the larger fleet keeps more of them",
			"fewer prompt tokens are found cached: a session's or a prefix's requests spread over more instances (routing trades cache locality for load balance), so more context is recomputed", o.CacheReuse},
		{"batching", fmt.Sprintf("busy GPU-ms per computed token %.4g -> %.4g", a.Factors.BusyGPUSecondsPerToken*1e3, b.Factors.BusyGPUSecondsPerToken*1e3),
			"each instance carries more concurrent requests within the SLO (traffic is smoother relative to its mean, so less headroom is kept) and a larger batch costs little more per step than a small one; with continuous batching an instance is busy whenever it holds a request, so burst smoothing shows here rather than in utilization",
			"each instance carries fewer concurrent requests within the SLO", o.Batching},
		{"utilization", fmt.Sprintf("binding pool's utilization %s -> %s", results.Pct(a.Factors.BindingUtilization), results.Pct(b.Factors.BindingUtilization)),
			"bursts shrink relative to the mean as independent users add up (Poisson: sd/mean = 1/sqrt(rate)), so less headroom is needed",
			"the binding pool runs with more idle headroom", o.Utilization},
		{"P:D balance", fmt.Sprintf("pool utilization balance %.2f -> %.2f", a.Factors.Balance, b.Factors.Balance),
			"with more instances the prefill:decode split can follow the work's ratio instead of rounding to whole instances",
			"the prefill:decode split fits the work less well", o.PDBalance},
	}
	sort.SliceStable(parts, func(i, j int) bool { return math.Abs(parts[i].v) > math.Abs(parts[j].v) })
	s.WriteString("; measured split (percentage points): ")
	for i, p := range parts {
		if i > 0 {
			s.WriteString(", ")
		}
		fmt.Fprintf(&s, "%s %+.1f (%s)", p.name, p.v, p.what)
	}
	switch top := parts[0]; {
	case flat:
	case top.v < 0:
		fmt.Fprintf(&s, ". The saving comes mostly from %s: %s", top.name, top.saves)
	default:
		fmt.Fprintf(&s, ". The extra GPUs come mostly from %s: %s", top.name, top.costs)
		if next := parts[1]; next.v < 0 {
			fmt.Fprintf(&s, "; %s offsets %.1f points of it: %s", next.name, -next.v, next.saves)
		}
	}
	return s.String()
}

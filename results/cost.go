package results

import (
	"errors"
	"fmt"
	"strings"

	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/pricing"
)

// Cost is the fleet cost over the measured window (filled by ApplyCost).
type Cost struct {
	GPUHours float64              `json:"gpu_hours"`
	USD      float64              `json:"usd"`
	ByPool   map[string]*PoolCost `json:"by_pool,omitempty"` // keyed by pool role (role:N when a role repeats)
	// WindowS is the window the cost covers (Window.DurationS).
	WindowS float64 `json:"window_s,omitempty"`
	// UnattributedUSD is pool cost no class could be charged with (a pool
	// that served nothing): part of USD, in no class's cost.
	UnattributedUSD float64 `json:"unattributed_usd,omitempty"`
	// EnergyKWh is TDP x busy GPU time over the window, for pools whose
	// power is known (idle power is not counted: a lower bound).
	EnergyKWh float64 `json:"energy_kwh,omitempty"`
	// RevenueUSD sums the revenue of the classes that have a price list
	// (0 when they earned nothing); MarginUSD is that revenue less the
	// whole fleet's cost USD (unpriced classes and idle pools included).
	// Both are absent without a price list.
	RevenueUSD *float64 `json:"revenue_usd,omitempty"`
	MarginUSD  *float64 `json:"margin_usd,omitempty"`
	// MarginPct is the fleet's margin on revenue, MarginUSD / RevenueUSD
	// x 100 (absent without revenue); MarkupPct its margin on cost,
	// MarginUSD / USD x 100 (absent without a price list or without cost).
	MarginPct *float64 `json:"margin_pct,omitempty"`
	MarkupPct *float64 `json:"markup_pct,omitempty"`
	// Split records the weights used to split a class's cost between
	// input, cached input and output tokens (see CostInputs).
	Split *CostSplit `json:"split,omitempty"`
	// LowerBound is set when the fleet fell behind the offered load
	// (FellBehind): the window's cost leaves out the backlog served after
	// it, so every cost figure is a lower bound and margin an upper bound.
	LowerBound bool `json:"lower_bound,omitempty"`
}

// PoolCost is one pool's share of the fleet cost.
type PoolCost struct {
	GPUHours      float64 `json:"gpu_hours"`
	USD           float64 `json:"usd"`
	Role          string  `json:"role,omitempty"`
	GPU           string  `json:"gpu,omitempty"`
	USDPerGPUHour float64 `json:"usd_per_gpu_hour,omitempty"`
	PriceSource   string  `json:"price_source,omitempty"` // catalog | scenario | override
	// Utilization is busy instance time / provisioned instance time: 0 for
	// a pool measured idle, absent when busy time is unknown (endpoint runs
	// cannot see it). Read it with Util.
	Utilization *float64 `json:"utilization,omitempty"`
	// EnergyKWh is TDP x busy GPU time over the window: 0 for a pool
	// measured idle, absent when the GPU's power or the pool's busy time is
	// unknown (endpoint runs). Read it with Energy.
	EnergyKWh *float64 `json:"energy_kwh,omitempty"`
}

// Energy returns the pool's energy and whether it was measured.
func (pc *PoolCost) Energy() (kwh float64, ok bool) {
	if pc == nil || pc.EnergyKWh == nil {
		return 0, false
	}
	return *pc.EnergyKWh, true
}

// ClassCost is a class's share of the fleet cost (filled by ApplyCost).
// "Input" is uncached input: cached input has its own rate.
type ClassCost struct {
	// Per-unit figures are absent (omitted) without such units: a class
	// with no tasks has no cost per task, a video class no $/Mtok.
	PerTaskUSD        float64 `json:"per_task_usd,omitempty"`
	USDPerMTokInput   float64 `json:"usd_per_mtok_input,omitempty"`
	USDPerMTokCached  float64 `json:"usd_per_mtok_cached_input,omitempty"`
	USDPerMTokOutput  float64 `json:"usd_per_mtok_output,omitempty"`
	USDPerClip        float64 `json:"usd_per_clip,omitempty"`
	USDPerVideoSecond float64 `json:"usd_per_video_second,omitempty"`

	USD        float64 `json:"usd"`                  // the class's share of the fleet cost
	InputUSD   float64 `json:"input_usd,omitempty"`  // charged to uncached input tokens
	CachedUSD  float64 `json:"cached_usd,omitempty"` // charged to cached input tokens
	OutputUSD  float64 `json:"output_usd,omitempty"` // charged to output tokens
	VideoUSD   float64 `json:"video_usd,omitempty"`  // charged to video clips
	EnergyKWh  float64 `json:"energy_kwh,omitempty"`
	JPerOutTok float64 `json:"j_per_output_token,omitempty"`
	// videoKWh is the part of EnergyKWh spent on video pools: J per output
	// token leaves it out, as $/Mtok leaves out VideoUSD.
	videoKWh float64
	// fleet is the result's Cost, on the totals' ClassCost only: compare
	// reads the fleet's margin and markup there (the totals have no price
	// list of their own). Set by ApplyCost and Decode.
	fleet *Cost
	// Revenue is set when the class has a price list.
	Revenue *Revenue `json:"revenue,omitempty"`
}

// Price sources, lowest precedence first.
const (
	PriceCatalog  = "catalog"
	PriceScenario = "scenario"
	PriceOverride = "override"
)

// CostSplit weighs token kinds when one pool's cost must be shared between
// them. Prefill pools charge input only and decode pools output only, so in
// a PD fleet the split comes from the pools; a colocated pool runs both in
// the same steps and the result has no per-phase busy time, so its cost is
// shared by weighted token counts: an uncached input token weighs 1, a
// cached one CachedInput, an output token Output. The defaults (0.1 and 4)
// follow what the work costs: a cached token skips prefill compute and only
// adds attention reads (providers discount it ~90%), and a decode token is
// memory-bound, several times the GPU time of a batched prefill token (list
// prices of 4-5x say the same). Prefill pools share between uncached and
// cached input with the same CachedInput weight.
type CostSplit struct {
	CachedInput float64 `json:"cached_input"`
	Output      float64 `json:"output"`
}

// DefaultCostSplit is the split used when CostInputs.Split is zero.
var DefaultCostSplit = CostSplit{CachedInput: 0.1, Output: 4}

// CostInputs are what ApplyCost needs beyond the result. Prices resolve
// per GPU type: GPUHourUSD (command line) over ScenarioGPUHourUSD (the
// scenario's fleet.gpu_hour_usd) over the pool's catalog price.
type CostInputs struct {
	ScenarioGPUHourUSD map[string]float64
	GPUHourUSD         map[string]float64
	// Prices are price lists by class name; "*" applies to classes
	// without their own. Nil: no revenue.
	Prices map[string]*pricing.List
	Split  CostSplit // zero: DefaultCostSplit
	// MaxLag is Limits.MaxLag, to judge whether the fleet kept up (the
	// cost is then a lower bound). 0: DefaultMaxLag.
	MaxLag float64
}

// ErrNoFleet is returned by ApplyCost for a result without a fleet section
// (an endpoint run with no declared fleet): there is nothing to price.
var ErrNoFleet = errors.New("result has no fleet section (pools, GPU types and counts), so its cost is unknown: declare the fleet that served the endpoint when running it: fleetbench run --fleet 2P4D --gpu h100 --tp 4 (its pools, GPU type and TP)")

// poolCharge is one pool's cost over the window and how it is shared.
type poolCharge struct {
	key, role string
	usd, j    float64 // cost and energy over the window
	shares    map[string]float64
}

// ApplyCost fills r.Cost (fleet, per pool) and every class's Cost and the
// totals' Cost from r.Fleet over r.Window, and revenue, margin and
// break-even prices where a class has a price list. Calling it again
// replaces the previous cost (a re-pricing keeps an earlier scenario or
// override price unless in overrides it again).
func ApplyCost(r *Result, in CostInputs) error {
	if r == nil {
		return errors.New("results: ApplyCost: nil result")
	}
	if r.Fleet == nil || len(r.Fleet.Pools) == 0 {
		return ErrNoFleet
	}
	split := in.Split
	if split == (CostSplit{}) {
		split = DefaultCostSplit
	}
	if split.CachedInput < 0 || split.Output <= 0 {
		return fmt.Errorf("results: cost split weights must be >= 0 (cached input) and > 0 (output), got %+v", split)
	}
	for c, p := range in.Prices {
		if p == nil {
			continue
		}
		if err := p.Validate(); err != nil {
			return fmt.Errorf("results: price list for class %q: %w", c, err)
		}
	}
	prev := r.Cost
	// Everything is charged over the measurement window (warm-up end to
	// end of arrivals), not up to the last completion: a short run's drain
	// would otherwise inflate the cost per task. Pools report BusySeconds
	// within the window; elastic GPU time (GPUSeconds) is integrated over it.
	win := r.Window.DurationS
	cost := &Cost{ByPool: map[string]*PoolCost{}, WindowS: win, Split: &split}
	names := sortedKeys(r.Classes)
	keys := poolKeys(r.Fleet.Pools)
	charges := make([]poolCharge, 0, len(r.Fleet.Pools))
	energyKnown := true
	for i, p := range r.Fleet.Pools {
		key := keys[i]
		price, src := resolvePrice(p, key, prev, in)
		gpuS := float64(p.GPUs) * win
		if p.GPUSeconds > 0 {
			gpuS = p.GPUSeconds // already integrated over the window
		}
		pc := &PoolCost{GPUHours: roundSig(gpuS / 3600), USD: roundDec(gpuS/3600*price, 6), Role: p.Role, GPU: p.GPU,
			USDPerGPUHour: price, PriceSource: src}
		if instS := instanceSeconds(p, r.Window); instS > 0 && busyKnown(r, p) {
			u := roundSig(min(p.BusySeconds/instS, 1))
			pc.Utilization = &u
		}
		var joules float64
		if p.TDPWatts > 0 {
			joules = p.TDPWatts * float64(max(p.GPUsPerInstance, 1)) * p.BusySeconds
			if busyKnown(r, p) {
				e := roundSig(joules / 3.6e6)
				pc.EnergyKWh = &e
			}
		} else {
			energyKnown = false
		}
		cost.ByPool[key] = pc
		cost.GPUHours += gpuS / 3600
		cost.USD += gpuS / 3600 * price
		charges = append(charges, poolCharge{key: key, role: p.Role, usd: gpuS / 3600 * price, j: joules,
			shares: poolShares(r, p.Role, names)})
	}
	if !energyKnown {
		for _, pc := range cost.ByPool {
			pc.EnergyKWh = nil
		}
	}
	for _, c := range r.Classes {
		if c != nil {
			c.Cost = &ClassCost{}
		}
	}
	totalJ := 0.0
	for _, ch := range charges {
		attributed := 0.0
		for _, n := range names {
			s := ch.shares[n]
			if s <= 0 {
				continue
			}
			chargeClass(r.Classes[n], ch.role, ch.usd*s, ch.j*s, split)
			attributed += s
		}
		if attributed < 1 {
			cost.UnattributedUSD += ch.usd * (1 - attributed)
		}
		totalJ += ch.j
	}
	if energyKnown {
		cost.EnergyKWh = roundSig(totalJ / 3.6e6)
	}
	tot := &ClassCost{}
	revUSD, priced := 0.0, false
	for _, n := range names {
		c := r.Classes[n]
		if c == nil {
			continue
		}
		cc := c.Cost
		if idleCost(c) {
			// No request in the window and nothing charged: its cost,
			// revenue and margin were not measured, not 0.
			c.Cost = nil
			continue
		}
		tot.USD += cc.USD
		tot.InputUSD += cc.InputUSD
		tot.CachedUSD += cc.CachedUSD
		tot.OutputUSD += cc.OutputUSD
		tot.VideoUSD += cc.VideoUSD
		tot.EnergyKWh += cc.EnergyKWh
		tot.videoKWh += cc.videoKWh
		finishClassCost(c, cc, energyKnown)
		if pl := priceFor(in.Prices, n); pl != nil {
			cc.Revenue = revenue(c, cc.USD, pl)
			revUSD += cc.Revenue.usd
			priced = true
		}
	}
	tot.fleet = cost
	if r.Totals != nil {
		r.Totals.Cost = tot
		finishClassCost(r.Totals, tot, energyKnown)
	}
	cost.GPUHours = roundSig(cost.GPUHours)
	cost.USD = roundDec(cost.USD, 6)
	cost.UnattributedUSD = roundDec(cost.UnattributedUSD, 6)
	if priced {
		cost.setRevenue(revUSD)
	}
	cost.LowerBound, _ = FellBehind(r, in.MaxLag)
	r.Cost = cost
	return nil
}

// setRevenue sets the fleet's revenue (USD, before rounding), margin,
// markup and margin on revenue against c.USD (rounded, as a class's
// revenue is set against its rounded cost); the percentages use the
// revenue before rounding, as a class's do (6 decimals of a small
// revenue keep few digits).
func (c *Cost) setRevenue(revUSD float64) {
	rev, margin := roundDec(revUSD, 6), roundDec(revUSD-c.USD, 6)
	c.RevenueUSD, c.MarginUSD = &rev, &margin
	c.MarkupPct, c.MarginPct = nil, nil
	if v, ok := econ.MarkupPct(revUSD, c.USD); ok {
		v = roundSig(v)
		c.MarkupPct = &v
	}
	if v, ok := econ.MarginPct(revUSD, c.USD); ok {
		v = roundSig(v)
		c.MarginPct = &v
	}
}

// Revenue is the fleet's revenue in USD; false without a price list.
func (c *Cost) Revenue() (float64, bool) { return deref(c.RevenueUSD) }

// Margin is the fleet's margin in USD; false without a price list.
func (c *Cost) Margin() (float64, bool) { return deref(c.MarginUSD) }

func deref(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

// poolKeys are the Cost.ByPool keys of pools: the role, "role:N" for the
// N-th pool of a role that repeats.
func poolKeys(pools []PoolInfo) []string {
	seen := map[string]int{}
	keys := make([]string, len(pools))
	for i, p := range pools {
		keys[i] = p.Role
		if seen[p.Role]++; seen[p.Role] > 1 {
			keys[i] = fmt.Sprintf("%s:%d", p.Role, seen[p.Role])
		}
	}
	return keys
}

// Util is the pool's utilization and whether it was measured.
func (p *PoolCost) Util() (float64, bool) {
	if p == nil || p.Utilization == nil {
		return 0, false
	}
	return *p.Utilization, true
}

// busyKnown reports whether p's BusySeconds were measured: the simulator
// measures every pool's busy time (0 is an idle pool); an endpoint run
// cannot see it, so its 0 means unknown.
func busyKnown(r *Result, p PoolInfo) bool { return r.Backend == "sim" || p.BusySeconds > 0 }

// instanceSeconds is a pool's provisioned instance time in the measurement
// window, the time its BusySeconds are measured over: utilization's
// denominator. Elastic pools integrate their GPUs over the window
// (GPUSeconds).
func instanceSeconds(p PoolInfo, w Window) float64 {
	if p.GPUSeconds > 0 && p.GPUsPerInstance > 0 {
		return p.GPUSeconds / float64(p.GPUsPerInstance)
	}
	return float64(p.Instances) * w.DurationS
}

// gpusPer is a pool's GPUs per instance, the weight of its instance time
// in fleet figures (1 when a hand-made result leaves it out).
func gpusPer(p PoolInfo) float64 { return float64(max(p.GPUsPerInstance, 1)) }

// FleetUtilization is the fleet's busy GPU time over its provisioned GPU
// time, over the measurement window: the pools' Utilization (ApplyCost)
// weighted by their GPU time, as cost is (an 8-GPU video instance weighs
// twice a 4-GPU prefill instance). False without a fleet or window, or
// when no pool's busy time is known (an endpoint run).
func FleetUtilization(r *Result) (float64, bool) {
	if r == nil || r.Fleet == nil {
		return 0, false
	}
	var busy, prov float64
	known := false
	for _, p := range r.Fleet.Pools {
		busy += p.BusySeconds * gpusPer(p)
		prov += instanceSeconds(p, r.Window) * gpusPer(p)
		known = known || busyKnown(r, p)
	}
	if prov <= 0 || !known {
		return 0, false
	}
	return busy / prov, true
}

// ClassUtilization is the utilization of the pools class runs on (those
// its Attribution charges), weighted by GPU time as FleetUtilization: a
// video class's break-even utilization is its video pool's, not the
// fleet's, which mixes in LLM pools it never uses. Without an attribution
// (endpoint runs) it is FleetUtilization.
func ClassUtilization(r *Result, class string) (float64, bool) {
	if r == nil || r.Fleet == nil || len(r.Attribution[class]) == 0 {
		return FleetUtilization(r)
	}
	attr := r.Attribution[class]
	var busy, prov float64
	known := false
	for i, key := range poolKeys(r.Fleet.Pools) {
		p := r.Fleet.Pools[i]
		if attr[key] <= 0 && attr[p.Role] <= 0 {
			continue
		}
		busy += p.BusySeconds * gpusPer(p)
		prov += instanceSeconds(p, r.Window) * gpusPer(p)
		known = known || busyKnown(r, p)
	}
	if prov <= 0 || !known {
		return FleetUtilization(r)
	}
	return busy / prov, true
}

// USDPerHour is the priced fleet's cost rate: every pool's GPUs at the
// price ApplyCost resolved for it (0 when r has not been priced).
func USDPerHour(r *Result) float64 {
	if r == nil || r.Fleet == nil || r.Cost == nil {
		return 0
	}
	var usd float64
	for i, key := range poolKeys(r.Fleet.Pools) {
		if pc := r.Cost.ByPool[key]; pc != nil {
			usd += float64(r.Fleet.Pools[i].GPUs) * pc.USDPerGPUHour
		}
	}
	return usd
}

// resolvePrice picks a pool's $/GPU-hour: command line over scenario over
// an earlier pricing of this result over the catalog price in the fleet.
func resolvePrice(p PoolInfo, key string, prev *Cost, in CostInputs) (float64, string) {
	g := strings.ToLower(p.GPU)
	if v, ok := in.GPUHourUSD[g]; ok {
		return v, PriceOverride
	}
	if v, ok := in.ScenarioGPUHourUSD[g]; ok {
		return v, PriceScenario
	}
	if prev != nil {
		if pc := prev.ByPool[key]; pc != nil && pc.PriceSource != "" && pc.PriceSource != PriceCatalog && pc.GPU == p.GPU {
			return pc.USDPerGPUHour, pc.PriceSource
		}
	}
	return p.USDPerGPUHour, PriceCatalog
}

// poolShares is how a pool's cost is shared by classes: the simulator's
// measured attribution of busy time when present, otherwise (endpoint
// runs, or a pool that was never busy) by token share: uncached input for
// prefill (cached tokens need no prefill compute; all input if nothing was
// uncached), output for decode and colocated, clips for video.
func poolShares(r *Result, role string, names []string) map[string]float64 {
	out := map[string]float64{}
	for _, n := range names {
		if s := r.Attribution[n][role]; s > 0 {
			out[n] = s
		}
	}
	if len(out) > 0 {
		return out
	}
	weight := func(c *ClassResult) float64 {
		in, cached, out := c.Tokens()
		switch role {
		case "prefill":
			return float64(in - cached)
		case "video":
			return float64(c.Clips)
		default:
			return float64(out)
		}
	}
	var total float64
	w := map[string]float64{}
	for _, n := range names {
		if c := r.Classes[n]; c != nil {
			w[n] = max(weight(c), 0)
			total += w[n]
		}
	}
	if total == 0 && role == "prefill" {
		for _, n := range names {
			if c := r.Classes[n]; c != nil {
				in, _, _ := c.Tokens()
				w[n] = float64(max(in, 0))
				total += w[n]
			}
		}
	}
	if total == 0 {
		return out
	}
	for n, v := range w {
		if v > 0 {
			out[n] = v / total
		}
	}
	return out
}

// chargeClass books usd and joules of a pool with role to class c, split
// between token kinds (see CostSplit).
func chargeClass(c *ClassResult, role string, usd, joules float64, split CostSplit) {
	cc := c.Cost
	cc.USD += usd
	cc.EnergyKWh += joules / 3.6e6
	if role == "video" {
		cc.videoKWh += joules / 3.6e6
	}
	in, cachedN, outN := c.Tokens()
	unc := float64(max(in-cachedN, 0))
	cached := float64(max(cachedN, 0)) * split.CachedInput
	out := float64(max(outN, 0)) * split.Output
	switch role {
	case "video":
		cc.VideoUSD += usd
		return
	case "prefill":
		out = 0
	case "decode":
		unc, cached = 0, 0
	}
	total := unc + cached + out
	if total == 0 {
		// Nothing to spread over (e.g. a video class charged for LLM time):
		// keep it in USD and the per-task figure only.
		return
	}
	cc.InputUSD += usd * unc / total
	cc.CachedUSD += usd * cached / total
	cc.OutputUSD += usd * out / total
}

// finishClassCost derives the per-unit figures of c's cost.
func finishClassCost(c *ClassResult, cc *ClassCost, energyKnown bool) {
	per := func(usd float64, n float64, scale float64) float64 {
		if n <= 0 {
			return 0
		}
		return roundSig(usd / n * scale)
	}
	if c.Tasks > 0 {
		cc.PerTaskUSD = per(cc.USD, float64(c.Tasks), 1)
	} else if c.Clips > 0 {
		cc.PerTaskUSD = per(cc.USD, float64(c.Clips), 1)
	}
	in, cached, out := c.Tokens()
	cc.USDPerMTokInput = per(cc.InputUSD, float64(in-cached), 1e6)
	cc.USDPerMTokCached = per(cc.CachedUSD, float64(cached), 1e6)
	cc.USDPerMTokOutput = per(cc.OutputUSD, float64(out), 1e6)
	// Video figures use the video pool's charge only, so mixed totals do
	// not put LLM cost on video seconds.
	cc.USDPerClip = per(cc.VideoUSD, float64(c.Clips), 1)
	cc.USDPerVideoSecond = per(cc.VideoUSD, c.VideoSeconds, 1)
	if energyKnown {
		if out > 0 {
			cc.JPerOutTok = roundSig((cc.EnergyKWh - cc.videoKWh) * 3.6e6 / float64(out))
		}
		cc.EnergyKWh = roundSig(cc.EnergyKWh)
	} else {
		cc.EnergyKWh = 0
	}
	cc.USD = roundDec(cc.USD, 6)
	cc.InputUSD = roundDec(cc.InputUSD, 6)
	cc.CachedUSD = roundDec(cc.CachedUSD, 6)
	cc.OutputUSD = roundDec(cc.OutputUSD, 6)
	cc.VideoUSD = roundDec(cc.VideoUSD, 6)
}

// idleCost reports whether class c's cost is the accounting zero of a
// class that sent no request in the window and had nothing charged to it
// (no busy time from warm-up arrivals either): no cost to report, so the
// class has none (docs/metrics.md, What was not measured is absent).
func idleCost(c *ClassResult) bool {
	cc := c.Cost
	return c.Requests == 0 && c.Completed == 0 && c.Tasks == 0 && cc != nil && cc.USD == 0 && cc.EnergyKWh == 0 &&
		cc.InputUSD == 0 && cc.CachedUSD == 0 && cc.OutputUSD == 0 && cc.VideoUSD == 0
}

// priceFor is class n's price list, or the default ("*").
func priceFor(m map[string]*pricing.List, n string) *pricing.List {
	if p := m[n]; p != nil {
		return p
	}
	return m["*"]
}

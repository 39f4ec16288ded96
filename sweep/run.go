package sweep

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/pricing"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Runner simulates grid points of one scenario.
type Runner struct {
	// Scenario is the scenario every point runs.
	Scenario *scenarios.Scenario
	// Base is the scenario's fleet configuration with command-line
	// overrides (sim.ConfigFromScenario, then model, dtype, ...); each point
	// overrides its fleet, GPU, TP and routing. Records is ignored: points
	// run concurrently and keep no per-request records.
	Base sim.Config
	// Workload overrides seed, requests and duration for every point; each
	// point's rate scale replaces RateScale.
	Workload scenarios.WorkloadOptions
	// Warmup is the user's --warmup; nil keeps the scenario's, cut per
	// point to at most 10% of the run when Workload shortens it
	// (scenarios.WarmupFor: the span depends on each point's rate).
	Warmup *time.Duration
	// Jobs is how many simulations run at once (default GOMAXPROCS).
	Jobs int
	// KeepResults keeps each point's full result in SweepPoint.Result.
	KeepResults bool
	// Cost are the cost model's inputs (GPU-price overrides, price lists)
	// every point is priced with by results.ApplyCost; nil prices at the
	// pools' catalog prices.
	Cost *results.CostInputs
	// Stop, when closed (Ctrl-C), ends the sweep early: a point not yet
	// started is not run (its Error is NotRun); a point running stops at
	// its next virtual second (sim.Config.Stop) and is cut short (CutShort:
	// its Error says so, its partial figures are left out). Nil: never.
	Stop <-chan struct{}
	// Progress, when set, is called after each point finishes (serialised;
	// in completion order, which varies with Jobs: for display only).
	Progress func(done int, p *sweepfile.Point)

	mu   sync.Mutex
	done int
}

// jobs is the effective parallelism.
func (r *Runner) jobs() int {
	if r.Jobs > 0 {
		return r.Jobs
	}
	return runtime.GOMAXPROCS(0)
}

// fleetFor is the fleet a point simulates: its notation plus the
// scenario's video pool when the notation has none (as "fleetbench sim"
// does), multiplied by the point's scale.
func (r *Runner) fleetFor(p Point) (string, error) {
	fleet := p.Fleet
	if r.Scenario.Fleet != nil {
		sc := *r.Scenario // shallow copy: only the fleet defaults change
		fd := *r.Scenario.Fleet
		// Bare pools ("2P1D") take the scenario fleet's wide layout.
		spec, err := sim.InheritLayout(p.Fleet, fd.Spec)
		if err != nil {
			return "", err
		}
		fd.Spec = spec
		sc.Fleet = &fd
		fleet = sim.ConfigFromScenario(&sc).Fleet
	}
	if p.Scale > 0 {
		return ScaleFleet(fleet, p.Scale)
	}
	spec, err := sim.ParseFleet(fleet)
	if err != nil {
		return "", err
	}
	return compactFleet(spec), nil
}

// compactFleet writes a fleet back to back ("2P4D+8V") where pools carry no
// per-pool options, the way people write it.
func compactFleet(spec sim.FleetSpec) string {
	var b strings.Builder
	for i, p := range spec.Pools {
		one := sim.FleetSpec{Pools: []sim.PoolSpec{p}}.String()
		switch {
		case i == 0:
		case p.Role == sim.RoleVideo:
			b.WriteByte('+')
		case spec.Pools[i-1].GPU != "" || spec.Pools[i-1].TP > 0:
			b.WriteByte(' ')
		}
		b.WriteString(one)
	}
	return b.String()
}

// config is the simulator configuration and traffic multiplier of a point.
func (r *Runner) config(p Point) (sim.Config, float64, error) {
	cfg := r.Base
	cfg.Records = nil
	cfg.GPU, cfg.TP, cfg.Routing = p.GPU, p.TP, p.Routing
	fleet, err := r.fleetFor(p)
	if err != nil {
		return cfg, 0, err
	}
	cfg.Fleet = fleet
	rate := p.RateScale
	if p.Scale > 0 {
		rate *= p.Scale
	}
	return cfg, rate, nil
}

// Run simulates pts, at most Jobs at a time, and returns their outcomes in
// the order of pts whatever the parallelism.
func (r *Runner) Run(pts []Point) []sweepfile.Point {
	out := make([]sweepfile.Point, len(pts))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(r.jobs(), len(pts)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(pts) {
					return
				}
				out[i] = r.One(pts[i])
			}
		})
	}
	wg.Wait()
	return out
}

// NotRun is the Error of a point the sweep did not run because it was
// interrupted (Runner.Stop).
const NotRun = "not run: the sweep was interrupted"

// stopped reports whether Stop was closed.
func (r *Runner) stopped() bool { return Stopped(r.Stop) }

// Stopped reports whether stop was closed (false for nil: never).
func Stopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// One simulates one point. A configuration the simulator refuses, or a
// simulator failure, is reported in the point's Error, never as a panic.
func (r *Runner) One(p Point) (sp sweepfile.Point) {
	cfg, rate, err := r.config(p)
	sp = sweepfile.Point{Index: p.Index, Fleet: cfg.Fleet, GPU: p.GPU, TP: p.TP, Routing: p.Routing,
		RateScale: rate, Scale: p.Scale, GPUs: EstimateGPUs(cfg.Fleet, p.TP)}
	switch {
	case err == nil && !routesLLM(cfg.Fleet):
		// A video-only fleet routes no LLM request and has no tensor
		// parallelism: both absent, not the LLM defaults.
		sp.Routing, sp.TP = "", 0
	case sp.Routing == "":
		sp.Routing = "cache-aware" // the simulator's default, named for the reader
	}
	if sp.GPU == "" {
		sp.GPU = "h100"
	}
	defer func() {
		if v := recover(); v != nil { // a simulator bug must not take the other points down
			sp.Error = fmt.Sprintf("simulator panic (a fleetbench bug, please report it): %v", v)
			sp.Result = nil
		}
		if r.Progress != nil {
			r.mu.Lock()
			r.done++
			r.Progress(r.done, &sp)
			r.mu.Unlock()
		}
	}()
	if err != nil {
		sp.Error = err.Error()
		return sp
	}
	if r.stopped() {
		sp.Error = NotRun
		return sp
	}
	wo := r.Workload
	wo.RateScale = rate
	explicit := time.Duration(-1)
	if r.Warmup != nil {
		explicit = *r.Warmup
	}
	warm, err := r.Scenario.WarmupFor(wo, explicit, false)
	if err != nil {
		sp.Error = err.Error()
		return sp
	}
	cfg.Stop = r.Stop // Ctrl-C ends a running point at its next virtual second
	res, st, err := sim.Run(r.Scenario.WithWarmup(warm.D), cfg, wo)
	if err == nil && st.Interrupted {
		// Its figures cover part of the run only (no slow tail, a short
		// window): neither a verdict nor a point to rank.
		sp.Error = fmt.Sprintf("%s%s: the point was cut short, its partial figures are left out", cutShort, time.Duration(st.EndNs))
		return sp
	}
	if err != nil {
		var ce *sim.ConfigError
		if errors.As(err, &ce) {
			sp.Error = "configuration: " + err.Error()
		} else {
			sp.Error = err.Error()
		}
		return sp
	}
	cost := results.CostInputs{}
	if r.Cost != nil {
		cost = cloneCost(r.Cost)
	}
	if err := results.ApplyCost(res, cost); err != nil && !errors.Is(err, results.ErrNoFleet) {
		sp.Error = "cost model: " + err.Error()
		return sp
	}
	FillPoint(&sp, res)
	if r.KeepResults {
		sp.Result = res
	}
	return sp
}

// FillPoint sets the verdict and metrics of sp from its result, priced by
// results.ApplyCost (cost, cost rate and utilization all come from it).
func FillPoint(sp *sweepfile.Point, res *results.Result) {
	t := res.Totals
	if res.Fleet != nil {
		sp.GPUs = res.Fleet.GPUs
		if sp.TP == 0 { // not set by the grid or scenario: the TP it ran at
			sp.TP = llmTP(res.Fleet)
		}
		if g := fleetGPUs(res.Fleet); g != "" { // a fleet may name its own
			sp.GPU = g
		}
	}
	m := map[string]float64{
		"errors": float64(t.Failed()), // drops at --max-inflight apart
	}
	if v, ok := results.Ratio(t.RequestsPerS); ok { // absent without a window
		m["requests_per_s"] = v
	}
	// Ratios over nothing are absent, not 0: the hit rate without prompt
	// tokens (video), the attainment without requests, the token rate of
	// work that makes no tokens.
	if v, ok := results.Ratio(t.CacheHitRate); ok {
		m["cache_hit_rate"] = v
	}
	if v, ok := results.Ratio(t.SLOAttainment); ok {
		m["slo_attainment"] = v
	}
	if v, ok := results.Ratio(t.GoodputRPS); ok { // absent when not judged
		m["goodput_rps"] = v
	}
	if v, ok := results.Ratio(t.OutputTokensPerS); ok {
		m["output_tok_s"] = v
	}
	if d := t.ErrorsByClass[results.ErrorClassDropped]; d > 0 {
		m["dropped"] = float64(d)
	}
	latencies(m, t)
	if t.Kind == results.KindMixed {
		// The totals' latencies pool kinds: labelled, and each class's kept.
		sp.Kind = results.KindMixed
		sp.Classes = map[string]map[string]float64{}
		for name, c := range res.Classes {
			cm := map[string]float64{}
			latencies(cm, c)
			sp.Classes[name] = cm
		}
	}
	if perHour := results.USDPerHour(res); perHour > 0 {
		m["usd_per_hour"] = perHour
		m["usd"] = res.Cost.USD
		if t.Tasks > 0 {
			m["usd_per_task"] = res.Cost.USD / float64(t.Tasks)
		}
		// The same $/Mtok figures as the result (docs/economics.md): cost
		// charged to a token kind / that kind's Mtok; usd_per_mtok_all is
		// the cost of the pools that compute tokens (every pool but video
		// ones, which compute none) over every token (input incl. cached +
		// output).
		if in, _, out := t.Tokens(); in+out > 0 {
			m["usd_per_mtok_all"] = econ.Sig12(tokenPoolsUSD(res.Cost) / float64(in+out) * 1e6)
		}
	}
	if tc := t.Cost; tc != nil {
		if tc.PerTaskUSD > 0 { // the cost model's own figure wins
			m["usd_per_task"] = tc.PerTaskUSD
		}
		if tc.USDPerMTokInput > 0 {
			m["usd_per_mtok_input"] = tc.USDPerMTokInput
		}
		if tc.USDPerMTokOutput > 0 {
			m["usd_per_mtok_output"] = tc.USDPerMTokOutput
		}
	}
	addRevenue(m, res)
	if u, ok := results.FleetUtilization(res); ok {
		m["utilization"] = econ.Sig12(u) // 1.0000000000000002 was a share over 1
	}
	if lag, _, ok := results.Lag(res); ok && res.Window.DurationS > 0 {
		m["lag_share"] = econ.Sig12(lag / res.Window.DurationS)
	}
	for k, v := range m {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			delete(m, k) // JSON cannot hold them; absent means "does not apply"
		}
	}
	sp.Metrics = m
	sp.OverContext = overContext(res)
	sp.Warnings = slices.Clone(res.Warnings)
	for _, n := range slices.Sorted(maps.Keys(res.Classes)) {
		if c := res.Classes[n]; results.ClassFailedWhole(n, c) != "" {
			sp.FailedClasses = append(sp.FailedClasses, n)
			errs := maps.Clone(c.ErrorsByClass)
			delete(errs, results.ErrorClassDropped)
			if sp.FailedErrors == nil {
				sp.FailedErrors = map[string]map[string]int64{}
			}
			sp.FailedErrors[n] = errs
		}
	}
	for _, n := range slices.Sorted(maps.Keys(res.Classes)) {
		if c := res.Classes[n]; c != nil && c.SLO != nil && c.Requests == 0 {
			sp.IdleClasses = append(sp.IdleClasses, n)
		}
	}
	sp.FellBehind, _ = results.FellBehind(res, 0)
	sp.MeetsSLO = meetsSLO(res) && !sp.FellBehind
}

// overContext sums the classes' requests over the model's context (nil
// when none).
func overContext(res *results.Result) *results.OverContext {
	var out *results.OverContext
	for _, c := range res.Classes {
		if o := c.OverContext; o != nil {
			if out == nil {
				out = &results.OverContext{ContextTokens: o.ContextTokens}
			}
			out.Requests += o.Requests
			out.LongestTokens = max(out.LongestTokens, o.LongestTokens)
		}
	}
	return out
}

// latencies adds each latency metric's SweepStats of c to m.
func latencies(m map[string]float64, c *results.ClassResult) {
	for i := range results.Metrics {
		lm := &results.Metrics[i]
		for _, st := range lm.SweepStats {
			if v, ok := lm.Stat(c, st); ok {
				m[lm.SweepKey(st)] = v
			}
		}
	}
}

// meetsSLO: something completed and every class with objectives met all of
// them (a class without objectives cannot fail).
func meetsSLO(res *results.Result) bool {
	if res.Totals.Completed == 0 {
		return false
	}
	for _, c := range res.Classes {
		if c.SLO != nil && !c.SLO.Met {
			return false
		}
	}
	return true
}

// hasSLO reports whether any class of the result has objectives.
func hasSLO(sc *scenarios.Scenario) bool {
	for _, c := range sc.Classes {
		slo := results.ClassInfoFor(c).SLO
		for i := range results.Metrics {
			if len(results.Metrics[i].Bounds(&slo)) > 0 {
				return true
			}
		}
	}
	return false
}

// cloneCost deep-copies the cost inputs for one point: ApplyCost
// normalises the price lists in place (pricing.List.Validate), so points
// running concurrently must not share them.
func cloneCost(in *results.CostInputs) results.CostInputs {
	out := *in
	out.GPUHourUSD = maps.Clone(in.GPUHourUSD)
	out.ScenarioGPUHourUSD = maps.Clone(in.ScenarioGPUHourUSD)
	if in.Prices != nil {
		out.Prices = make(map[string]*pricing.List, len(in.Prices))
		for k, pl := range in.Prices {
			out.Prices[k] = pl.Clone()
		}
	}
	return out
}

// addRevenue adds the fleet's revenue, margin, margin on revenue and
// markup on cost, the result's own (results.Cost: revenue summed over the
// classes with a price list, margin over the whole fleet's cost) when
// some class has one: absent otherwise (and the margin on revenue without
// revenue), never 0.
func addRevenue(m map[string]float64, res *results.Result) {
	c := res.Cost
	if c == nil {
		return
	}
	if v, ok := c.Revenue(); ok {
		m["revenue_usd"] = v
	}
	if v, ok := c.Margin(); ok {
		m["margin_usd"] = v
	}
	if v := c.MarginPct; v != nil {
		m["margin_pct"] = *v
	}
	if v := c.MarkupPct; v != nil {
		m["markup_pct"] = *v
	}
}

// CutShort reports whether p is a point that was running when the sweep
// was interrupted (Runner.Stop) and stopped before its end.
func CutShort(p *sweepfile.Point) bool { return strings.HasPrefix(p.Error, cutShort) }

// cutShort starts the Error of a point cut short by an interruption.
const cutShort = "interrupted at virtual time "

// llmTP is the GPUs per instance (tensor parallelism) of a fleet's LLM
// pools when they share one, else 0 (a video-only fleet has none).
func llmTP(f *results.FleetInfo) int {
	tp := 0
	for _, p := range f.Pools {
		if p.Role == "video" {
			continue
		}
		if tp != 0 && p.GPUsPerInstance != tp {
			return 0
		}
		tp = p.GPUsPerInstance
	}
	return tp
}

// tokenPoolsUSD is the cost of c's pools that compute tokens: the whole
// cost less the video pools' (a video pool's cost is no token's).
func tokenPoolsUSD(c *results.Cost) float64 {
	usd := c.USD
	for _, p := range c.ByPool {
		if p != nil && p.Role == "video" {
			usd -= p.USD
		}
	}
	return usd
}

// fleetGPUs names the GPU types a fleet ran on, in pool order: "h800",
// or "h200+h20" for pools of different types; "" when no pool names one.
// A fleet spec that names its pools' GPUs ("4P:h800x32/ep32/dp32 ...")
// overrides the grid's --gpu, so the point's gpu is read from the result.
func fleetGPUs(f *results.FleetInfo) string {
	var types []string
	for _, p := range f.Pools {
		if g := strings.ToLower(p.GPU); g != "" && !slices.Contains(types, g) {
			types = append(types, g)
		}
	}
	return strings.Join(types, "+")
}

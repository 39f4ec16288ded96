// Package scale answers the capacity planner's question "how do GPUs per
// unit of traffic and cost per task change as the platform grows?": at
// each traffic level it searches the smallest fleet (colocated size, or
// prefill:decode split) that meets every SLO, and splits the change of
// GPUs per 1k req/s between consecutive levels into measured factors:
// cache reuse, per-token GPU time (batching), the binding pool's safe
// utilization (burst smoothing) and the P:D balance (see Decompose).
//
// Levels are searched in order and each brackets from the previous
// level's answer (a fleet never shrinks as traffic grows, and the
// previous fleet scaled linearly is the first upper bound tried), so the
// search costs a handful of simulations per level. Probes run in parallel
// up to Jobs; which probes run never depends on Jobs, so the curve is
// identical for any parallelism.
package scale

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Schema identifies a scale-curve file.
const Schema = "fleetbench.scale/v1"

// Fleet kinds a search may try.
const (
	KindColocated = "colocated"
	KindPD        = "pd"
)

// Spec is a scale search.
type Spec struct {
	// Levels are traffic multipliers of the scenario's rates, ascending.
	Levels []float64
	// Kinds are the fleet shapes searched (default both); the level's
	// answer is the one with fewer GPUs, then lower cost per task.
	Kinds []string
	// TierBlocksPerInstance, when > 0, gives every LLM pool a shared
	// second-tier KV cache of this many blocks per instance (pooled
	// DRAM/SSD that grows with the pool).
	TierBlocksPerInstance int
	// ShardI/ShardN run only the levels with index % ShardN == ShardI;
	// a shard searches each level cold (no previous answer to bracket
	// from), so merged shards may visit more probes but find the same
	// smallest fleets.
	ShardI, ShardN int
	// MaxInstances caps a pool's instance count (default 4096).
	MaxInstances int
	// Progress, when set, is called after each probe (serialised).
	Progress func(level float64, p *sweepfile.Point)
}

// probesPerRound is how many sizes one search round probes at once: a
// constant, so the probes visited never depend on the parallelism.
const probesPerRound = 2

// Searcher runs scale searches for one scenario.
type Searcher struct {
	Scenario *scenarios.Scenario
	Base     sim.Config
	Workload scenarios.WorkloadOptions
	Cost     *results.CostInputs
	Jobs     int

	// Stop, when closed (Ctrl-C), ends the search: no further probe is
	// simulated, the level being searched has no answer and later levels
	// are not searched (Curve.Interrupted).
	Stop <-chan struct{}

	sem chan struct{}
	mu  sync.Mutex
	// fake replaces simulate in tests of the search.
	fake func(fleet string, level float64) probeOut
}

// Run searches every level of spec and returns the curve with its
// decomposition.
func (s *Searcher) Run(spec Spec) (*Curve, error) {
	if len(spec.Levels) == 0 {
		return nil, errors.New("no traffic levels: give --traffic 1,10,100 (multipliers), --rate or --tokens-per-s")
	}
	for i, l := range spec.Levels {
		if !(l > 0) || math.IsInf(l, 0) {
			return nil, fmt.Errorf("traffic level %v: want a positive multiplier", l)
		}
		if i > 0 && l <= spec.Levels[i-1] {
			return nil, fmt.Errorf("traffic levels must ascend (%v after %v)", l, spec.Levels[i-1])
		}
	}
	if spec.ShardN < 0 || (spec.ShardN > 0 && (spec.ShardI < 0 || spec.ShardI >= spec.ShardN)) {
		return nil, fmt.Errorf("shard %d/%d: want 0 <= i < n", spec.ShardI, spec.ShardN)
	}
	kinds := spec.Kinds
	if len(kinds) == 0 {
		kinds = []string{KindColocated, KindPD}
	}
	for _, k := range kinds {
		if k != KindColocated && k != KindPD {
			return nil, fmt.Errorf("fleet kind %q: use colocated or pd", k)
		}
	}
	if spec.MaxInstances <= 0 {
		spec.MaxInstances = 4096
	}
	if !slices.ContainsFunc(s.Scenario.Classes, func(c scenarios.Class) bool { return c.Kind != scenarios.KindVideo }) {
		return nil, fmt.Errorf("scenario %q has no LLM class: scale sizes LLM pools (colocated or prefill/decode); size a video pool with sweep --fleet 8V,16V,32V", s.Scenario.Name)
	}
	jobs := s.Jobs
	if jobs <= 0 {
		jobs = max(1, runtime.GOMAXPROCS(0))
	}
	s.sem = make(chan struct{}, jobs)
	c := &Curve{Schema: Schema, Scenario: results.ScenarioInfo{Name: s.Scenario.Name, Seed: s.Scenario.Seed, Hash: s.Scenario.Hash()},
		Kinds: kinds, TierBlocksPerInstance: spec.TierBlocksPerInstance}
	if s.Workload.Seed != nil {
		c.Scenario.Seed = *s.Workload.Seed
	}
	if spec.ShardN > 0 {
		c.Shard = fmt.Sprintf("%d/%d", spec.ShardI, spec.ShardN)
	}
	prev := map[string]*found{}
	prevAt := map[string]float64{} // the level each kind's previous answer is from
	for i, lv := range spec.Levels {
		if spec.ShardN > 0 && i%spec.ShardN != spec.ShardI {
			continue
		}
		if spec.ShardN > 1 {
			prev, prevAt = map[string]*found{}, map[string]float64{} // cold: the previous level is another shard's
		}
		if s.stopped() {
			c.Interrupted = true
			break
		}
		L := Level{Index: i, Traffic: lv}
		// Kinds are searched in turn so that each answer caps the next
		// kind's search: a fleet with more GPUs than an answer already
		// found cannot be the level's answer, so it is never simulated.
		got := make([]*found, len(kinds))
		capGPUs := 0
		for ki, k := range kinds {
			got[ki] = s.search(spec, k, lv, prev[k], prevAt[k], capGPUs, &L)
			if f := got[ki]; f != nil && (capGPUs == 0 || f.pt.GPUs < capGPUs) {
				capGPUs = f.pt.GPUs
			}
		}
		// Probes finish in any order; list them by size so the file does
		// not depend on the parallelism.
		slices.SortFunc(L.Probes, func(a, b sweepfile.Point) int {
			if a.GPUs != b.GPUs {
				return a.GPUs - b.GPUs
			}
			return strings.Compare(a.Fleet, b.Fleet)
		})
		for j := range L.Probes {
			L.Probes[j].Index = j
		}
		for ki, k := range kinds {
			if got[ki] != nil {
				prev[k], prevAt[k] = got[ki], lv
			}
		}
		var best *found
		for _, f := range got {
			if f != nil && (best == nil || f.better(best)) {
				best = f
			}
		}
		if slices.ContainsFunc(L.Probes, func(p sweepfile.Point) bool { return p.Error == sweep.NotRun || sweep.CutShort(&p) }) {
			// Cut short: a smaller fleet was not tried (or not to its
			// end), so no answer.
			c.Interrupted = true
			c.Levels = append(c.Levels, Level{Index: i, Traffic: lv, Probes: L.Probes,
				Note: fmt.Sprintf("interrupted: the search at %gx was cut short (probes not run or stopped mid-run): no answer", lv)})
			break
		}
		if best == nil {
			// Only a search that simulated something may say no fleet
			// met the SLOs.
			ran := slices.IndexFunc(L.Probes, func(p sweepfile.Point) bool { return p.Error == "" })
			if ran < 0 && len(L.Probes) > 0 {
				return nil, fmt.Errorf("no probe at %gx could run (%d tried), e.g. fleet %s: %s", lv, len(L.Probes), L.Probes[0].Fleet, L.Probes[0].Error)
			}
			L.Note = fmt.Sprintf("no fleet up to %d instances per pool meets every SLO at %gx", spec.MaxInstances, lv)
			if failed := sweepfile.FailedEverywhere(L.Probes); len(failed) > 0 {
				// Not a capacity answer either: no fleet size serves them.
				L.Note = fmt.Sprintf("no answer at %gx: every request of class %s failed on every probe (%d), which no fleet size changes; run one with fleetbench sim to see the errors",
					lv, strings.Join(failed, ", "), len(L.Probes))
			}
			if idle := sweepfile.IdleEverywhere(L.Probes); len(idle) > 0 {
				// Not a capacity answer: a class's SLO was never judged.
				L.Note = fmt.Sprintf("no answer at %gx: no request of class %s arrived in the window on any probe (%d), so its SLO is not judged; lengthen the run (--duration, --requests)",
					lv, strings.Join(idle, ", "), len(L.Probes))
			}
			if ran := len(L.Probes) - countFunc(L.Probes, func(p sweepfile.Point) bool { return p.Error != "" }); ran > 0 && len(L.heldLag) == ran {
				// Not a capacity answer: the pool that fell behind is one
				// the search holds, so no LLM fleet size changes it.
				slices.Sort(L.heldLag)
				L.HeldPoolBehind = slices.Compact(L.heldLag)
				L.Note = fmt.Sprintf("no answer at %gx: every probe fell behind on class %s's queue (%d probes, up to %s), on the video pool, which the search holds at the scenario's size: no LLM fleet changes that; give the video pool more instances (fleet.video.instances) or run longer than its bursts (--duration)",
					lv, strings.Join(L.HeldPoolBehind, ", "), ran, L.Probes[len(L.Probes)-1].Fleet)
			}
			if !slices.ContainsFunc(L.Probes, func(p sweepfile.Point) bool { return p.Measured() }) {
				// Not a capacity answer: the workload fails on every fleet.
				L.Note = fmt.Sprintf("nothing measured at %gx: none of the %d probes completed a request (every request failed); run one with fleetbench sim to see the errors", lv, len(L.Probes))
				L.NothingMeasured = true
			}
		} else {
			L.fill(best)
		}
		c.Levels = append(c.Levels, L)
	}
	var probes []sweepfile.Point
	for _, L := range c.Levels {
		probes = append(probes, L.Probes...)
	}
	c.Notes = append(c.Notes, sweepfile.WarningsNotes(probes, "probes", func(p *sweepfile.Point) string { return fmt.Sprintf("%s at %gx", p.Fleet, p.RateScale) })...)
	if note := sweepfile.OverContextNote(probes); note != "" {
		c.Notes = append(c.Notes, note)
	}
	c.Notes = append(c.Notes, unbuiltNotes(c.Levels)...)
	Decompose(c)
	return c, nil
}

// stopped reports whether Stop was closed.
func (s *Searcher) stopped() bool { return sweep.Stopped(s.Stop) }

// found is a search's answer for one kind at one level.
type found struct {
	kind string
	p, d int // colocated: p instances; pd: p prefill, d decode
	pt   sweepfile.Point
	f    Factors
}

func (a *found) better(b *found) bool {
	if a.pt.GPUs != b.pt.GPUs {
		return a.pt.GPUs < b.pt.GPUs
	}
	return a.pt.Metrics["usd_per_task"] < b.pt.Metrics["usd_per_task"]
}

func fleetOf(kind string, p, d int) string {
	if kind == KindColocated {
		return fmt.Sprintf("%dC", p)
	}
	return fmt.Sprintf("%dP%dD", p, d)
}

// probe simulates one fleet at one level; results are cached per level so
// no fleet runs twice.
type probeSet struct {
	s     *Searcher
	spec  Spec
	level float64
	kind  string
	L     *Level
	seen  map[string]*probeOut
}

type probeOut struct {
	pass bool
	pt   sweepfile.Point
	f    Factors
	// needP, needD, worstTTFT: which pool a failed probe lacks (misses).
	needP, needD bool
	worstTTFT    float64
	// heldLag names the video class whose queue made a probe fall behind
	// (heldPoolLag): a pool the search does not size.
	heldLag string
}

// run simulates the fleets not simulated yet, in parallel (bounded by the
// searcher's semaphore), and returns pass/fail for each.
func (ps *probeSet) run(fleets []string) []*probeOut {
	var wg sync.WaitGroup
	for _, fl := range fleets {
		if _, ok := ps.seen[fl]; ok {
			continue
		}
		out := &probeOut{}
		ps.seen[fl] = out
		wg.Go(func() {
			ps.s.sem <- struct{}{}
			defer func() { <-ps.s.sem }()
			if ps.s.fake != nil {
				*out = ps.s.fake(fl, ps.level)
			} else {
				*out = ps.s.simulate(ps.spec, fl, ps.level)
			}
			ps.s.mu.Lock()
			ps.L.Probes = append(ps.L.Probes, out.pt)
			if out.heldLag != "" {
				ps.L.heldLag = append(ps.L.heldLag, out.heldLag)
			}
			if ps.spec.Progress != nil {
				ps.spec.Progress(ps.level, &out.pt)
			}
			ps.s.mu.Unlock()
		})
	}
	wg.Wait()
	outs := make([]*probeOut, len(fleets))
	for i, fl := range fleets {
		outs[i] = ps.seen[fl]
	}
	return outs
}

// simulate runs one probe and keeps its factors (not its full result).
func (s *Searcher) simulate(spec Spec, fleet string, level float64) probeOut {
	base := s.Base
	if spec.TierBlocksPerInstance > 0 {
		if fs, err := sim.ParseFleet(fleet); err == nil {
			n := 0
			for _, p := range fs.Pools {
				n = max(n, p.Count)
			}
			base.TierBlocks = spec.TierBlocksPerInstance * n
		}
	}
	r := &sweep.Runner{Scenario: s.Scenario, Base: base, Workload: s.Workload, Jobs: 1, KeepResults: true, Cost: s.Cost, Stop: s.Stop}
	pt := r.One(sweep.Point{Fleet: fleet, GPU: base.GPU, TP: base.TP, Routing: base.Routing, RateScale: level})
	out := probeOut{pt: pt, pass: pt.Error == "" && pt.MeetsSLO}
	if pt.Result != nil {
		out.f = FactorsOf(pt.Result)
	}
	if !out.pass {
		out.needP, out.needD, out.worstTTFT = misses(pt.Result)
		if pt.FellBehind {
			out.heldLag = heldPoolLag(pt.Result)
		}
	}
	out.pt.Result = nil
	return out
}

// search finds the smallest fleet of kind meeting every SLO at level lv,
// bracketing from prev (the kind's answer at level prevLevel); capGPUs > 0
// is an answer already found at this level (see searchPD).
func (s *Searcher) search(spec Spec, kind string, lv float64, prev *found, prevLevel float64, capGPUs int, L *Level) *found {
	ps := &probeSet{s: s, spec: spec, level: lv, kind: kind, L: L, seen: map[string]*probeOut{}}
	defer ps.noteUnbuilt()
	ratio := 1.0
	if prev != nil && prevLevel > 0 {
		ratio = lv / prevLevel
	}
	if kind == KindPD {
		return s.searchPD(ps, prev, ratio, capGPUs)
	}
	// The first guess is the previous answer scaled with the traffic: an
	// upper bound whenever there is an economy of scale. (Scaling by how
	// the fleet grew at the level before undershot: the first step's
	// saving is mostly granularity, and chat at 100x then cost 26 probes
	// instead of 20.)
	lo, guess := 1, 1
	if prev != nil {
		lo, guess = prev.p, ceilMul(prev.p, ratio)
	}
	maxN := spec.MaxInstances
	if capGPUs > 0 {
		maxN = min(maxN, capGPUs/max(1, sweep.EstimateGPUs(fleetOf(kind, 1, 0), s.Base.TP)))
		if lo > maxN {
			return nil
		}
	}
	n, ok := minimize(lo, guess, maxN, func(ns []int) []bool {
		fl := make([]string, len(ns))
		for i, n := range ns {
			fl[i] = fleetOf(kind, n, 0)
		}
		return passes(ps.run(fl))
	})
	if !ok {
		return nil
	}
	o := ps.seen[fleetOf(kind, n, 0)]
	return &found{kind: kind, p: n, pt: o.pt, f: o.f}
}

// ceilMul is n x ratio rounded up, at least 1.
func ceilMul(n int, ratio float64) int {
	return max(1, int(math.Ceil(float64(n)*ratio-1e-9)))
}

func passes(outs []*probeOut) []bool {
	b := make([]bool, len(outs))
	for i, o := range outs {
		b[i] = o.pass
	}
	return b
}

// minimize finds the smallest n in [lo, maxN] for which pass holds,
// assuming pass is monotone (a larger fleet never does worse). It first
// probes guess (>= lo) and doubles it until it passes, then narrows
// [lo, hi] probesPerRound sizes at a time. ok is false when even maxN
// fails.
func minimize(lo, guess, maxN int, pass func([]int) []bool) (int, bool) {
	guess = min(max(guess, lo, 1), maxN)
	hi := guess
	// The first round also probes 70% of the guess: a guess from the
	// previous level is usually close, so this brackets it at once.
	if low := max(lo, int(float64(guess)*0.7)); low < guess {
		ok := pass([]int{low, guess})
		switch {
		case ok[0]:
			hi = low
		case ok[1]:
			lo = low + 1
		default:
			lo = guess + 1
			if guess >= maxN {
				return 0, false
			}
			hi = min(guess*2, maxN)
		}
	}
	for {
		if pass([]int{hi})[0] {
			break
		}
		if hi >= maxN {
			return 0, false
		}
		lo = hi + 1
		hi = min(hi*2, maxN)
	}
	for lo < hi {
		span := hi - lo // candidates lo..hi-1
		var ns []int
		for i := 1; i <= probesPerRound; i++ {
			n := lo + span*i/(probesPerRound+1)
			if n >= lo && n < hi && (len(ns) == 0 || n > ns[len(ns)-1]) {
				ns = append(ns, n)
			}
		}
		if len(ns) == 0 {
			ns = []int{lo}
		}
		ok := pass(ns)
		newHi := hi
		for i := len(ns) - 1; i >= 0; i-- {
			if ok[i] {
				newHi = ns[i]
			}
		}
		newLo := lo
		for i, n := range ns {
			if !ok[i] && n < newHi {
				newLo = n + 1
			}
		}
		lo, hi = newLo, newHi
	}
	return hi, true
}

// ErrInterrupted is Calibrate's error when Stop was closed before or
// during its run: nothing was measured.
var ErrInterrupted = errors.New("interrupted")

// Calibrate measures the scenario's traffic at multiplier 1 on its own
// fleet: completed requests per second (or tokens, input + output, per
// second), so that absolute targets convert to multipliers. The note
// says what was measured. Stop cuts the run short (ErrInterrupted).
func (s *Searcher) Calibrate(tokens bool) (float64, string, error) {
	r := &sweep.Runner{Scenario: s.Scenario, Base: s.Base, Workload: s.Workload, Jobs: 1, KeepResults: true, Cost: s.Cost, Stop: s.Stop}
	pt := r.One(sweep.Point{Fleet: s.Base.Fleet, GPU: s.Base.GPU, TP: s.Base.TP, Routing: s.Base.Routing, RateScale: 1})
	if s.stopped() || sweep.CutShort(&pt) {
		return 0, "", ErrInterrupted
	}
	if pt.Error != "" || pt.Result == nil || pt.Result.Totals == nil {
		return 0, "", fmt.Errorf("calibrating the traffic on the scenario's fleet %q at 1x: %s", s.Base.Fleet, pt.Error)
	}
	t := pt.Result.Totals
	win := pt.Result.Window.DurationS
	if t.Completed <= 0 || win <= 0 {
		return 0, "", fmt.Errorf("calibrating the traffic on the scenario's fleet %q at 1x: nothing completed", s.Base.Fleet)
	}
	if tokens {
		in, _, out := t.Tokens()
		v := float64(in+out) / win
		return v, fmt.Sprintf("calibration: at 1x the scenario carries %.4g tokens/s (input + output, on %s); levels are target / that", v, s.Base.Fleet), nil
	}
	v := float64(t.Completed) / win
	return v, fmt.Sprintf("calibration: at 1x the scenario completes %.4g requests/s (on %s); levels are target / that", v, s.Base.Fleet), nil
}

// countFunc counts the points for which f holds.
func countFunc(ps []sweepfile.Point, f func(sweepfile.Point) bool) int {
	n := 0
	for _, p := range ps {
		if f(p) {
			n++
		}
	}
	return n
}

// heldPoolLag names the video class whose wait to be admitted is r's lag
// (results.Lag, over the lag floor) while no LLM class waited as long:
// the fleet fell behind on a video pool, which the search holds at the
// scenario's size. "" otherwise.
func heldPoolLag(r *results.Result) string {
	lag, _, ok := results.Lag(r)
	if r == nil || !ok || lag <= results.LagFloorS {
		return ""
	}
	maxS := func(p *results.Percentiles) float64 {
		if p == nil || p.Count == 0 {
			return 0
		}
		return p.Max / 1000
	}
	video := ""
	for _, n := range slices.Sorted(maps.Keys(r.Classes)) {
		c := r.Classes[n]
		if c == nil {
			continue
		}
		if c.Kind == string(scenarios.KindVideo) {
			if video == "" && maxS(c.Queue) >= lag {
				video = n
			}
			continue
		}
		wait := maxS(c.Queue)
		if c.Queue == nil || c.Queue.Count == 0 {
			wait = maxS(c.TTFT)
		}
		if wait >= lag || maxS(c.ITL) >= lag {
			return "" // an LLM class waited as long: the LLM fleet may be short
		}
	}
	return video
}

// noteUnbuilt records on the level when no probe of the search's kind
// could run (each a configuration the simulator refused: a model that
// does not fit the shape's instances): the kind was not compared, and
// the curve says so (unbuiltNotes) rather than answer as if it had been.
func (ps *probeSet) noteUnbuilt() {
	var first *probeOut // the smallest fleet tried, for the example
	for _, fl := range slices.Sorted(maps.Keys(ps.seen)) {
		o := ps.seen[fl]
		if o.pt.Error == "" || o.pt.Error == sweep.NotRun || sweep.CutShort(&o.pt) {
			return // one ran (or was cut short): the kind was searched
		}
		if first == nil || o.pt.GPUs < first.pt.GPUs {
			first = o
		}
	}
	if first == nil {
		return
	}
	example := first.pt.Fleet + ": " + first.pt.Error
	ps.s.mu.Lock()
	defer ps.s.mu.Unlock()
	if ps.L.unbuilt == nil {
		ps.L.unbuilt = map[string]string{}
	}
	ps.L.unbuilt[ps.kind] = example
}

// unbuiltNotes says, once per kind, at which levels none of its probes
// could run, with an example of why.
func unbuiltNotes(levels []Level) []string {
	var kinds []string
	at := map[string][]string{}
	example := map[string]string{}
	for _, L := range levels {
		for _, k := range slices.Sorted(maps.Keys(L.unbuilt)) {
			if _, ok := at[k]; !ok {
				kinds = append(kinds, k)
				example[k] = L.unbuilt[k]
			}
			at[k] = append(at[k], fmt.Sprintf("%gx", L.Traffic))
		}
	}
	var notes []string
	for _, k := range kinds {
		notes = append(notes, fmt.Sprintf("the %s shape was not compared: none of its probes could run at %s (e.g. %s); the answers are the other shapes'",
			k, strings.Join(at[k], ", "), example[k]))
	}
	return notes
}

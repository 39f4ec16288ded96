package results

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sort"
)

// Merge combines results of shards of one scenario (hosts, seeds or time
// slices) into one, losslessly: histograms merge bucket for bucket,
// counters add, windows union, timelines re-bucket onto the widest
// interval, and every derived number (percentiles, rates, attainment,
// verdicts) is recomputed exactly as for an unsplit run. Fleet cost adds up;
// per-class cost is derived, so it is dropped for the cost model to redo.
// Results of different backends, scenarios (name or hash), fleets (by
// configuration: measured GPU and busy seconds are summed, not compared),
// warm-ups, or with a class whose kind or SLO differs, do not merge; nor do
// two identical results (the same file twice would count every request
// twice), nor a result whose histograms disagree with its own counters.
// docs/merge.md gives the rule of every section, Extra included.
func Merge(rs ...*Result) (*Result, error) {
	if len(rs) == 0 {
		return nil, errors.New("results: merge: no results given")
	}
	for i, r := range rs {
		if r == nil {
			return nil, fmt.Errorf("results: merge: result %d is nil", i+1)
		}
		if err := r.validate(); err != nil {
			return nil, fmt.Errorf("results: merge: result %d: %w", i+1, err)
		}
	}
	if err := refuseDuplicates(rs); err != nil {
		return nil, err
	}
	first := rs[0]
	fleet0, err := json.Marshal(fleetIdentity(first.Fleet))
	if err != nil {
		return nil, fmt.Errorf("results: merge: fleet of result 1: %w", err)
	}
	classes := map[string]*classAcc{}
	tl := newTimelineAcc()
	// Shards that measured nothing have an empty window at 0; they must not
	// stretch the union, unless every shard is empty.
	start, end, haveWindow := first.Window.StartNs, first.Window.EndNs, false
	seeds := []uint64{}
	drainEnd := 0.0
	var cost *Cost
	for i, r := range rs {
		which := fmt.Sprintf("result %d (scenario %q)", i+1, r.Scenario.Name)
		if r.Backend != first.Backend {
			return nil, fmt.Errorf("results: merge: %s has backend %q, result 1 has %q: sim and endpoint results do not merge", which, r.Backend, first.Backend)
		}
		if r.Scenario.Name != first.Scenario.Name || r.Scenario.Hash != first.Scenario.Hash {
			return nil, fmt.Errorf("results: merge: %s is scenario %q hash %q, result 1 is %q hash %q: only shards of one scenario merge",
				which, r.Scenario.Name, r.Scenario.Hash, first.Scenario.Name, first.Scenario.Hash)
		}
		fl, err := json.Marshal(fleetIdentity(r.Fleet))
		if err != nil {
			return nil, fmt.Errorf("results: merge: fleet of %s: %w", which, err)
		}
		if !bytes.Equal(fl, fleet0) {
			return nil, fmt.Errorf("results: merge: %s ran on a different fleet than result 1 (%s vs %s)", which, fl, fleet0)
		}
		if r.Window.WarmupS != first.Window.WarmupS {
			return nil, fmt.Errorf("results: merge: %s has a %gs warm-up, result 1 %gs: rerun the shards with one --warmup", which, r.Window.WarmupS, first.Window.WarmupS)
		}
		if err := r.checkConsistency(); err != nil {
			return nil, fmt.Errorf("results: merge: %s is inconsistent: %w", which, err)
		}
		if !slices.Contains(seeds, r.Scenario.Seed) {
			seeds = append(seeds, r.Scenario.Seed)
		}
		switch {
		case r.Totals.Requests == 0:
		case !haveWindow:
			start, end, haveWindow = r.Window.StartNs, r.Window.EndNs, true
		default:
			start, end = min(start, r.Window.StartNs), max(end, r.Window.EndNs)
		}
		drainEnd = max(drainEnd, r.Window.DrainEndS)
		names := make([]string, 0, len(r.Classes))
		for n := range r.Classes {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			acc, err := importClass(n, r.Classes[n], r.Histograms[n])
			if err != nil {
				return nil, fmt.Errorf("results: merge: %s: %w", which, err)
			}
			dst, ok := classes[n]
			if !ok {
				classes[n] = acc
				continue
			}
			if dst.info.Kind != acc.info.Kind {
				return nil, fmt.Errorf("results: merge: %s: class %q is %q here but %q in an earlier result", which, n, acc.info.Kind, dst.info.Kind)
			}
			if !reflect.DeepEqual(dst.info.SLO, acc.info.SLO) {
				return nil, fmt.Errorf("results: merge: %s: class %q has a different SLO than in an earlier result", which, n)
			}
			if !sameTiers(dst.tiers, acc.tiers) {
				return nil, fmt.Errorf("results: merge: %s: class %q counts tokens by different price tiers than in an earlier result (tokens_by_tier): rerun the shards with one price list", which, n)
			}
			dst.mergeFrom(acc)
		}
		if r.Timeline != nil {
			tl.mergeFrom(importTimeline(r.Timeline))
		}
		if r.Cost != nil {
			cost = addCost(cost, r.Cost)
		}
	}
	extra := mergeExtra(rs)
	if len(seeds) > 1 {
		if extra == nil {
			extra = map[string]any{}
		}
		extra["merged_seeds"] = seeds
	}
	warmup := int64(first.Window.WarmupS*1e9 + 0.5)
	win := makeWindow(start, end, warmup)
	win.DrainEndS = drainEnd
	out := build(first.Backend, first.Scenario, mergeFleet(rs), extra, win, classes, tl)
	out.Cost = cost
	out.Attribution = mergeAttribution(rs)
	if cost != nil && out.Fleet != nil && len(out.Fleet.Pools) > 0 {
		// The sums above know no window, price, utilization or class
		// share: the cost model recomputes them over the merged window
		// and fleet (GPU time by mergeFleet's rule), with the GPU prices
		// and split of the first priced input (the fleets are equal).
		// Price lists are not stored in results: no revenue.
		var in CostInputs
		for _, r := range rs {
			if r.Cost != nil {
				out.Cost = r.Cost
				if r.Cost.Split != nil {
					in.Split = *r.Cost.Split
				}
				break
			}
		}
		if err := ApplyCost(out, in); err != nil {
			return nil, fmt.Errorf("results: merge: cost: %w", err)
		}
	}
	telemetry := 0
	for _, r := range rs {
		out.ServerMetrics = MergeServerMetrics(out.ServerMetrics, r.ServerMetrics)
		if r.Telemetry.Recorded() { // an input without samples has none to merge
			telemetry++
		}
	}
	out.Warnings = mergeWarnings(out.Warnings, rs)
	if telemetry > 0 {
		out.Warnings = append(out.Warnings, fmt.Sprintf("GPU telemetry of %d input(s) is not merged (per-host device samples): read it from the inputs", telemetry))
	}
	return out, nil
}

// importClass rebuilds a class accumulator from its result and histograms.
func importClass(name string, c *ClassResult, hists map[string]string) (*classAcc, error) {
	slo, err := sloFromVerdict(c.SLO)
	if err != nil {
		return nil, fmt.Errorf("class %q: %w", name, err)
	}
	acc := newClassAcc(ClassInfo{Name: name, Kind: c.Kind, SLO: slo})
	acc.requests, acc.completed, acc.errors, acc.tasks, acc.tasksFailed = c.Requests, c.Completed, c.Errors, c.Tasks, c.TasksFailed
	for k, v := range c.ErrorsByClass {
		acc.errorsBy[k] = v
	}
	for _, k := range slices.Sorted(maps.Keys(c.ErrorExamples)) {
		acc.noteError(k, c.ErrorExamples[k])
	}
	acc.input, acc.cached, acc.output = c.Tokens()
	acc.sloMet, acc.clips, acc.videoSeconds, acc.preemptions = c.SLOMet, c.Clips, c.VideoSeconds, c.Preemptions
	acc.importOverContext(c.OverContext)
	if acc.tiers, err = importTiers(c.TokensByTier); err != nil {
		return nil, fmt.Errorf("class %q: %w", name, err)
	}
	keys := make([]string, 0, len(hists))
	for k := range hists {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		m, ok := metricByKey(k)
		if !ok {
			return nil, fmt.Errorf("class %q: unknown histogram %q", name, k)
		}
		h, err := decodeHist(hists[k])
		if err != nil {
			return nil, fmt.Errorf("class %q: histogram %s: %w", name, k, err)
		}
		acc.hists[m] = h
	}
	return acc, nil
}

func addCost(a, b *Cost) *Cost {
	out := &Cost{}
	if a != nil {
		out.GPUHours, out.USD = a.GPUHours, a.USD
		for k, p := range a.ByPool {
			if p != nil {
				if out.ByPool == nil {
					out.ByPool = map[string]*PoolCost{}
				}
				out.ByPool[k] = &PoolCost{GPUHours: p.GPUHours, USD: p.USD}
			}
		}
	}
	out.GPUHours = roundSig(out.GPUHours + b.GPUHours)
	out.USD = roundDec(out.USD+b.USD, 6)
	for k, p := range b.ByPool {
		if p == nil {
			continue
		}
		if out.ByPool == nil {
			out.ByPool = map[string]*PoolCost{}
		}
		d := out.ByPool[k]
		if d == nil {
			d = &PoolCost{}
			out.ByPool[k] = d
		}
		d.GPUHours = roundSig(d.GPUHours + p.GPUHours)
		d.USD = roundDec(d.USD+p.USD, 6)
	}
	return out
}

package results

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// refuseDuplicates refuses two inputs with identical content: the same
// file given twice (or a copy) would count every request twice.
func refuseDuplicates(rs []*Result) error {
	seen := map[[32]byte]int{}
	for i, r := range rs {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("results: merge: result %d: %w", i+1, err)
		}
		h := sha256.Sum256(b)
		if j, dup := seen[h]; dup {
			return fmt.Errorf("results: merge: result %d is identical to result %d: merging it would count every request twice (give each shard once)", i+1, j+1)
		}
		seen[h] = i
	}
	return nil
}

// fleetIdentity is the fleet's configuration without what a run measured
// (GPU and busy seconds, instances provisioned at the end of an elastic
// run): two seeds of one simulation ran on the same fleet even though
// their pools were busy for different times.
func fleetIdentity(f *FleetInfo) *FleetInfo {
	if f == nil {
		return nil
	}
	c := *f
	c.GPUs = 0
	c.Pools = make([]PoolInfo, len(f.Pools))
	for i, p := range f.Pools {
		p.Instances, p.GPUs, p.GPUSeconds, p.BusySeconds = 0, 0, 0, 0
		c.Pools[i] = p
	}
	return &c
}

// mergeFleet is the inputs' fleet with the measured fields combined: busy
// seconds add. Simulations with different seeds ran on separate (simulated)
// fleets, so their GPU seconds add too and utilization stays busy /
// provisioned over all inputs; slices of one simulation (one seed) and
// endpoint shards (load machines driving one shared fleet) keep the first
// input's GPU seconds (0 = GPUs x the merged window). Instances and GPUs
// are the largest provisioned.
func mergeFleet(rs []*Result) *FleetInfo {
	if rs[0].Fleet == nil || len(rs) == 1 {
		return rs[0].Fleet
	}
	sumGPU := false
	for _, r := range rs {
		sumGPU = sumGPU || (r.Backend == "sim" && r.Scenario.Seed != rs[0].Scenario.Seed)
	}
	out := *rs[0].Fleet
	out.Pools = slices.Clone(out.Pools)
	for i := range out.Pools {
		out.Pools[i].BusySeconds = 0
		if sumGPU {
			out.Pools[i].GPUSeconds = 0
		}
	}
	for _, r := range rs {
		out.GPUs = max(out.GPUs, r.Fleet.GPUs)
		for i := range out.Pools {
			p, q := &out.Pools[i], r.Fleet.Pools[i]
			p.Instances, p.GPUs = max(p.Instances, q.Instances), max(p.GPUs, q.GPUs)
			if sumGPU {
				gs := q.GPUSeconds
				if gs == 0 { // 0 means GPUs x window length
					gs = float64(q.GPUs) * r.Window.DurationS
				}
				p.GPUSeconds = roundSig(p.GPUSeconds + gs)
			}
			p.BusySeconds = roundSig(p.BusySeconds + q.BusySeconds)
		}
	}
	return &out
}

// mergeAttribution weights each input's per-pool class shares by that
// pool's busy seconds in the input (equal weights when none is known).
func mergeAttribution(rs []*Result) map[string]map[string]float64 {
	sum := map[string]map[string]float64{}
	weight := map[string]float64{}
	for _, r := range rs {
		busy := map[string]float64{}
		if r.Fleet != nil {
			for _, p := range r.Fleet.Pools {
				busy[p.Role] += p.BusySeconds
			}
		}
		for class, roles := range r.Attribution {
			for role, share := range roles {
				w := busy[role]
				if w == 0 {
					w = 1
				}
				if sum[class] == nil {
					sum[class] = map[string]float64{}
				}
				sum[class][role] += share * w
			}
		}
		for role := range attributionRoles(r) {
			w := busy[role]
			if w == 0 {
				w = 1
			}
			weight[role] += w
		}
	}
	if len(sum) == 0 {
		return nil
	}
	for class, roles := range sum {
		for role, v := range roles {
			sum[class][role] = roundSig(v / weight[role])
		}
	}
	return sum
}

func attributionRoles(r *Result) map[string]bool {
	roles := map[string]bool{}
	for _, rs := range r.Attribution {
		for role := range rs {
			roles[role] = true
		}
	}
	return roles
}

// mergeWarnings keeps every input's warnings (once each) after those the
// merged numbers raise themselves.
func mergeWarnings(own []string, rs []*Result) []string {
	out := slices.Clone(own)
	for _, r := range rs {
		for _, w := range r.Warnings {
			// build judges the merged window afresh: a part's short
			// window says nothing about the whole; and it counts the
			// requests over the context over every part.
			if strings.HasPrefix(w, shortWindow) || strings.HasPrefix(w, OverContextWarn) {
				continue
			}
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		}
	}
	return out
}

// Extra merge rules (docs/merge.md). A key whose value is the same in
// every input that has it is kept. Otherwise: counters add (sumExtra),
// high-water marks take the largest (maxExtra), lists of events
// concatenate (concatExtra), token_counts adds its counters; any other
// key keeps every input's value, in input order (null where an input
// lacks it), so nothing is dropped or silently taken from the first.
var (
	sumExtra    = map[string]bool{"events": true, "steps": true, "spans": true, "preemptions": true, "transfers": true, "refused": true}
	maxExtra    = map[string]bool{"virtual_end_s": true}
	concatExtra = map[string]bool{"incidents": true, "scale_events": true}
)

func mergeExtra(rs []*Result) map[string]any {
	keys := map[string]bool{}
	for _, r := range rs {
		for k := range r.Extra {
			keys[k] = true
		}
	}
	if len(keys) == 0 {
		return nil
	}
	names := make([]string, 0, len(keys))
	for k := range keys {
		names = append(names, k)
	}
	sort.Strings(names)
	out := map[string]any{}
	for _, k := range names {
		var vals []any
		same := true
		for _, r := range rs {
			v, ok := r.Extra[k]
			if !ok {
				continue
			}
			if len(vals) > 0 && !jsonEqual(vals[0], v) {
				same = false
			}
			vals = append(vals, v)
		}
		switch {
		case same && !sumExtra[k] && !concatExtra[k]:
			out[k] = vals[0]
		case sumExtra[k] || maxExtra[k]:
			if v, ok := foldNumbers(vals, sumExtra[k]); ok {
				out[k] = v
				continue
			}
			out[k] = perInput(rs, k)
		case concatExtra[k]:
			var all []any
			for _, v := range vals {
				if l, ok := v.([]any); ok {
					all = append(all, l...)
				} else {
					all = append(all, v)
				}
			}
			out[k] = all
		case k == "token_counts":
			out[k] = mergeCounts(vals, rs, k)
		default:
			out[k] = perInput(rs, k)
		}
	}
	return out
}

// perInput lists every input's value of key k (null where absent).
func perInput(rs []*Result, k string) []any {
	l := make([]any, len(rs))
	for i, r := range rs {
		l[i] = r.Extra[k]
	}
	return l
}

// foldNumbers adds (sum) or takes the largest of numeric values.
func foldNumbers(vals []any, sum bool) (float64, bool) {
	acc := 0.0
	for i, v := range vals {
		f, ok := toFloat(v)
		if !ok {
			return 0, false
		}
		if sum {
			acc += f
		} else if i == 0 || f > acc {
			acc = f
		}
	}
	return acc, true
}

// mergeCounts adds the numeric fields of maps that agree on their other
// fields (token_counts: same tokenizer); otherwise keeps them per input.
func mergeCounts(vals []any, rs []*Result, k string) any {
	out := map[string]any{}
	for _, v := range vals {
		m, ok := v.(map[string]any)
		if !ok {
			return perInput(rs, k)
		}
		for f, x := range m {
			if n, ok := toFloat(x); ok {
				prev, _ := toFloat(out[f])
				out[f] = prev + n
			} else if old, seen := out[f]; seen && !jsonEqual(old, x) {
				return perInput(rs, k)
			} else {
				out[f] = x
			}
		}
	}
	return out
}

func toFloat(v any) (float64, bool) {
	switch x := v.(type) {
	case float64:
		return x, true
	case int:
		return float64(x), true
	case int64:
		return float64(x), true
	case uint64:
		return float64(x), true
	case json.Number:
		f, err := x.Float64()
		return f, err == nil
	}
	return 0, false
}

func jsonEqual(a, b any) bool {
	if reflect.DeepEqual(a, b) {
		return true
	}
	x, err1 := json.Marshal(a)
	y, err2 := json.Marshal(b)
	return err1 == nil && err2 == nil && bytes.Equal(x, y)
}

// checkConsistency refuses a result whose histograms disagree with its
// counters: a histogram of per-request values holding more samples than
// completed requests, or a class's percentiles whose count differs from
// the histogram they were computed from; and totals that are not the sum
// of the classes. Merging such a file would publish numbers no run
// measured.
func (r *Result) checkConsistency() error {
	var req, done, errs int64
	for n, c := range r.Classes {
		req, done, errs = req+c.Requests, done+c.Completed, errs+c.Errors
		for mk, enc := range r.Histograms[n] {
			m, ok := metricByKey(mk)
			if !ok {
				continue // validate reports it
			}
			h, err := decodeHist(enc)
			if err != nil {
				return fmt.Errorf("class %q: histogram %s: %w", n, mk, err)
			}
			got := h.TotalCount()
			def := &Metrics[m]
			if !def.PerToken && got > c.Completed {
				return fmt.Errorf("class %q: histogram %s holds %d samples but only %d requests completed", n, mk, got, c.Completed)
			}
			if p := *def.field(c); p != nil && p.Count != got {
				return fmt.Errorf("class %q: %s count %d disagrees with its histogram's %d samples", n, mk, p.Count, got)
			}
		}
	}
	if len(r.Classes) > 0 && (r.Totals.Requests != req || r.Totals.Completed != done || r.Totals.Errors != errs) {
		return fmt.Errorf("totals (%d requests, %d completed, %d errors) are not the sum of the classes (%d, %d, %d)",
			r.Totals.Requests, r.Totals.Completed, r.Totals.Errors, req, done, errs)
	}
	return nil
}

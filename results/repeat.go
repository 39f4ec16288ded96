package results

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
)

// ExtraRepeats is the Extra key of a result merged from repeats (sim
// --repeat): RepeatSpread.
const ExtraRepeats = "repeats"

// MaxRepeats bounds --repeat.
const MaxRepeats = 100

// Band is one metric's spread across repeats.
type Band struct {
	Min  float64 `json:"min"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
	Std  float64 `json:"std"` // sample standard deviation (n-1)
}

// RepeatSpread is what a repeated run adds to its merged result: the seeds
// and, per class ("total" for the totals) and compare metric name
// ("ttft.p99", "output_tokens_per_s", ...), the spread of the repeats'
// values. compare uses it as the noise band of BASE when no records are
// given.
type RepeatSpread struct {
	N      int                        `json:"n"`
	Seeds  []uint64                   `json:"seeds"`
	Spread map[string]map[string]Band `json:"spread"`
}

// Repeats returns the first of the results of repeats of one
// configuration (different seeds) with each metric's spread across all of
// them in Extra[ExtraRepeats]. The body stays one run's, not a merge:
// merge adds seeds up as concurrent shards (rates summed), while a repeat
// is the same load again, and its figures must compare with a plain run.
func Repeats(rs []*Result) (*Result, error) {
	if len(rs) < 2 {
		return nil, fmt.Errorf("results: repeats: want at least 2 results, got %d", len(rs))
	}
	for i, r := range rs {
		if r == nil || r.Totals == nil {
			return nil, fmt.Errorf("results: repeats: result %d has no totals", i+1)
		}
		if r.Scenario.Hash != rs[0].Scenario.Hash {
			return nil, fmt.Errorf("results: repeats: result %d is of another scenario (hash %s, want %s)", i+1, r.Scenario.Hash, rs[0].Scenario.Hash)
		}
	}
	merged := rs[0]
	sp := RepeatSpread{N: len(rs), Spread: map[string]map[string]Band{}}
	var names []string
	for i := range Metrics {
		for _, st := range latencyStats {
			names = append(names, Metrics[i].Name+"."+st)
		}
	}
	for _, m := range scalarMetrics {
		names = append(names, m.name)
	}
	classes := map[string]bool{TotalClass: true}
	for _, r := range rs {
		sp.Seeds = append(sp.Seeds, r.Scenario.Seed)
		for n := range r.Classes {
			classes[n] = true
		}
	}
	for class := range classes {
		for _, name := range names {
			ref, err := resolveMetric(name)
			if err != nil {
				return nil, err
			}
			var vals []float64
			for _, r := range rs {
				if v, ok := ref.value(classOf(r, class)); ok {
					vals = append(vals, v)
				}
			}
			if len(vals) < 2 {
				continue
			}
			if sp.Spread[class] == nil {
				sp.Spread[class] = map[string]Band{}
			}
			sp.Spread[class][ref.name] = bandOf(vals)
		}
	}
	if merged.Extra == nil {
		merged.Extra = map[string]any{}
	}
	merged.Extra[ExtraRepeats] = sp
	return merged, nil
}

func bandOf(v []float64) Band {
	sort.Float64s(v)
	mean := 0.0
	for _, x := range v {
		mean += x
	}
	mean /= float64(len(v))
	ss := 0.0
	for _, x := range v {
		ss += (x - mean) * (x - mean)
	}
	return Band{Min: v[0], Max: v[len(v)-1], Mean: roundDec(mean, 6), Std: roundDec(math.Sqrt(ss/float64(len(v)-1)), 6)}
}

// repeatSpreadOf reads a result's RepeatSpread (in process, or decoded
// from JSON as a map); nil when it has none.
func repeatSpreadOf(r *Result) *RepeatSpread {
	v, ok := r.Extra[ExtraRepeats]
	if !ok {
		return nil
	}
	if sp, ok := v.(RepeatSpread); ok {
		return &sp
	}
	raw, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var sp RepeatSpread
	if json.Unmarshal(raw, &sp) != nil || sp.N < 2 {
		return nil
	}
	return &sp
}

// t975 is Student's t 0.975 quantile by degrees of freedom 1..30.
var t975 = []float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
	2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042}

// tQuantile975 is t(0.975, df), rounded up between tabulated points.
func tQuantile975(df int) float64 {
	switch {
	case df <= len(t975):
		return t975[max(df, 1)-1]
	case df <= 40:
		return 2.042
	case df <= 60:
		return 2.021
	}
	return 2.000
}

// PredictionInterval is the 95% interval in which one more repeat's value
// falls: mean ± t(0.975, n-1) · std · sqrt(1 + 1/n).
func (b Band) PredictionInterval(n int) (lo, hi float64) {
	w := tQuantile975(n-1) * b.Std * math.Sqrt(1+1/float64(n))
	return b.Mean - w, b.Mean + w
}

// bandCheck lets a crossed gate pass when BASE comes from repeats and
// NEW's value lies inside the 95% prediction interval of BASE's repeats:
// the change is within what changing the seed alone does. (With 3
// repeats min..max would be far too narrow a band.)
func (g Gate) bandCheck(gr *GateResult, base *Result, class string) {
	if !gr.Failed || gr.New == nil {
		return
	}
	sp := repeatSpreadOf(base)
	if sp == nil {
		return
	}
	b, ok := sp.Spread[class][g.ref.name]
	if !ok {
		return
	}
	n := *gr.New
	lo, hi := b.PredictionInterval(sp.N)
	inside := n >= lo && n <= hi
	sig := !inside
	gr.Significant = &sig
	if inside {
		gr.Failed = false
		gr.Note = fmt.Sprintf("crossed but within the 95%% prediction interval of BASE's %d repeats (%.4g..%.4g)", sp.N, lo, hi)
	}
}

// repeatLine heads the table of a repeated run: which run its figures
// are (the first: Repeats keeps one run's body, not a mean), and the
// spread of the totals' headline latencies over the runs; "" without
// repeats.
func repeatLine(r *Result) string {
	sp := repeatSpreadOf(r)
	if sp == nil {
		return ""
	}
	seeds := make([]string, len(sp.Seeds))
	for i, s := range sp.Seeds {
		seeds[i] = fmt.Sprint(s)
	}
	first := ""
	if len(sp.Seeds) > 0 {
		first = fmt.Sprintf(" (seed %d)", sp.Seeds[0])
	}
	line := fmt.Sprintf("repeats: %d runs (seeds %s); the figures below are the first run's%s, not a mean", sp.N, strings.Join(seeds, ", "), first)
	var bands []string
	for _, m := range []struct{ key, label string }{{"ttft.p99", "TTFT p99"}, {"e2e.p99", "E2E p99"}} {
		if b, ok := sp.Spread[TotalClass][m.key]; ok {
			bands = append(bands, fmt.Sprintf("%s %s-%s ms", m.label, ms(b.Min), ms(b.Max)))
		}
	}
	if len(bands) > 0 {
		line += fmt.Sprintf("; over the %d runs total %s", sp.N, strings.Join(bands, ", "))
	}
	return line + " (every metric's spread: extra.repeats)"
}

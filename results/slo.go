package results

import (
	"fmt"
	"math"
	"sort"
)

// ClassInfo describes one workload class to the summary: its name, kind
// (chat | agent | video | trace) and service-level objectives.
type ClassInfo struct {
	Name string
	Kind string
	SLO  SLO
	// PriceTiers are the upper bounds (input tokens, inclusive) of the
	// class's price-list tiers; the summary then counts tokens per tier
	// (ClassResult.TokensByTier) so that tiered revenue can be computed.
	// 0 (unbounded) may appear and is implied for the last tier.
	PriceTiers []int
}

// SLO holds a class's service-level objectives. Each map goes from a
// percentile key ("p50", "p90", "p95", "p99", "p999") to the bound that
// percentile must not exceed. A nil or empty map sets no objective.
type SLO struct {
	TTFTMs      map[string]float64 // time to first token, milliseconds
	TPOTMs      map[string]float64 // time per output token, milliseconds
	E2EMs       map[string]float64 // request end-to-end latency, milliseconds
	QueueS      map[string]float64 // wait before service starts, seconds (video)
	CompletionS map[string]float64 // task completion time, seconds (agent session, video clip)
}

// sloMetric ties one SLO map to the histogram it judges and its unit.
type sloMetric struct {
	key    string  // JSON name in the verdict, with the bound's unit
	metric metric  // histogram judged
	msPer  float64 // milliseconds per unit of the bound
	get    func(*SLO) map[string]float64
}

var sloMetrics = []sloMetric{
	{"ttft_ms", mTTFT, 1, func(s *SLO) map[string]float64 { return s.TTFTMs }},
	{"tpot_ms", mTPOT, 1, func(s *SLO) map[string]float64 { return s.TPOTMs }},
	{"e2e_ms", mE2E, 1, func(s *SLO) map[string]float64 { return s.E2EMs }},
	{"queue_s", mQueue, 1000, func(s *SLO) map[string]float64 { return s.QueueS }},
	{"completion_s", mTaskE2E, 1000, func(s *SLO) map[string]float64 { return s.CompletionS }},
}

// set returns the map for the SLO metric key, creating it.
func (s *SLO) set(key, pct string, bound float64) error {
	q := func(m *map[string]float64) {
		if *m == nil {
			*m = map[string]float64{}
		}
		(*m)[pct] = bound
	}
	switch key {
	case "ttft_ms":
		q(&s.TTFTMs)
	case "tpot_ms":
		q(&s.TPOTMs)
	case "e2e_ms":
		q(&s.E2EMs)
	case "queue_s":
		q(&s.QueueS)
	case "completion_s":
		q(&s.CompletionS)
	default:
		return fmt.Errorf("unknown SLO metric %q (want ttft_ms, tpot_ms, e2e_ms, queue_s or completion_s)", key)
	}
	return nil
}

// Validate checks percentile keys and bounds.
func (s *SLO) Validate() error {
	for _, sm := range sloMetrics {
		for k, v := range sm.get(s) {
			if _, ok := percentileByKey(k); !ok {
				return fmt.Errorf("slo %s: unknown percentile %q (want p50, p90, p95, p99 or p999)", sm.key, k)
			}
			if !(v > 0) || math.IsInf(v, 0) {
				return fmt.Errorf("slo %s %s: bound %v must be a positive number", sm.key, k, v)
			}
		}
	}
	return nil
}

// thresholds are the per-request bounds derived from an SLO, in ns; -1
// means no bound. For each metric the bound of the highest percentile
// listed is the per-request threshold: a request "meets the SLO" when it is
// inside the loosest tail bound, which is what goodput counts.
type thresholds [numMetrics]int64

func newThresholds(s *SLO) thresholds {
	var t thresholds
	for i := range t {
		t[i] = -1
	}
	for _, sm := range sloMetrics {
		m := sm.get(s)
		best, bound := -1.0, 0.0
		for k, v := range m {
			if q, ok := percentileByKey(k); ok && q > best {
				best, bound = q, v
			}
		}
		if best >= 0 {
			t[sm.metric] = int64(math.Round(bound * sm.msPer * 1e6))
		}
	}
	return t
}

// meets reports whether one request is within every bound. Failed requests
// never meet the SLO.
func (t *thresholds) meets(r *Record) bool {
	if !r.OK() {
		return false
	}
	if b := t[mTTFT]; b >= 0 {
		if v, ok := r.TTFT(); !ok || v > b {
			return false
		}
	}
	if b := t[mTPOT]; b >= 0 {
		// A one-token request has no TPOT and cannot violate it.
		if v, ok := r.TPOT(); ok && v > b {
			return false
		}
	}
	if b := t[mE2E]; b >= 0 {
		if v, ok := r.E2E(); !ok || v > b {
			return false
		}
	}
	if b := t[mQueue]; b >= 0 && r.QueueNs > b {
		return false
	}
	if b := t[mTaskE2E]; b >= 0 && r.TaskDone {
		if v, ok := r.TaskE2E(); !ok || v > b {
			return false
		}
	}
	return true
}

// SLOTarget is one percentile objective and whether the run met it.
type SLOTarget struct {
	Metric     string  `json:"metric"`     // ttft_ms, tpot_ms, e2e_ms, queue_s, completion_s
	Percentile string  `json:"percentile"` // p50 ... p999
	Bound      float64 `json:"bound"`      // in the metric's unit
	Actual     float64 `json:"actual"`     // measured percentile, same unit
	Met        bool    `json:"met"`
}

// SLOVerdict is a class's verdict: every target and whether all were met.
type SLOVerdict struct {
	Met     bool        `json:"met"`
	Targets []SLOTarget `json:"targets"`
}

// verdict judges the class's percentiles against its SLO. It returns nil
// when the class has no SLO. A target with no samples is not met.
func verdict(s *SLO, pcts [numMetrics]*Percentiles) *SLOVerdict {
	v := &SLOVerdict{Met: true}
	for _, sm := range sloMetrics {
		m := sm.get(s)
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool {
			a, _ := percentileByKey(keys[i])
			b, _ := percentileByKey(keys[j])
			return a < b
		})
		for _, k := range keys {
			bound := m[k]
			p := pcts[sm.metric]
			var actual float64
			met := false
			if p != nil && p.Count > 0 {
				ms, _ := p.Get(k)
				actual = roundDec(ms/sm.msPer, 6)
				met = actual <= bound
			}
			v.Targets = append(v.Targets, SLOTarget{Metric: sm.key, Percentile: k, Bound: bound, Actual: actual, Met: met})
			v.Met = v.Met && met
		}
	}
	if len(v.Targets) == 0 {
		return nil
	}
	return v
}

// sloFromVerdict rebuilds the SLO a verdict was computed from (for Merge).
func sloFromVerdict(v *SLOVerdict) (SLO, error) {
	var s SLO
	if v == nil {
		return s, nil
	}
	for _, t := range v.Targets {
		if _, ok := percentileByKey(t.Percentile); !ok {
			return s, fmt.Errorf("slo target %s: unknown percentile %q", t.Metric, t.Percentile)
		}
		if err := s.set(t.Metric, t.Percentile, t.Bound); err != nil {
			return s, err
		}
	}
	return s, nil
}

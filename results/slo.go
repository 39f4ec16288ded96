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

// set sets the bound of percentile pct on the metric the SLO key names.
func (s *SLO) set(key, pct string, bound float64) error {
	m, ok := MetricBySLOKey(key)
	if !ok {
		return fmt.Errorf("unknown SLO metric %q (want %s)", key, sloKeys())
	}
	b := m.SLO.bounds(s)
	if *b == nil {
		*b = map[string]float64{}
	}
	(*b)[pct] = bound
	return nil
}

// Validate checks percentile keys and bounds.
func (s *SLO) Validate() error {
	for i := range Metrics {
		m := &Metrics[i]
		for k, v := range m.Bounds(s) {
			if _, ok := percentileByKey(k); !ok {
				return fmt.Errorf("slo %s: unknown percentile %q (want p50, p90, p95, p99 or p999)", m.SLO.Key, k)
			}
			if !(v > 0) || math.IsInf(v, 0) {
				return fmt.Errorf("slo %s %s: bound %v must be a positive number", m.SLO.Key, k, v)
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
	for i := range Metrics {
		best, bound := -1.0, 0.0
		for k, v := range Metrics[i].Bounds(s) {
			if q, ok := percentileByKey(k); ok && q > best {
				best, bound = q, v
			}
		}
		if best >= 0 {
			t[i] = int64(math.Round(bound * Metrics[i].SLO.MsPerUnit * 1e6))
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
	for i, b := range t {
		if b < 0 {
			continue
		}
		m := &Metrics[i]
		v, ok := m.Value(r)
		if !ok {
			if m.SLO.missingMeets != nil && m.SLO.missingMeets(r) {
				continue
			}
			return false
		}
		if v > b {
			return false
		}
	}
	return true
}

// SLOTarget is one percentile objective and whether the run met it.
type SLOTarget struct {
	Metric     string  `json:"metric"`     // the metric's SLO key (MetricSLO.Key)
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
	for i := range Metrics {
		sm := Metrics[i].SLO
		m := Metrics[i].Bounds(s)
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
			p := pcts[i]
			var actual float64
			met := false
			if p != nil && p.Count > 0 {
				ms, _ := p.Get(k)
				actual = roundDec(ms/sm.MsPerUnit, 6)
				met = actual <= bound
			}
			v.Targets = append(v.Targets, SLOTarget{Metric: sm.Key, Percentile: k, Bound: bound, Actual: actual, Met: met})
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

package results

import (
	"fmt"
	"math"
	"sort"

	"github.com/fleetbench/fleetbench/slo"
)

// ClassInfo describes one workload class to the summary: its name, kind
// (chat | agent | video | trace) and service-level objectives.
type ClassInfo struct {
	Name string
	Kind string
	SLO  slo.Spec
	// PriceTiers are the upper bounds (input tokens, inclusive) of the
	// class's price-list tiers; the summary then counts tokens per tier
	// (ClassResult.TokensByTier) so that tiered revenue can be computed.
	// 0 (unbounded) may appear and is implied for the last tier.
	PriceTiers []int
	// ContextTokens is the model's context length (maximum model length,
	// prompt plus output tokens) the class's requests are served with; 0:
	// unknown or none (video). Completed requests over it are counted
	// (ClassResult.OverContext).
	ContextTokens int
}

// thresholds are the per-request bounds derived from an SLO, in ns; -1
// means no bound. For each metric the bound of the highest percentile
// listed is the per-request threshold: a request "meets the SLO" when it is
// inside the loosest tail bound, which is what goodput counts.
type thresholds [numMetrics]int64

func newThresholds(s *slo.Spec) thresholds {
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
	// Actual is the measured percentile in the same unit; null when the
	// metric was not measured (no sample: e.g. TTFT of a non-streaming
	// run), and then the target is not met either: NotMeasured says why.
	Actual      *float64 `json:"actual"`
	Met         bool     `json:"met"`
	NotMeasured bool     `json:"not_measured,omitempty"`
}

// SLOVerdict is a class's verdict: every target and whether all were met.
type SLOVerdict struct {
	Met     bool        `json:"met"`
	Targets []SLOTarget `json:"targets"`
	// FinishedOnly says the verdict covers the requests that finished
	// before an interruption only (extra.interrupted): the slowest, still
	// running then, are missing, so a met may not hold (FinishedOnlyNote).
	// Absent on a verdict no target of which was measured (no finished
	// request to cover).
	FinishedOnly bool `json:"finished_only,omitempty"`
	// OverContext says the verdict's percentiles include requests over
	// the model's context (ClassResult.OverContext), which a real server
	// refuses: a met may not describe what a server serves
	// (OverContextNote).
	OverContext bool `json:"over_context,omitempty"`
}

// verdict judges the class's percentiles against its SLO. It returns nil
// when the class has no SLO. A target with no samples is not measured, and
// so not met.
func verdict(s *slo.Spec, pcts [numMetrics]*Percentiles) *SLOVerdict {
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
			t := SLOTarget{Metric: sm.Key, Percentile: k, Bound: bound, NotMeasured: true}
			if p != nil && p.Count > 0 {
				ms, _ := p.Get(k)
				actual := roundDec(ms/sm.MsPerUnit, 6)
				t.Actual, t.Met, t.NotMeasured = &actual, actual <= bound, false
			}
			met := t.Met
			v.Targets = append(v.Targets, t)
			v.Met = v.Met && met
		}
	}
	if len(v.Targets) == 0 {
		return nil
	}
	return v
}

// sloFromVerdict rebuilds the SLO a verdict was computed from (for Merge).
func sloFromVerdict(v *SLOVerdict) (slo.Spec, error) {
	var s slo.Spec
	if v == nil {
		return s, nil
	}
	for _, t := range v.Targets {
		m, ok := MetricBySLOKey(t.Metric)
		if !ok {
			return s, fmt.Errorf("unknown SLO metric %q (want %s)", t.Metric, sloKeys())
		}
		b := s.Field(m.SLO.Key)
		if *b == nil {
			*b = &slo.Targets{}
		}
		if err := (*b).Set(t.Percentile, t.Bound); err != nil {
			return s, fmt.Errorf("slo target %s: %w", t.Metric, err)
		}
	}
	return s, nil
}

package results

import (
	"io"
	"math"
	"math/rand/v2"
	"slices"
)

// SignificanceTest names the test compare runs on per-request records.
const SignificanceTest = "Mann-Whitney U, two-sided, normal approximation with tie correction and continuity correction"

// DefaultAlpha is the significance level: a change with p >= alpha is
// reported as "~" (no significant difference), as benchstat does.
const DefaultAlpha = 0.05

// MaxSamplesPerSeries bounds the values kept per class and metric; beyond
// it a seeded reservoir sample is kept, so memory does not grow with the
// records and the same files always give the same p-value.
const MaxSamplesPerSeries = 1 << 18

// Samples holds per-request latency values (ms) from a records file, by
// class ("total" for all) and latency metric name (Metric.Name),
// for significance tests. Warm-up and failed requests are left out, as
// the summary leaves them out.
type Samples struct {
	warmupNs int64
	series   map[string]map[string]*reservoir
}

type reservoir struct {
	vals []float64
	seen int64
	rng  *rand.Rand
}

// NewSamples starts an empty set; records of tasks that arrived before
// warmupNs are ignored (pass the result's Window.WarmupS in ns).
func NewSamples(warmupNs int64) *Samples {
	return &Samples{warmupNs: warmupNs, series: map[string]map[string]*reservoir{}}
}

// Add takes one record's latencies. It keeps what the summary measures:
// a request counts when its task arrived after the warm-up
// (Summary.Includes: a task is in or out whole), and a video request has
// no token metric (its clip start is no first token).
func (s *Samples) Add(r *Record) {
	if !r.OK() || r.ArrivalNs() < s.warmupNs {
		return
	}
	video := r.Kind == "video"
	for _, class := range [2]string{r.Class, TotalClass} {
		for i := range Metrics {
			m := &Metrics[i]
			if m.TokenOnly && video {
				continue
			}
			if m.PerToken {
				for _, g := range r.ITL {
					s.push(class, m.Name, float64(g)/1e6)
				}
			} else if v, ok := m.Value(r); ok {
				s.push(class, m.Name, float64(v)/1e6)
			}
		}
	}
}

func (s *Samples) push(class, metric string, v float64) {
	m := s.series[class]
	if m == nil {
		m = map[string]*reservoir{}
		s.series[class] = m
	}
	rs := m[metric]
	if rs == nil {
		rs = &reservoir{rng: rand.New(rand.NewPCG(uint64(len(class))<<32|uint64(len(metric)), 0x5eed))}
		m[metric] = rs
	}
	rs.seen++
	if len(rs.vals) < MaxSamplesPerSeries {
		rs.vals = append(rs.vals, v)
		return
	}
	// Algorithm R: keep each value with probability MaxSamples/seen.
	if j := rs.rng.Int64N(rs.seen); j < MaxSamplesPerSeries {
		rs.vals[j] = v
	}
}

// Values returns the kept values of class and metric (nil when none).
func (s *Samples) Values(class, metric string) []float64 {
	if s == nil {
		return nil
	}
	if rs := s.series[class][metric]; rs != nil {
		return rs.vals
	}
	return nil
}

// valuesIn returns the values of class and metric m that r's figure of
// them was computed from: none when r does not carry the figure (an
// endpoint's chat queue, not reported: its records' zeros are no waits),
// else Values, except for the totals of a ZeroUnknown metric (queue) when
// a class of r does not carry it: the totals merged only the classes
// whose queue is known, so their samples are those classes' own.
func (s *Samples) valuesIn(r *Result, class string, m *Metric) []float64 {
	if s == nil {
		return nil
	}
	if r != nil {
		if c := classOf(r, class); c == nil || m.Of(c) == nil {
			return nil
		}
	}
	if class != TotalClass || !m.ZeroUnknown || r == nil {
		return s.Values(class, m.Name)
	}
	names := make([]string, 0, len(r.Classes))
	unknown := false
	for n, c := range r.Classes {
		switch {
		case c != nil && m.Of(c) != nil:
			names = append(names, n)
		case s.Values(n, m.Name) != nil:
			unknown = true
		}
	}
	if !unknown {
		return s.Values(class, m.Name)
	}
	slices.Sort(names) // a fixed order: the test is rank-based, the bootstrap seeded
	var out []float64
	for _, n := range names {
		out = append(out, s.Values(n, m.Name)...)
	}
	return out
}

// ReadSamples reads a records file (JSON lines, see ReadRecords).
func ReadSamples(r io.Reader, name string, warmupNs int64) (*Samples, error) {
	s := NewSamples(warmupNs)
	err := ReadRecords(r, name, func(rec *Record) error {
		s.Add(rec)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return s, nil
}

// MannWhitney tests whether values in a and b come from the same
// distribution (two-sided). It returns the U statistic of a and the
// p-value from the normal approximation with tie and continuity
// corrections; p is 1 when either sample is empty or every value ties.
// The approximation is good from about 8 values per side; with fewer,
// read p with care (benchstat would say "need >= 4 samples").
func MannWhitney(a, b []float64) (u, p float64) {
	n1, n2 := len(a), len(b)
	if n1 == 0 || n2 == 0 {
		return 0, 1
	}
	type obs struct {
		v     float64
		fromA bool
	}
	all := make([]obs, 0, n1+n2)
	for _, v := range a {
		all = append(all, obs{v, true})
	}
	for _, v := range b {
		all = append(all, obs{v, false})
	}
	slices.SortFunc(all, func(x, y obs) int {
		switch {
		case x.v < y.v:
			return -1
		case x.v > y.v:
			return 1
		}
		return 0
	})
	var rankA, ties float64
	for i := 0; i < len(all); {
		j := i
		for j < len(all) && all[j].v == all[i].v {
			j++
		}
		// Ranks i+1..j share their mean.
		mean := float64(i+1+j) / 2
		for k := i; k < j; k++ {
			if all[k].fromA {
				rankA += mean
			}
		}
		t := float64(j - i)
		ties += t*t*t - t
		i = j
	}
	fn1, fn2 := float64(n1), float64(n2)
	n := fn1 + fn2
	u = rankA - fn1*(fn1+1)/2
	mu := fn1 * fn2 / 2
	sigma2 := fn1 * fn2 / 12 * ((n + 1) - ties/(n*(n-1)))
	if !(sigma2 > 0) {
		return u, 1
	}
	d := math.Abs(u-mu) - 0.5 // continuity correction
	if d < 0 {
		d = 0
	}
	z := d / math.Sqrt(sigma2)
	p = math.Erfc(z / math.Sqrt2)
	return u, min(p, 1)
}

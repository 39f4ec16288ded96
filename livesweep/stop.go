package livesweep

import (
	"fmt"
	"sync"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners"
	"github.com/fleetbench/fleetbench/scenarios"
)

// stopper ends a step early once it is clearly over an SLO: when more
// measured requests of a class have exceeded a percentile bound (TTFT p99
// 500 ms, ...) than the step could ever have outside that percentile. With
// N requests in the step (an upper bound on any class's measured count),
// more than (1-q)·N requests over the bound put the class's q-quantile
// over it whatever the rest do, so the verdict is already known: a missed
// SLO, not a guess. Steps bounded only by duration are not stopped (N is
// not known in advance).
type stopper struct {
	bounds  map[string][]bound // by class
	budget  float64            // N, the step's request count
	warmup  int64
	cancel  func()
	mu      sync.Mutex
	over    map[*bound]int
	why     string
	stopped bool
}

type bound struct {
	metric *results.Metric
	stat   string
	q      float64
	limit  int64 // ns
}

func newStopper(sc *scenarios.Scenario, requests int, warmup int64, cancel func()) *stopper {
	s := &stopper{bounds: map[string][]bound{}, budget: float64(requests), warmup: warmup, cancel: cancel, over: map[*bound]int{}}
	if requests <= 0 {
		return s
	}
	for _, c := range sc.Classes {
		spec := results.ClassInfoFor(c).SLO
		for i := range results.Metrics {
			m := &results.Metrics[i]
			if m.Value == nil {
				continue
			}
			for stat, ms := range m.Bounds(&spec) {
				q, ok := quantile(stat)
				if !ok {
					continue
				}
				s.bounds[c.Name] = append(s.bounds[c.Name], bound{metric: m, stat: stat, q: q, limit: int64(ms * 1e6)})
			}
		}
	}
	return s
}

// quantile is an SLO key ("p99", "p999", "p100") as a quantile in (0, 1],
// read by the product's one percentile parser.
func quantile(stat string) (float64, bool) {
	v, err := results.ParsePercentile(stat)
	if err != nil {
		return 0, false
	}
	return v / 100, true
}

// chain makes the stopper see every record the runner produces, before
// any records sink the configuration already had.
func (s *stopper) chain(cfg *runners.Config) {
	next := cfg.Records
	cfg.Records = func(r *results.Record) error {
		s.see(r)
		if next != nil {
			return next(r)
		}
		return nil
	}
}

func (s *stopper) see(r *results.Record) {
	bs := s.bounds[r.Class]
	if len(bs) == 0 || r.ArrivalNs() < s.warmup {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return
	}
	for i := range bs {
		b := &bs[i]
		v, ok := b.metric.Value(r)
		if !ok || v <= b.limit {
			continue
		}
		s.over[b]++
		if n := s.over[b]; float64(n) > (1-b.q)*s.budget {
			s.stopped = true
			s.why = fmt.Sprintf("stopped early: %d request(s) of class %s over its %s %s bound of %g ms, more than %.0f%% of the step's %d requests: the %s is over the bound whatever the rest do",
				n, r.Class, b.metric.Label, b.stat, float64(b.limit)/1e6, (1-b.q)*100, int(s.budget), b.stat)
			s.cancel()
			return
		}
	}
}

func (s *stopper) reason() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.why
}

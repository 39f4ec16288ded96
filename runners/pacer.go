package runners

import (
	"math"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fleetbench/fleetbench/scenarios"
)

// TimesPacer is a vegeta.Pacer over a precomputed, nondecreasing sequence
// of send times (ns since the start): hit number h is due at the h-th time.
// Any arrival process (Poisson, gamma, bursts, schedules, trace timestamps,
// a workload's merged classes) becomes a vegeta Pacer this way, so the real
// runner and the simulator share one arrival code path.
//
// Like vegeta's own pacers it is driven by one goroutine: Pace may be called
// repeatedly with the same hits count (after a sleep) and hits advances by
// one per sent hit.
type TimesPacer struct {
	next  func() (int64, bool) // yields the send times in order
	rate  func(elapsed time.Duration) float64
	taken uint64 // times consumed from next
	cur   int64  // time of hit number taken-1
	done  bool
}

var _ vegeta.Pacer = (*TimesPacer)(nil)

// NewTimesPacer returns a pacer whose hit h is due at the h-th value next
// yields; rate (optional) reports the instantaneous expected rate for
// vegeta's reporting.
func NewTimesPacer(next func() (int64, bool), rate func(time.Duration) float64) *TimesPacer {
	return &TimesPacer{next: next, rate: rate}
}

// Pace implements vegeta.Pacer: the wait until hit number hits is due, or
// stop once the sequence has ended.
func (p *TimesPacer) Pace(elapsed time.Duration, hits uint64) (time.Duration, bool) {
	for p.taken <= hits {
		if p.done {
			return 0, true
		}
		t, ok := p.next()
		if !ok {
			p.done = true
			return 0, true
		}
		p.cur = t
		p.taken++
	}
	if w := time.Duration(p.cur) - elapsed; w > 0 {
		return w, false
	}
	return 0, false
}

// Rate implements vegeta.Pacer.
func (p *TimesPacer) Rate(elapsed time.Duration) float64 {
	if p.rate == nil {
		return math.NaN()
	}
	return p.rate(elapsed)
}

// schedule is the runner's view of a workload's top-level arrivals: the
// requests of this shard, in time order, with a TimesPacer over their
// intended send times. The pacer decides when; take hands out the request
// the pacer just released.
type schedule struct {
	wl      *scenarios.Workload
	shard   int
	shards  int
	index   int                  // 0-based index of the next top-level arrival
	pending []*scenarios.Request // pulled by the pacer, not yet taken (FIFO)
	pacer   *TimesPacer
}

func newSchedule(wl *scenarios.Workload, sc *scenarios.Scenario, scale float64, shard, shards int) *schedule {
	s := &schedule{wl: wl, shard: shard, shards: max(shards, 1)}
	if scale <= 0 {
		scale = 1
	}
	rate := func(el time.Duration) float64 {
		total := 0.0
		for _, c := range sc.Classes {
			if !c.Arrival.IsClosed() {
				total += c.Arrival.Intensity(el.Seconds()) * scale
			}
		}
		return total / float64(s.shards)
	}
	s.pacer = NewTimesPacer(s.pull, rate)
	return s
}

// pull takes the next arrival of this shard from the workload.
func (s *schedule) pull() (int64, bool) {
	for {
		r, ok := s.wl.Next()
		if !ok {
			return 0, false
		}
		i := s.index
		s.index++
		if i%s.shards != s.shard {
			continue
		}
		s.pending = append(s.pending, r)
		return r.Arrival, true
	}
}

// take returns the request the pacer released last (call after Pace said
// it is due).
func (s *schedule) take() *scenarios.Request {
	if len(s.pending) == 0 {
		return nil
	}
	r := s.pending[0]
	s.pending[0] = nil
	s.pending = s.pending[1:]
	return r
}

// nextRequest pulls the next request of this shard regardless of its time
// (closed loop: the workers decide when).
func (s *schedule) nextRequest() (*scenarios.Request, bool) {
	if len(s.pending) > 0 {
		return s.take(), true
	}
	if _, ok := s.pull(); !ok {
		return nil, false
	}
	return s.take(), true
}

package scenarios

import (
	"fmt"
	"time"
)

// ShortRunWarmupShare is the largest share of a shortened run the warm-up
// may take when the user did not choose one (see WarmupFor).
const ShortRunWarmupShare = 0.10

// Warmup is the warm-up a run uses and why.
type Warmup struct {
	D time.Duration // the warm-up to use
	// Scenario is the scenario's own warm-up; it differs from D when a
	// shortened run cut it (Shortened).
	Scenario  time.Duration
	Shortened bool
	// Span is the time of the last top-level arrival of the run (0 when it
	// cannot be known in advance: closed-loop classes).
	Span time.Duration
}

// WarmupFor decides the warm-up of a run with options o. explicit (>= 0)
// is the user's --warmup and wins; a negative explicit means "not given".
// closed says the run is a closed loop whatever the scenario says (the
// runner's --concurrency).
// When o.Requests or o.Duration shortens the run and the user gave no
// warm-up, the scenario's warm-up shrinks to at most ShortRunWarmupShare of
// the run (of --duration when only a duration bounds it; else of the
// expected time of the capped arrivals, both the same for every seed, so
// shards and seeds of one run share a warm-up), so that `--requests 60`
// measures most of its 60 requests instead of none. An explicit warm-up that covers every arrival
// is an error (the window would be empty).
//
// The arrival span (Warmup.Span) is drawn only where a decision needs it,
// or to read a trace class's file through (its errors surface here, before
// the run): drawing it generates every top-level request of the run, ~11 s
// of platform-hour's 24M before the simulation could start.
func (s *Scenario) WarmupFor(o WorkloadOptions, explicit time.Duration, closed bool) (Warmup, error) {
	w := Warmup{D: s.Warmup, Scenario: s.Warmup}
	var span time.Duration
	known, drawn := false, false
	draw := func() error {
		var err error
		span, known, err = s.arrivalSpan(o, closed)
		if known {
			w.Span = span
		}
		drawn = true
		return err
	}
	if s.hasTrace() {
		if err := draw(); err != nil {
			return w, err
		}
	}
	if explicit >= 0 {
		w.D = explicit
		if explicit > 0 && !drawn {
			if err := draw(); err != nil {
				return w, err
			}
		}
		if known && explicit > 0 && explicit >= span {
			return w, fmt.Errorf("--warmup %s covers every arrival of the run (the last one is at %s): nothing would be measured; give a shorter --warmup or a longer run",
				explicit, span.Round(time.Millisecond))
		}
		return w, nil
	}
	if o.Requests <= 0 && o.Duration <= 0 {
		return w, nil // the scenario as written
	}
	// The run's length, the same for every seed where it can be: the
	// duration when only a duration bounds the run, else the expected time
	// of the capped arrivals at the classes' mean rates, else (trace
	// classes) the drawn span; a closed loop bounded by requests has none.
	length := time.Duration(0)
	if exp, ok := s.expectedSpan(o, closed); ok {
		length = exp
	} else {
		if !drawn {
			if err := draw(); err != nil {
				return w, err
			}
		}
		if known {
			length = span
		}
	}
	limit := time.Duration(float64(length) * ShortRunWarmupShare).Round(time.Millisecond)
	if s.Warmup > limit {
		w.D, w.Shortened = limit, true
	}
	return w, nil
}

// WithWarmup returns a copy of s with warm-up d. The copy keeps s's Hash:
// the warm-up is a run option (the result's window says which was used).
func (s *Scenario) WithWarmup(d time.Duration) *Scenario {
	c := *s
	c.hash = s.Hash()
	c.Warmup = d
	return &c
}

// hasTrace reports whether a class replays a trace file.
func (s *Scenario) hasTrace() bool {
	for _, c := range s.Classes {
		if c.Trace != nil {
			return true
		}
	}
	return false
}

// arrivalSpan is the time of the last top-level arrival under o, found by
// drawing the arrival schedule (cheap next to running it). A closed loop's
// arrivals depend on completions: its span is the duration when only a
// duration bounds it, and unknown (false) otherwise.
func (s *Scenario) arrivalSpan(o WorkloadOptions, closed bool) (time.Duration, bool, error) {
	for _, c := range s.Classes {
		closed = closed || c.Arrival.IsClosed()
	}
	if closed {
		d, n := s.Duration, s.Requests
		if o.Duration > 0 {
			d = o.Duration
		}
		if o.Requests > 0 {
			n = o.Requests
		}
		return d, d > 0 && n == 0, nil
	}
	wl, err := s.NewWorkload(o)
	if err != nil {
		return 0, false, err
	}
	defer wl.Close()
	var last int64
	for {
		r, ok := wl.Next()
		if !ok {
			break
		}
		last = r.Arrival
	}
	if err := wl.Err(); err != nil {
		return 0, false, err
	}
	return time.Duration(last), true, nil
}

// expectedSpan is the run's expected arrival span, the same for every seed:
// the duration when no request cap applies, else the time at which the
// classes' expected arrivals (arrival.Spec.Cumulative, at o's rate scale)
// reach the cap, bounded by the duration. False for closed loops and trace
// classes (no expected arrival curve).
func (s *Scenario) expectedSpan(o WorkloadOptions, closed bool) (time.Duration, bool) {
	dur, n := s.Duration, s.Requests
	if o.Duration > 0 {
		dur = o.Duration
	}
	if o.Requests > 0 {
		n = o.Requests
	}
	if n <= 0 {
		return dur, dur > 0
	}
	scale := o.RateScale
	if scale == 0 {
		scale = 1
	}
	for _, c := range s.Classes {
		if closed || c.Arrival.IsClosed() || !(c.Arrival.MeanRate() > 0) {
			return 0, false
		}
	}
	expected := func(t float64) float64 {
		sum := 0.0
		for _, c := range s.Classes {
			sum += c.Arrival.Cumulative(t) * scale
		}
		return sum
	}
	hi := 1.0
	for expected(hi) < float64(n) && hi < 3e6 {
		hi *= 2
	}
	lo := 0.0
	for range 60 {
		mid := (lo + hi) / 2
		if expected(mid) < float64(n) {
			lo = mid
		} else {
			hi = mid
		}
	}
	t := time.Duration(hi * 1e9)
	if dur > 0 && dur < t {
		t = dur
	}
	return t, true
}

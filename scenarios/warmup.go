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
// the run (of --duration when only a duration bounds it, the same for every
// seed; else of the arrival span), so that `--requests 60` measures most of
// its 60 requests instead of none. An explicit warm-up that covers every arrival
// is an error (the window would be empty).
func (s *Scenario) WarmupFor(o WorkloadOptions, explicit time.Duration, closed bool) (Warmup, error) {
	w := Warmup{D: s.Warmup, Scenario: s.Warmup}
	span, known, err := s.arrivalSpan(o, closed)
	if err != nil {
		return w, err
	}
	if known {
		w.Span = span
	}
	if explicit >= 0 {
		w.D = explicit
		if known && explicit > 0 && explicit >= span {
			return w, fmt.Errorf("--warmup %s covers every arrival of the run (the last one is at %s): nothing would be measured; give a shorter --warmup or a longer run",
				explicit, span.Round(time.Millisecond))
		}
		return w, nil
	}
	if o.Requests <= 0 && o.Duration <= 0 {
		return w, nil // the scenario as written
	}
	limit := time.Duration(0) // closed loop: the run's length is unknown
	switch {
	case o.Duration > 0 && o.Requests <= 0 && s.Requests <= 0:
		// Bounded by the duration: 10% of it, the same for every seed.
		limit = time.Duration(float64(o.Duration) * ShortRunWarmupShare).Round(time.Millisecond)
	case known:
		limit = time.Duration(float64(span) * ShortRunWarmupShare).Round(time.Millisecond)
	}
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

package scenarios

import (
	"math"
	"time"
)

// RequestsUnreached says whether a cap on top-level arrivals (o.Requests,
// --requests) will go unreached because the duration ends the arrivals
// first: the classes' expected arrivals over the duration, at their mean
// rates and o's rate scale, are under 90% of the cap (a Poisson run may
// reach a cap a little over its expectation). It returns that expectation,
// the duration that ends them and the duration at which the expected
// arrivals reach the cap. ok is false without a cap or a duration, when
// the cap is reached, and for runs without an expected arrival curve
// (closed loops, trace replays).
func (s *Scenario) RequestsUnreached(o WorkloadOptions) (expected float64, dur, need time.Duration, ok bool) {
	if o.Requests <= 0 {
		return 0, 0, 0, false
	}
	dur = s.Duration
	if o.Duration > 0 {
		dur = o.Duration
	}
	if dur <= 0 {
		return 0, 0, 0, false
	}
	scale := o.RateScale
	if scale == 0 {
		scale = 1
	}
	for _, c := range s.Classes {
		if c.Trace != nil || c.Arrival.IsClosed() || !(c.Arrival.MeanRate() > 0) {
			return 0, 0, 0, false
		}
		expected += c.Arrival.Cumulative(dur.Seconds()) * scale
	}
	if !(expected < 0.9*float64(o.Requests)) {
		return 0, 0, 0, false
	}
	need, _ = s.expectedSpan(WorkloadOptions{Requests: o.Requests, Duration: MaxDuration, RateScale: o.RateScale}, false)
	return math.Round(expected*10) / 10, dur, need, true
}

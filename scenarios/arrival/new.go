package arrival

import (
	"math"
	"math/rand/v2"

	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

// maxSeconds is where every process stops: beyond it, nanoseconds no longer
// fit an int64 (2^63 ns is about 292 years).
const maxSeconds = 9e9 // compared as !(t <= maxSeconds): a NaN time stops too

// New validates s and returns its process, with every rate multiplied by
// scale (a traffic multiplier; durations such as burst_s and period_s are not
// scaled). All randomness comes from r. Closed and trace specs have no
// arrival process of their own and return an error.
func (s Spec) New(r *rand.Rand, scale float64) (Process, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	if !(scale > 0) || math.IsInf(scale, 0) {
		return nil, fielderr.New("rate", "the traffic multiplier must be a finite number > 0", "traffic scale %v is not allowed", scale)
	}
	if r == nil {
		return nil, fielderr.New("process", "pass a seeded *rand.Rand", "no random source")
	}
	switch s.kind() {
	case "poisson":
		return &poisson{r: r, rate: s.Rate * scale}, nil
	case "constant":
		return &constant{interval: 1 / (s.Rate * scale)}, nil
	case "gamma":
		shape := s.Burstiness
		if s.CV > 0 {
			shape = 1 / (s.CV * s.CV)
		}
		// Mean gap = shape*theta = 1/rate.
		return &gamma{r: r, g: newGammaSampler(shape), theta: 1 / (s.Rate * scale * shape)}, nil
	case "bursts", "schedule":
		return &piecewise{r: r, segs: s.segments(scale)}, nil
	case "ramp":
		return &ramp{r: r, r0: s.Rate * scale, r1: s.ToRate * scale, over: s.OverS, slope: (s.ToRate - s.Rate) * scale / s.OverS}, nil
	case "sine":
		rate := s.Rate * scale
		return &sine{r: r, rate: rate, amp: s.Amplitude, period: s.PeriodS, phase: s.PhaseS, max: rate * (1 + s.Amplitude)}, nil
	case "closed":
		return nil, fielderr.New("process", "a closed loop is driven by completions: use Users and ThinkS instead of an arrival process", "closed has no arrival times")
	case "trace":
		return nil, fielderr.New("process", "read arrival times from the trace file", "trace has no arrival process of its own")
	}
	panic("unreachable: Validate accepted process " + s.Process)
}

// toNanos converts seconds to int64 nanoseconds. Rounding is monotone, so
// nondecreasing seconds give nondecreasing nanoseconds.
func toNanos(t float64) int64 { return int64(math.Round(t * 1e9)) }

// poisson is a homogeneous Poisson process: exponential gaps. Time is kept in
// float64 seconds, whose spacing at 24 h is 1.5e-11 s, so rounding to ns on
// output loses nothing and per-step rounding errors do not accumulate into a
// visible bias.
type poisson struct {
	r    *rand.Rand
	rate float64
	t    float64
}

func (p *poisson) Next() (int64, bool) {
	p.t += p.r.ExpFloat64() / p.rate
	if !(p.t <= maxSeconds) {
		return 0, false
	}
	return toNanos(p.t), true
}

// constant sends at k*interval for k = 0, 1, ... (the first at t=0, like
// vegeta's constant pacer). The k-th time is a product, not a running sum, so
// there is no drift however long it runs.
type constant struct {
	interval float64
	k        float64
}

func (c *constant) Next() (int64, bool) {
	t := c.k * c.interval
	if !(t <= maxSeconds) {
		return 0, false
	}
	c.k++
	return toNanos(t), true
}

// gamma is a renewal process with gamma-distributed gaps of mean 1/rate.
type gamma struct {
	r     *rand.Rand
	g     gammaSampler
	theta float64 // scale of the gap distribution
	t     float64
}

func (p *gamma) Next() (int64, bool) {
	p.t += p.theta * p.g.sample(p.r)
	if !(p.t <= maxSeconds) {
		return 0, false
	}
	return toNanos(p.t), true
}

// gammaSampler draws Gamma(shape, 1) by Marsaglia and Tsang's method (ACM
// TOMS 26(3), 2000), boosting shapes below 1 with U^(1/shape).
type gammaSampler struct {
	d, c     float64 // for shape' = max(shape, shape+1)
	invShape float64 // 0 when shape >= 1 (no boost)
}

func newGammaSampler(shape float64) gammaSampler {
	var g gammaSampler
	if shape < 1 {
		g.invShape = 1 / shape
		shape++
	}
	g.d = shape - 1.0/3
	g.c = 1 / math.Sqrt(9*g.d)
	return g
}

func (g gammaSampler) sample(r *rand.Rand) float64 {
	var x float64
	for {
		n := r.NormFloat64()
		v := 1 + g.c*n
		if v <= 0 {
			continue
		}
		v = v * v * v
		u := r.Float64()
		if u < 1-0.0331*n*n*n*n || math.Log(u) < 0.5*n*n+g.d*(1-v+math.Log(v)) {
			x = g.d * v
			break
		}
	}
	if g.invShape != 0 {
		// U^(1/shape) with U uniform is exp(-E/shape) with E ~ Exp(1);
		// the ziggurat exponential and Exp are several times cheaper
		// than Pow.
		x *= math.Exp(-r.ExpFloat64() * g.invShape)
	}
	return x
}

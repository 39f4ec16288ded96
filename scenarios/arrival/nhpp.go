package arrival

import (
	"math"
	"math/rand/v2"
)

// The non-homogeneous processes are sampled exactly by time rescaling: each
// arrival consumes an Exp(1) "mass" E and lands where the integral of the
// intensity from the previous arrival reaches E. Each step starts from the
// current time, so nothing accumulates except the time itself, and segment
// boundaries are recomputed from their index (first + k*period), never
// summed.

// segment is a stretch [start, end) of constant rate; end may be +Inf.
type segment struct{ rate, end float64 }

// segmenter yields consecutive segments of a piecewise-constant intensity,
// starting at t=0. It returns ok=false after the last one (which ends at +Inf
// or has rate 0 forever after).
type segmenter interface {
	next() (seg segment, ok bool)
}

// piecewise samples a piecewise-constant intensity (bursts, schedule).
type piecewise struct {
	r       *rand.Rand
	segs    segmenter
	seg     segment
	started bool
	done    bool
	t       float64
}

func (p *piecewise) Next() (int64, bool) {
	if p.done {
		return 0, false
	}
	if !p.started {
		p.started = true
		if !p.advance() {
			return 0, false
		}
	}
	need := p.r.ExpFloat64()
	for {
		if p.seg.rate > 0 {
			if dt := need / p.seg.rate; p.t+dt < p.seg.end {
				p.t += dt
				if !(p.t <= maxSeconds) {
					p.done = true
					return 0, false
				}
				return toNanos(p.t), true
			}
			// Carry the unused mass into the next segment; rounding may take
			// it a hair below zero, which means "at the boundary".
			need = math.Max(0, need-p.seg.rate*(p.seg.end-p.t))
		} else if math.IsInf(p.seg.end, 1) {
			p.done = true
			return 0, false
		}
		p.t = math.Max(p.t, p.seg.end)
		if !p.advance() {
			return 0, false
		}
	}
}

func (p *piecewise) advance() bool {
	seg, ok := p.segs.next()
	if !ok || !(p.t <= maxSeconds) {
		p.done = true
		return false
	}
	p.seg = seg
	return true
}

// segments builds the segmenter for a bursts or schedule spec.
func (s Spec) segments(scale float64) segmenter {
	if s.kind() == "schedule" {
		return &scheduleSegs{steps: s.Steps, scale: scale}
	}
	if len(s.AtS) > 0 {
		return &listedBursts{at: s.AtS, dur: s.BurstS, base: s.Rate * scale, burst: s.BurstRate * scale}
	}
	return &periodicBursts{first: s.FirstS, period: s.PeriodS, dur: s.BurstS, base: s.Rate * scale, burst: s.BurstRate * scale}
}

type scheduleSegs struct {
	steps []Step
	scale float64
	i     int  // next step to emit
	lead  bool // the lead-in before steps[0] has been emitted
}

func (g *scheduleSegs) next() (segment, bool) {
	if !g.lead {
		g.lead = true
		if g.steps[0].AtS > 0 { // nothing before the first step
			return segment{rate: 0, end: g.steps[0].AtS}, true
		}
	}
	if g.i >= len(g.steps) {
		return segment{}, false
	}
	end := math.Inf(1)
	if g.i+1 < len(g.steps) {
		end = g.steps[g.i+1].AtS
	}
	seg := segment{rate: g.steps[g.i].Rate * g.scale, end: end}
	g.i++
	return seg, true
}

// periodicBursts: base rate on [0, first), then burst k on
// [first+k*period, first+k*period+dur) and base until the next burst.
// Segment j = 0 is the lead-in, 2k+1 burst k, 2k+2 the gap after it.
type periodicBursts struct {
	first, period, dur, base, burst float64
	j                               int
}

func (g *periodicBursts) next() (segment, bool) {
	j := g.j
	g.j++
	if j == 0 {
		return segment{rate: g.base, end: g.first}, true
	}
	k := float64((j - 1) / 2)
	if j%2 == 1 {
		return segment{rate: g.burst, end: g.first + k*g.period + g.dur}, true
	}
	return segment{rate: g.base, end: g.first + (k+1)*g.period}, true
}

// listedBursts: base rate with bursts at explicit times; after the last
// burst the base rate runs forever (or the process ends if it is 0).
// Segments are numbered as in periodicBursts.
type listedBursts struct {
	at               []float64
	dur, base, burst float64
	j                int
}

func (g *listedBursts) next() (segment, bool) {
	j := g.j
	g.j++
	if j == 0 {
		return segment{rate: g.base, end: g.at[0]}, true
	}
	i := (j - 1) / 2
	if i >= len(g.at) {
		return segment{}, false
	}
	if j%2 == 1 {
		return segment{rate: g.burst, end: g.at[i] + g.dur}, true
	}
	if i+1 < len(g.at) {
		return segment{rate: g.base, end: g.at[i+1]}, true
	}
	return segment{rate: g.base, end: math.Inf(1)}, true
}

// ramp is linear from r0 to r1 over [0, over), then constant r1.
type ramp struct {
	r             *rand.Rand
	r0, r1, slope float64 // slope in 1/s^2
	over          float64
	t             float64
	done          bool
}

func (p *ramp) Next() (int64, bool) {
	if p.done {
		return 0, false
	}
	need := p.r.ExpFloat64()
	if p.t < p.over {
		rate := p.r0 + p.slope*p.t // recomputed from t, never accumulated
		d := p.over - p.t
		mass := rate*d + 0.5*p.slope*d*d
		if need < mass {
			// Solve rate*x + slope/2*x^2 = need in the cancellation-free
			// form; the discriminant is >= (rate+slope*d)^2 >= 0 here.
			disc := math.Max(0, rate*rate+2*p.slope*need)
			p.t += 2 * need / (rate + math.Sqrt(disc))
			return p.emit()
		}
		need -= mass
		p.t = p.over
	}
	if p.r1 <= 0 {
		p.done = true
		return 0, false
	}
	p.t += need / p.r1
	return p.emit()
}

func (p *ramp) emit() (int64, bool) {
	if !(p.t <= maxSeconds) {
		p.done = true
		return 0, false
	}
	return toNanos(p.t), true
}

// sine has intensity rate*(1 + amp*sin(2*pi*(t+phase)/period)), sampled by
// thinning (Lewis and Shedler 1979): candidates at the peak rate, each kept
// with probability intensity/peak. The phase is reduced modulo the period
// before the sine, so day 30 is as exact as day 1.
type sine struct {
	r                        *rand.Rand
	rate, amp, period, phase float64
	max                      float64
	t                        float64
	done                     bool
}

func (p *sine) Next() (int64, bool) {
	if p.done {
		return 0, false
	}
	for {
		p.t += p.r.ExpFloat64() / p.max
		if !(p.t <= maxSeconds) {
			p.done = true
			return 0, false
		}
		if p.r.Float64()*p.max < p.intensity(p.t) {
			return toNanos(p.t), true
		}
	}
}

func (p *sine) intensity(t float64) float64 {
	x := t + p.phase
	x -= p.period * math.Floor(x/p.period)
	return p.rate * (1 + p.amp*math.Sin(2*math.Pi*x/p.period))
}

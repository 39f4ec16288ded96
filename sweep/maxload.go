package sweep

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// bisection is one configuration's max-load search state.
type bisection struct {
	cfg    Point
	probes []sweepfile.Point
	lo, hi float64 // highest passing and lowest failing multipliers; 0 = none yet
	note   string
}

// runMaxLoad bisects, for every configuration of the grid (fleet × GPU ×
// TP × routing), the traffic multiplier at which the fleet stops meeting
// its SLOs. Configurations run in parallel; each one's probes are
// sequential, so the probes, and therefore the sweep, do not depend on -j.
func runMaxLoad(r *Runner, spec Spec, sw *sweepfile.Sweep) error {
	cfgs, err := spec.Grid.Points(r.Base)
	if err != nil {
		return err
	}
	return MaxLoad(spec, cfgs, r.jobs(), r.One, sw)
}

// MaxLoad runs the max-load search of spec over the configurations cfgs
// with probe evaluating one point (a simulation, or a live load step of
// package livesweep), jobs configurations at a time, and appends every
// probe to sw.Points (by configuration, then rate scale) and one note per
// configuration with its bracket. One bisection for the simulator and for
// live endpoints, so both sides of a prediction search alike.
func MaxLoad(spec Spec, cfgs []Point, jobs int, probe func(Point) sweepfile.Point, sw *sweepfile.Sweep) error {
	if spec.ShardN > 0 {
		return errors.New("max-load is a bisection whose probes depend on each other: it cannot be sharded; shard a grid (--rate-scale list) instead")
	}
	if len(spec.Grid.RateScales) > 1 {
		return errors.New("max-load searches the traffic multiplier itself: give at most one --rate-scale (the first probe)")
	}
	if len(spec.Grid.Scales) > 0 {
		return errors.New("max-load and --scale do not combine")
	}
	tol, maxRS, err := spec.maxLoadBounds()
	if err != nil {
		return err
	}
	sw.Grid = Describe(cfgs, fmt.Sprintf("tolerance=%g %s", tol, spec.Describe))
	bs := make([]*bisection, len(cfgs))
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(max(jobs, 1), len(cfgs)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cfgs) {
					return
				}
				bs[i] = bisect(probe, cfgs[i], tol, maxRS)
			}
		})
	}
	wg.Wait()
	for _, b := range bs {
		slices.SortFunc(b.probes, func(x, y sweepfile.Point) int {
			return cmpFloat(x.RateScale, y.RateScale)
		})
		for _, p := range b.probes {
			p.Index = len(sw.Points)
			sw.Points = append(sw.Points, p)
		}
		sw.Notes = append(sw.Notes, b.note)
	}
	return nil
}

// maxLoadBounds are max-load's tolerance and highest multiplier, defaults
// applied.
func (spec Spec) maxLoadBounds() (tol, maxRS float64, err error) {
	tol = spec.Tolerance
	if tol == 0 {
		tol = 0.02
	}
	if !(tol > 0 && tol < 1) {
		return 0, 0, fmt.Errorf("--tolerance %v: want a fraction between 0 and 1, e.g. 0.02", spec.Tolerance)
	}
	maxRS = spec.MaxRateScale
	if maxRS == 0 {
		maxRS = 1024
	}
	return tol, maxRS, nil
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// bisect brackets the sustained multiplier by doubling (or halving) from
// the configuration's rate scale, then halves the bracket until it is
// within tol of its lower end.
func bisect(one func(Point) sweepfile.Point, cfg Point, tol, maxRS float64) *bisection {
	b := &bisection{cfg: cfg}
	minRS := 1 / maxRS
	probe := func(rs float64) (bool, bool) {
		p := cfg
		p.RateScale = rs
		sp := one(p)
		b.probes = append(b.probes, sp)
		if sp.Error != "" {
			b.note = fmt.Sprintf("%s: %s", fmtFleetCfg(sp), sp.Error)
			return false, false
		}
		if !sp.MeetsSLO && len(sp.IdleClasses) > 0 && b.lo == 0 && rs <= cfg.RateScale {
			// A class sent no request, so its SLO is not judged; less
			// traffic sends fewer still: no load answers, not "out of reach".
			b.note = fmt.Sprintf("%s: no answer: no request of class %s arrived in the window at %g× the scenario's traffic, so its SLO is not judged (less traffic sends fewer); lengthen the run (--duration, --requests)",
				fmtFleetCfg(sp), strings.Join(sp.IdleClasses, ", "), rs)
			return false, false
		}
		if n := len(b.probes); !sp.MeetsSLO && b.lo == 0 && n >= 2 {
			// A class that failed whole here and at the higher load before,
			// with errors load does not cause (the endpoint down, a bad
			// model name, prompts longer than the KV cache), is not a
			// capacity miss: halving on would repeat it down to the
			// --max-rate-scale floor, each live step a real run. Timeouts
			// and overload refusals may clear at lower load: go on.
			prev := b.probes[n-2]
			if both := failedAtBoth(prev, sp); prev.RateScale > sp.RateScale && len(both) > 0 && loadIndependent(sp, both) {
				b.note = fmt.Sprintf("%s: no answer: every request of class %s failed at %g× and at %g× the scenario's traffic (%s at %g×): less traffic does not change that; run one step or point alone to see the errors",
					fmtFleetCfg(sp), strings.Join(both, ", "), prev.RateScale, sp.RateScale, failedErrors(sp, both), sp.RateScale)
				return false, false
			}
		}
		return sp.MeetsSLO, true
	}
	s := cfg.RateScale
	ok, valid := probe(s)
	if !valid {
		return b
	}
	if ok {
		b.lo = s
		for b.hi == 0 {
			if s >= maxRS {
				b.note = fmt.Sprintf("%s sustains at least %g× the scenario's traffic (the --max-rate-scale cap)", fmtFleetCfg(b.probes[0]), b.lo)
				return b
			}
			s = math.Min(s*2, maxRS)
			if ok, valid = probe(s); !valid {
				return b
			} else if ok {
				b.lo = s
			} else {
				b.hi = s
			}
		}
	} else {
		b.hi = s
		for b.lo == 0 {
			if s <= minRS {
				b.note = fmt.Sprintf("%s misses its SLOs even at %g× the scenario's traffic: the SLO is out of reach for this fleet (queueing is not the limit)", fmtFleetCfg(b.probes[0]), s)
				return b
			}
			s = math.Max(s/2, minRS)
			if ok, valid = probe(s); !valid {
				return b
			} else if ok {
				b.lo = s
			} else {
				b.hi = s
			}
		}
	}
	for b.hi-b.lo > tol*b.lo {
		mid := (b.lo + b.hi) / 2
		if ok, valid = probe(mid); !valid {
			return b
		} else if ok {
			b.lo = mid
		} else {
			b.hi = mid
		}
	}
	b.note = fmt.Sprintf("%s sustains %.4g× the scenario's traffic within its SLOs (misses them at %.4g×; %d probes)",
		fmtFleetCfg(b.probes[0]), b.lo, b.hi, len(b.probes))
	return b
}

// failedAtBoth names the classes that failed whole at both probes.
func failedAtBoth(a, b sweepfile.Point) []string {
	var out []string
	for _, c := range b.FailedClasses {
		if slices.Contains(a.FailedClasses, c) {
			out = append(out, c)
		}
	}
	return out
}

// failedErrors is "chat: 5 connect; huge: 12 too_long" for classes of p.
func failedErrors(p sweepfile.Point, classes []string) string {
	parts := make([]string, 0, len(classes))
	for _, c := range classes {
		var errs []string
		for _, k := range slices.Sorted(maps.Keys(p.FailedErrors[c])) {
			errs = append(errs, fmt.Sprintf("%d %s", p.FailedErrors[c][k], k))
		}
		parts = append(parts, c+": "+strings.Join(errs, ", "))
	}
	return strings.Join(parts, "; ")
}

// loadIndependentErrors are error classes less traffic does not cure:
// the endpoint refused the connection, the request itself was refused
// (bad model, context too long), a prompt longer than the KV cache
// (simulator), a request kind the runner cannot send, responses that are
// not the protocol.
var loadIndependentErrors = map[string]bool{"connect": true, "http_4xx": true, "too_long": true,
	"unsupported": true, "malformed_sse": true, "malformed_response": true}

// loadIndependent reports whether every error of classes at p is of a
// kind less traffic does not cure.
func loadIndependent(p sweepfile.Point, classes []string) bool {
	for _, c := range classes {
		if len(p.FailedErrors[c]) == 0 {
			return false
		}
		for k := range p.FailedErrors[c] {
			if !loadIndependentErrors[k] {
				return false
			}
		}
	}
	return true
}

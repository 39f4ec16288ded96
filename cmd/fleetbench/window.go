package main

import (
	"cmp"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// warmupFlag is --warmup of sim, run and sweep; set records whether the
// user gave it (a zero warm-up is a choice, not "unset").
type warmupFlag struct {
	d   time.Duration
	set bool
}

func addWarmupFlag(fl *pflag.FlagSet, w *warmupFlag) {
	fl.DurationVar(&w.d, "warmup", 0, "exclude tasks arriving before this from the results (default: the scenario's, cut to at most 10% of the run when --requests or --duration shortens it)")
}

// resolve picks the run's warm-up and returns the scenario to run with it.
// closed: the run is a closed loop (run --concurrency).
func (w warmupFlag) resolve(sc *scenarios.Scenario, wo scenarios.WorkloadOptions, closed bool) (*scenarios.Scenario, scenarios.Warmup, error) {
	explicit := time.Duration(-1)
	if v, err := w.value(); err != nil {
		return nil, scenarios.Warmup{}, err
	} else if v != nil {
		explicit = *v
	}
	warm, err := sc.WarmupFor(wo, explicit, closed)
	if err != nil {
		return nil, warm, err
	}
	return sc.WithWarmup(warm.D), warm, nil
}

// warmupDesc is --warmup for a sweep's grid description ("auto": the
// scenario's, cut per point by the shortened-run rule).
func warmupDesc(w warmupFlag) string {
	if !w.set {
		return "auto"
	}
	return w.d.String()
}

// value is the warm-up the user gave (nil: none), refusing a negative one.
func (w warmupFlag) value() (*time.Duration, error) {
	if !w.set {
		return nil, nil
	}
	if w.d < 0 {
		return nil, fmt.Errorf("--warmup %s: want a duration of 0 or more", w.d)
	}
	d := w.d
	return &d, nil
}

// warnRequestCap warns (stderr) when --requests will not be reached: the
// duration ends the arrivals first (scenarios.RequestsUnreached), so the
// run measures fewer requests or tasks than the flag reads as asking for.
// closed: a closed loop, which has no expected arrivals.
func warnRequestCap(w io.Writer, sc *scenarios.Scenario, wo scenarios.WorkloadOptions, closed bool) {
	if closed {
		return
	}
	exp, dur, need, ok := sc.RequestsUnreached(wo)
	if !ok {
		return
	}
	which := "the scenario's duration " + dur.String()
	if wo.Duration > 0 {
		which = "--duration " + dur.String()
	}
	at := ""
	if wo.RateScale > 0 && wo.RateScale != 1 {
		at = " at " + strconv.FormatFloat(wo.RateScale, 'g', -1, 64) + "x traffic"
	}
	fmt.Fprintf(w, "fleetbench: warning: --requests %d will not be reached%s: %s ends the arrivals after about %s top-level requests or tasks (expected at the classes' mean rates); add --duration %s (or longer) to reach %d\n",
		wo.Requests, at, which, strconv.FormatFloat(exp, 'f', -1, 64), need.Round(time.Second), wo.Requests)
}

// warnSweepRequestCap is warnRequestCap for a simulated or live sweep
// whose points run at the grid's traffic multipliers (a scale curve's
// point: its rate scale times its scale): checked at the lowest, whose
// points reach the cap last. A max-load search chooses its probes' loads
// as it goes: warnProbesRequestCap checks them after it.
func warnSweepRequestCap(w io.Writer, sc *scenarios.Scenario, wo scenarios.WorkloadOptions, spec sweep.Spec) {
	if spec.Search == sweepfile.SearchMaxLoad {
		return
	}
	lowest := 1.0
	if len(spec.Grid.RateScales) > 0 {
		lowest = slices.Min(spec.Grid.RateScales)
	}
	if len(spec.Grid.Scales) > 0 {
		lowest *= slices.Min(spec.Grid.Scales)
	}
	wo.RateScale = lowest // a point's multiplier replaces the workload's (sweep.Runner)
	warnRequestCap(w, sc, wo, false)
}

// warnProbesRequestCap warns (stderr) after a max-load search when some of
// the probes that ran (open-loop, without error) ran at a traffic
// multiplier at which --requests is not reached: their verdicts rest on
// fewer requests than the flag asked for. It names those multipliers and
// the duration that reaches the cap at the lowest.
func warnProbesRequestCap(w io.Writer, sc *scenarios.Scenario, wo scenarios.WorkloadOptions, points []sweepfile.Point) {
	var ms []float64
	for _, p := range points {
		if p.Error == "" && p.Concurrency == 0 {
			ms = append(ms, p.RateScale)
		}
	}
	warnLevelsRequestCap(w, sc, wo, ms, "probes", "was")
}

// warnLevelsRequestCap warns (stderr) when --requests is not reached at
// some of the traffic multipliers ms (one per probe or level; noun names
// them, tense is "will" before they run, "was" after).
func warnLevelsRequestCap(w io.Writer, sc *scenarios.Scenario, wo scenarios.WorkloadOptions, ms []float64, noun, tense string) {
	type short struct {
		rs, exp float64
		dur     time.Duration
		need    time.Duration
	}
	var shorts []short
	n := 0
	for _, rs := range ms {
		o := wo
		o.RateScale = rs
		if exp, dur, need, ok := sc.RequestsUnreached(o); ok {
			shorts = append(shorts, short{rs, exp, dur, need})
			n++
		}
	}
	if len(shorts) == 0 {
		return
	}
	slices.SortFunc(shorts, func(a, b short) int { return cmp.Compare(a.rs, b.rs) })
	shorts = slices.CompactFunc(shorts, func(a, b short) bool { return a.rs == b.rs })
	xs := make([]string, len(shorts))
	for i, s := range shorts {
		xs[i] = fmtX(s.rs)
	}
	lo, hi := shorts[0], shorts[len(shorts)-1]
	which := "the scenario's duration " + lo.dur.String()
	if wo.Duration > 0 {
		which = "--duration " + lo.dur.String()
	}
	after := fmtCount(lo.exp) + " top-level requests or tasks at " + fmtX(lo.rs)
	if len(shorts) > 1 {
		after = fmtCount(lo.exp) + " (at " + fmtX(lo.rs) + ") to " + fmtCount(hi.exp) + " (at " + fmtX(hi.rs) + ") top-level requests or tasks"
	}
	verb := "will not be reached"
	if tense == "was" {
		verb = "was not reached"
	}
	fmt.Fprintf(w, "fleetbench: warning: --requests %d %s at %d of %d %s (%s traffic): %s ends the arrivals after about %s (expected at the classes' mean rates), so their figures rest on fewer requests than asked; add --duration %s (or longer) to reach %d at %s\n",
		wo.Requests, verb, n, len(ms), noun, strings.Join(xs, ", "), which, after, lo.need.Round(time.Second), wo.Requests, fmtX(lo.rs))
}

// fmtX writes a traffic multiplier ("1.5x").
func fmtX(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) + "x" }

// fmtCount writes an expected count (one decimal at most).
func fmtCount(v float64) string { return strconv.FormatFloat(v, 'f', -1, 64) }

// noteWarmup records in the result that a shortened run cut the scenario's
// warm-up (the table header says so).
func noteWarmup(res *results.Result, warm scenarios.Warmup) {
	if res != nil && warm.Shortened {
		res.Window.WarmupScenarioS = warm.Scenario.Seconds()
	}
}

// gateFlags are the end-of-run limits (results.Limits) of run and sim.
type gateFlags struct{ limits results.Limits }

// addGateFlags adds the limits; endpoint adds those that only a real run
// can break (drops at --max-inflight, a saturated client).
func addGateFlags(fl *pflag.FlagSet, g *gateFlags, endpoint bool) {
	fl.Float64Var(&g.limits.MaxErrorRate, "max-error-rate", results.DefaultLimits.MaxErrorRate, "exit 1 when a larger share of the measured requests failed")
	fl.BoolVar(&g.limits.SLOGate, "slo-gate", false, "exit 1 when a class misses its SLO (or a target was not measured)")
	fl.Float64Var(&g.limits.MaxLag, "max-lag", results.DefaultMaxLag, "exit 1 (and mark the cost a lower bound) when the fleet fell behind: a request sent in the window's last 10% waited for service longer than this share of the window (and over 2 s)")
	if endpoint {
		fl.Float64Var(&g.limits.MaxDropRate, "max-drop-rate", results.DefaultLimits.MaxDropRate, "exit 1 when a larger share of arrivals was dropped at --max-inflight")
		fl.BoolVar(&g.limits.FailOnSaturation, "fail-on-saturation", false, "exit 1 when the client saturated (schedule delay p99 over 50 ms), not only warn")
	}
}

// validate checks the limits are shares (exit 2 otherwise).
func (g gateFlags) validate() error {
	for _, v := range []struct {
		name string
		v    float64
	}{{"--max-error-rate", g.limits.MaxErrorRate}, {"--max-drop-rate", g.limits.MaxDropRate}} {
		if !(v.v >= 0 && v.v <= 1) {
			return fmt.Errorf("%s %v: want a share between 0 and 1 (0.01 = 1%%)", v.name, v.v)
		}
	}
	if !(g.limits.MaxLag > 0 && g.limits.MaxLag <= 1e6) {
		return fmt.Errorf("--max-lag %v: want a share of the window above 0 (0.1 = 10%%)", g.limits.MaxLag)
	}
	return nil
}

// judge checks the result against the limits: every broken limit is
// reported (one line each) and the command exits 1.
func (g gateFlags) judge(res *results.Result) error {
	fails := results.Check(res, g.limits)
	if len(fails) == 0 {
		return nil
	}
	msgs := make([]string, len(fails))
	for i, f := range fails {
		msgs[i] = f.Message
	}
	return failErr(errors.New(strings.Join(msgs, "\nfleetbench: ")))
}

// exitCodesHelp is the exit-code section of run's and sim's --help.
const exitCodesHelp = `
Exit status: 0 the run passed every limit; 1 it did not (nothing measured,
a class none of whose requests completed, failed share over --max-error-rate, the fleet fell behind the offered load
(--max-lag), a missed SLO with --slo-gate; run only:
drops over --max-drop-rate, a saturated client with --fail-on-saturation)
or an I/O error; 2 bad input (flags, scenario, fleet); 130 run interrupted
(Ctrl-C) after writing the partial result. The result file (-o) is written
in every case but 2.`

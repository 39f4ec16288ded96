package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// ErrorClassDropped is the error class of an open-loop arrival that was
// not sent because --max-inflight requests were already in flight. Drops
// say the client refused load, not that the server failed: they are
// counted apart from errors (see Limits).
const ErrorClassDropped = "dropped"

// Limits are the end-of-run thresholds a CI job relies on: fleetbench run
// and sim exit 1 when Check finds one broken (docs/metrics.md). The same
// limits stop a run early with --stop-early.
type Limits struct {
	// MaxErrorRate is the largest share of measured requests that may fail
	// (dropped arrivals excluded from both counts). Default 0.01.
	MaxErrorRate float64
	// MaxDropRate is the largest share of measured arrivals that may be
	// dropped at the --max-inflight cap. Default 0.
	MaxDropRate float64
	// SLOGate makes a class whose SLO verdict is not met (missed, or a
	// target not measured) a failure.
	SLOGate bool
	// FailOnSaturation makes a saturated client (schedule delay p99 over
	// ClientSaturatedP99Ms) a failure; otherwise it is only a warning.
	FailOnSaturation bool
	// MaxLag is the longest wait for service a measured request may have,
	// as a share of the window, before the fleet is said to have fallen
	// behind the offered load (see FellBehind). 0: DefaultMaxLag.
	MaxLag float64
}

// DefaultLimits are the limits of a run without flags.
var DefaultLimits = Limits{MaxErrorRate: 0.01}

// Check names of Failure.
const (
	CheckNothingMeasured = "nothing_measured"
	CheckErrorRate       = "error_rate"
	CheckDropRate        = "drop_rate"
	CheckSLO             = "slo"
	CheckSaturation      = "client_saturated"
	CheckFellBehind      = "fell_behind"
	CheckClassFailed     = "class_failed"
)

// Failure is one limit a result broke.
type Failure struct {
	Check   string // one of the Check* names
	Message string // what broke, with the numbers, for people
}

// Rates are the shares Check judges, from a result's totals.
type Rates struct {
	Measured  int64   // measured requests, drops excluded
	Failed    int64   // failed measured requests
	Dropped   int64   // arrivals dropped at the in-flight cap
	ErrorRate float64 // Failed / Measured (0 when nothing was measured)
	DropRate  float64 // Dropped / (Measured + Dropped)
}

// Failed is the number of c's requests that failed, arrivals dropped at
// --max-inflight left out (Errors counts both).
func (c *ClassResult) Failed() int64 { return c.Errors - c.ErrorsByClass[ErrorClassDropped] }

// RatesOf computes the error and drop rates of a class result (or totals).
func RatesOf(c *ClassResult) Rates {
	if c == nil {
		return Rates{}
	}
	d := c.ErrorsByClass[ErrorClassDropped]
	r := Rates{Measured: c.Requests - d, Failed: c.Failed(), Dropped: d}
	if r.Measured > 0 {
		r.ErrorRate = float64(r.Failed) / float64(r.Measured)
	}
	if c.Requests > 0 {
		r.DropRate = float64(d) / float64(c.Requests)
	}
	return r
}

// Check judges a result against the limits and returns every limit it
// broke, in a fixed order (nil: the run passes). It reads only the result,
// so a result file can be judged again later, and a partial result (for
// --stop-early) the same way as a finished one.
func Check(r *Result, l Limits) []Failure {
	if r == nil || r.Totals == nil {
		return []Failure{{CheckNothingMeasured, "no result"}}
	}
	var out []Failure
	t := r.Totals
	rt := RatesOf(t)
	w := r.Window
	switch {
	case t.Requests == 0 && w.WarmupS == 0:
		out = append(out, Failure{CheckNothingMeasured,
			"nothing measured: no task arrived in the run (there was no warm-up to exclude any): lengthen the run or raise --rate-scale"})
	case t.Requests == 0:
		out = append(out, Failure{CheckNothingMeasured, fmt.Sprintf(
			"nothing measured: no task arrived in the measurement window %.3f-%.3f s (warm-up %s s); shorten the warm-up with --warmup or lengthen the run",
			w.StartS, w.EndS, fmtSeconds(w.WarmupS))})
	case t.Completed == 0:
		out = append(out, Failure{CheckNothingMeasured, fmt.Sprintf(
			"nothing measured: none of the %d requests in the window %.3f-%.3f s (warm-up %s s) completed%s",
			t.Requests, w.StartS, w.EndS, fmtSeconds(w.WarmupS), errorSummary(t)+errorExamples(t))})
	}
	quoted := t.Completed == 0 // the examples are quoted once
	if t.Completed > 0 {
		// A class none of whose requests completed has no figure at all,
		// whatever its share of the requests (a small class hides under
		// --max-error-rate): always a failure, as nothing_measured is for
		// the whole run.
		for _, n := range sortedKeys(r.Classes) {
			if msg := ClassFailedWhole(n, r.Classes[n]); msg != "" {
				out = append(out, Failure{CheckClassFailed, msg})
				quoted = true
			}
		}
	}
	if rt.Measured > 0 && rt.ErrorRate > l.MaxErrorRate {
		out = append(out, Failure{CheckErrorRate, fmt.Sprintf(
			"%d of %d requests failed (%.2f%%), more than --max-error-rate %g%s",
			rt.Failed, rt.Measured, 100*rt.ErrorRate, l.MaxErrorRate, errorSummary(t)+examplesUnless(quoted, t))})
	}
	if rt.Dropped > 0 && rt.DropRate > l.MaxDropRate {
		out = append(out, Failure{CheckDropRate, fmt.Sprintf(
			"%d of %d arrivals dropped at --max-inflight (%.2f%%), more than --max-drop-rate %g: the client refused load it was asked to send",
			rt.Dropped, t.Requests, 100*rt.DropRate, l.MaxDropRate)})
	}
	if behind, why := FellBehind(r, l.MaxLag); behind {
		out = append(out, Failure{CheckFellBehind, why})
	}
	if l.SLOGate {
		for _, n := range sortedKeys(r.Classes) {
			c := r.Classes[n]
			if c == nil || c.SLO == nil || c.SLO.Met {
				continue
			}
			msg := fmt.Sprintf("class %s: SLO %s", n, strings.ToLower(sloCell(c.SLO)))
			if c.Requests == 0 { // nothing to judge: say why, and what to do
				msg += fmt.Sprintf(": no request of the class arrived in the window %.3f-%.3f s; lengthen the run (--duration, --requests) or raise --rate-scale", w.StartS, w.EndS)
			}
			out = append(out, Failure{CheckSLO, msg})
		}
	}
	if l.FailOnSaturation && Saturated(r) {
		out = append(out, Failure{CheckSaturation, fmt.Sprintf(
			"client saturated: schedule delay p99 %.1f ms > %d ms (--fail-on-saturation)", t.ScheduleDelay.P99, ClientSaturatedP99Ms)})
	}
	return out
}

// ClassFailedWhole says why class n completed none of its measured
// requests, every one of which failed ("" when some completed, or none
// failed): "class huge: none of its 31 measured requests completed (31
// too_long)".
func ClassFailedWhole(n string, c *ClassResult) string {
	if c == nil || c.Completed > 0 || c.Failed() == 0 {
		return ""
	}
	return fmt.Sprintf("class %s: none of its %d measured requests completed%s%s; its figures are not measured",
		n, RatesOf(c).Measured, errorSummary(c), errorExamples(c))
}

// Saturated reports whether the load generator fell behind its schedule
// (schedule delay p99 over ClientSaturatedP99Ms).
func Saturated(r *Result) bool {
	if r == nil || r.Totals == nil {
		return false
	}
	sd := r.Totals.ScheduleDelay
	return sd != nil && sd.P99 > ClientSaturatedP99Ms
}

// errorSummary is ": 12 connect, 3 timeout" for the failures of c (drops
// left out), or "".
func errorSummary(c *ClassResult) string {
	var parts []string
	for _, k := range sortedKeys(c.ErrorsByClass) {
		if k != ErrorClassDropped && c.ErrorsByClass[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", c.ErrorsByClass[k], k))
		}
	}
	if len(parts) == 0 {
		return ""
	}
	return " (" + strings.Join(parts, ", ") + ")"
}

// errorExamples is "; first http_4xx: HTTP 404 from ...: ..." for the
// error classes of c's failures that have an example (drops left out;
// ClassResult.ErrorExamples), or "": why they failed.
func errorExamples(c *ClassResult) string {
	var b strings.Builder
	for _, k := range sortedKeys(c.ErrorsByClass) {
		if ex := c.ErrorExamples[k]; k != ErrorClassDropped && c.ErrorsByClass[k] > 0 && ex != "" {
			fmt.Fprintf(&b, "; first %s: %s", k, ex)
		}
	}
	return b.String()
}

// examplesUnless is errorExamples(c), or "" when quoted (an earlier
// failure quoted them).
func examplesUnless(quoted bool, c *ClassResult) string {
	if quoted {
		return ""
	}
	return errorExamples(c)
}

func fmtSeconds(s float64) string { return strconv.FormatFloat(math.Round(s*1000)/1000, 'f', -1, 64) }

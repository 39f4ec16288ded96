package results

import (
	"fmt"
	"sort"
)

// Keeping up with the offered load (docs/metrics.md#keeping-up).
//
// Cost, rates and utilization are computed over the window, which ends at
// the last arrival: that is the steady-state cost only if the fleet served
// what arrived as fast as it arrived. A fleet that falls behind builds a
// backlog that it serves in the drain, after the window, and the window's
// cost then leaves that work out. A fleet falling behind by a share x of
// the offered load makes the last arrivals wait about x times the window
// for service, while a fleet that keeps up makes them wait no longer than
// its bursts do: so the longest wait for service, as a share of the window,
// is the test.

// DefaultMaxLag is the default Limits.MaxLag: the longest wait for service
// may be 10% of the window.
const DefaultMaxLag = 0.1

// LagFloorS is the wait under which a fleet is never said to have fallen
// behind, whatever the window: a wait under two seconds cannot tell a backlog
// from a burst, a slow prefill or a stalled test machine in a short run.
const LagFloorS = 2.0

// LagTail is the end of the window whose requests Lag looks at, as a share
// of the window: bursts earlier in the window that the fleet cleared are
// not a backlog; what the last arrivals waited is.
const LagTail = 0.1

// Lag is the longest time a request sent in the last LagTail of the window
// (at least one timeline bucket) waited for the fleet, in seconds, and what
// it waited for: "queue" (to be admitted; measured by the simulator),
// "ttft" (an endpoint run cannot see the server's queue, so the wait for
// the first token stands for it) or "itl" (the longest gap between two
// tokens: a PD fleet whose decode pool falls behind holds requests between
// their first and second token). ok is false when r measured none of them
// (a non-streaming endpoint run). A result without the wait gauges (written
// before them) is judged on its classes' maxima over the whole window.
func Lag(r *Result) (s float64, of string, ok bool) {
	if r == nil {
		return 0, "", false
	}
	consider := func(v float64, name string) {
		if v /= 1000; !ok || v > s {
			s, of, ok = v, name, true
		}
	}
	if tl := r.Timeline; tl != nil && tl.IntervalNs > 0 && tl.WaitMaxMs != nil {
		w := tl.WaitMaxMs
		end := r.Window.EndNs
		tail := max(int64(LagTail*float64(end-r.Window.StartNs)), tl.IntervalNs)
		lo, hi := max(int((end-tail)/tl.IntervalNs), 0), int(end/tl.IntervalNs)
		tailMax := func(series []*float64, name string) {
			for i := lo; i <= hi && i < len(series); i++ {
				if v := series[i]; v != nil && *v > 0 {
					consider(*v, name)
				}
			}
		}
		if w.Queue != nil {
			tailMax(w.Queue, "queue")
		} else {
			tailMax(w.TTFT, "ttft")
		}
		tailMax(w.ITL, "itl")
		return s, of, ok
	}
	names := make([]string, 0, len(r.Classes))
	for n := range r.Classes {
		names = append(names, n)
	}
	sort.Strings(names)
	pmax := func(p *Percentiles, name string) {
		if p != nil && p.Count > 0 {
			consider(p.Max, name)
		}
	}
	for _, n := range names {
		c := r.Classes[n]
		if c == nil {
			continue
		}
		if c.Queue != nil && c.Queue.Count > 0 {
			pmax(c.Queue, "queue")
		} else {
			pmax(c.TTFT, "ttft")
		}
		pmax(c.ITL, "itl")
	}
	return s, of, ok
}

// FellBehind reports whether the fleet of r did not keep up with the load
// offered in the window: its longest wait for service (Lag) exceeded
// maxLag (0: DefaultMaxLag) of the window and LagFloorS. why says so with
// the numbers, for people.
func FellBehind(r *Result, maxLag float64) (behind bool, why string) {
	if maxLag <= 0 {
		maxLag = DefaultMaxLag
	}
	lag, of, ok := Lag(r)
	win := r.Window.DurationS
	if !ok || win <= 0 || lag <= LagFloorS || lag <= maxLag*win {
		return false, ""
	}
	what := map[string]string{
		"queue": "waited %s s to be admitted",
		"ttft":  "waited %s s for its first token",
		"itl":   "waited %s s between two tokens",
	}[of]
	drain := ""
	if r.Window.DrainEndS > r.Window.EndS {
		drain = fmt.Sprintf("; it finished the measured requests %s s after the last arrival", fmtSeconds(r.Window.DrainEndS-r.Window.EndS))
	}
	return true, fmt.Sprintf(
		FellBehindWarn+" the offered load: a request sent in the last 10%% of the window "+what+", %.0f%% of the %s s window (more than --max-lag %g)%s; "+
			"cost over the window leaves out the backlog served after it, so cost per task is a lower bound and margin an upper bound: add capacity or lower the load",
		fmtSeconds(lag), 100*lag/win, fmtSeconds(win), maxLag, drain)
}

// FellBehindWarn starts the keep-up check's warning (the fleet could not
// keep up with the offered load): sweep notes leave it to the point's own
// column and verdict.
const FellBehindWarn = "the fleet fell behind"

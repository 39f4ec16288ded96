package sim

import "slices"

// The measurement window runs from the end of the warm-up to the last
// top-level arrival (see docs/metrics.md). Pools count busy time as steps
// are planned or settled, so the busy time inside the window is the
// difference of two snapshots, each corrected for the steps running at the
// snapshot instant: a prefill (mixed) step was counted whole when it
// started, a decode span is counted when it settles, a clip when it starts.

// windowMarks holds the per-pool busy time at the window's two edges.
type windowMarks struct {
	startTaken, endTaken bool
	start, end           []int64 // per fleet.pools, then the video pool last
	// Step and token counters of the LLM pools at the edges (steps
	// running at the instant are left to the side that settles them).
	startCounts, endCounts [][3]int64
	endNs                  int64 // the last top-level arrival at or after the warm-up
	// Each pool's busy time charged to each class up to the edges
	// (fleet.classBusyAt): the attribution is their difference.
	classStart, classEnd [][]float64
}

// busyAt is each pool's busy instance time up to t, counting only the part
// of running steps before t. t must be the current time or lie between the
// previous event and the current one (nothing changed in between).
func (f *fleet) busyAt(t int64) []int64 {
	out := make([]int64, len(f.pools)+1)
	for i, p := range f.pools {
		b := p.busyNs
		for _, in := range p.insts {
			b += in.uncountedAt(t)
		}
		out[i] = b
	}
	if v := f.video; v != nil {
		b := v.busyNs
		for i := range v.insts {
			b += v.uncountedAt(int32(i), t)
		}
		out[len(f.pools)] = b
	}
	return out
}

// classBusyAt is each pool's busy time charged to each class up to t
// (per fleet.pools, then the video pool), corrected as busyAt is, the
// correction split as the step is charged (its batch does not change
// while it runs). t as for busyAt.
func (f *fleet) classBusyAt(t int64) [][]float64 {
	out := make([][]float64, len(f.pools)+1)
	for i, p := range f.pools {
		b := slices.Clone(p.classBusy)
		add := func(c int, d float64) { b[c] += d }
		for _, in := range p.insts {
			switch d := in.uncountedAt(t); {
			case d == 0:
			case in.mixed:
				in.mixedCharges(float64(d), add)
			default:
				in.decoderCharges(float64(d), add)
			}
		}
		out[i] = b
	}
	if v := f.video; v != nil {
		b := slices.Clone(v.classBusy)
		for i := range v.insts {
			b[v.cls[i]] += float64(v.uncountedAt(int32(i), t))
		}
		out[len(f.pools)] = b
	}
	return out
}

// uncountedAt is what the busy time counted so far lacks at t for the
// step running on in, if any: a mixed step was counted whole when it
// started (less its part after t), a decode span is counted when it
// settles (plus its part before t).
func (in *instance) uncountedAt(t int64) int64 {
	switch {
	case !in.busy || in.span == 0 || len(in.spanEnds) == 0:
		return 0
	case in.mixed:
		return -max(in.spanEnds[0]-t, 0)
	}
	return max(t-in.stepStart, 0)
}

// uncountedAt is the same for video instance i: a clip was counted whole
// when it started.
func (v *videoPool) uncountedAt(i int32, t int64) int64 {
	if !v.insts[i] {
		return 0
	}
	return -max(v.until[i]-t, 0)
}

// markWindowStart takes the warm-up-end snapshot once time reaches it.
func (e *engine) markWindowStart(t int64) {
	if e.marks.startTaken || t < int64(e.sc.Warmup) {
		return
	}
	e.marks.startTaken = true
	e.marks.start = e.fleet.busyAt(int64(e.sc.Warmup))
	e.marks.classStart = e.fleet.classBusyAt(int64(e.sc.Warmup))
	e.marks.startCounts = e.fleet.countsNow()
}

// countsNow is each LLM pool's steps, prompt tokens and decode tokens so
// far.
func (f *fleet) countsNow() [][3]int64 {
	out := make([][3]int64, len(f.pools))
	for i, p := range f.pools {
		out[i] = [3]int64{p.steps, p.prefillTokens, p.decodeTokens}
	}
	return out
}

// markArrival notes a top-level arrival at the current time; the last one
// inside the window ends it.
func (e *engine) markArrival(last bool) {
	if !last || e.now < int64(e.sc.Warmup) {
		return
	}
	e.markWindowStart(e.now)
	e.marks.endTaken = true
	e.marks.endNs = e.now
	e.marks.end = e.fleet.busyAt(e.now)
	e.marks.classEnd = e.fleet.classBusyAt(e.now)
	e.marks.endCounts = e.fleet.countsNow()
}

// windowBusySeconds is pool i's busy instance time inside the window
// (i == len(fleet.pools): the video pool).
func (e *engine) windowBusySeconds(i int) float64 {
	if !e.marks.endTaken {
		return 0
	}
	return float64(e.marks.end[i]-e.marks.start[i]) / 1e9
}

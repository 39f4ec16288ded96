package sim

import (
	"math"
	"slices"
)

// Class attribution: each step's busy time is charged to the classes of
// the sequences in it (instance.go: mixedCharges, decoderCharges), and a
// pool's cost is shared by the classes' busy time inside the measurement
// window (window.go's class snapshots).

// charge attributes d ns of one instance's busy time to class c.
func (p *pool) charge(c int, d float64) { p.classBusy[c] += d }

// attribution is the result's class -> pool -> share of the busy time
// inside the measurement window (the difference of the window's class
// snapshots, start and end). A pool idle through the window, or a run
// without an end snapshot, is shared by the whole run's busy time.
func (f *fleet) attribution(classes []string, start, end [][]float64) map[string]map[string]float64 {
	out := map[string]map[string]float64{}
	add := func(role string, i int, run []float64) {
		busy := run
		if end != nil {
			busy = slices.Clone(end[i])
			for c := range busy {
				// Float noise of the edge corrections must not make a class
				// with no time in the window a (negative) share.
				busy[c] = max(busy[c]-start[i][c], 0)
			}
		}
		total := sum(busy)
		if total == 0 {
			busy, total = run, sum(run)
		}
		if total == 0 {
			return
		}
		for c, b := range busy {
			share := roundShare(b / total)
			if share == 0 {
				continue
			}
			if out[classes[c]] == nil {
				out[classes[c]] = map[string]float64{}
			}
			out[classes[c]][role] = share
		}
	}
	for i, p := range f.pools {
		add(p.spec.Role.String(), i, p.classBusy)
	}
	if f.video != nil {
		add("video", len(f.pools), f.video.classBusy)
	}
	return out
}

// sum is the total of xs.
func sum(xs []float64) float64 {
	var t float64
	for _, x := range xs {
		t += x
	}
	return t
}

// roundShare keeps shares stable in JSON (9 decimals).
func roundShare(v float64) float64 { return math.Round(v*1e9) / 1e9 }

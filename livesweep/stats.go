package livesweep

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// combine folds the repeats of one step into its point: metrics are the
// means, CI95 the half-widths of their 95% confidence intervals (Student
// t on the repeats), and the step meets its SLOs only if every repeat did
// (and fell behind the offered load if any repeat did).
func combine(sp sweepfile.Point, reps []sweepfile.Point) sweepfile.Point {
	if len(reps) == 1 {
		one := reps[0]
		one.Index = sp.Index
		return one
	}
	sp.Repeats = len(reps)
	sp.MeetsSLO = true
	sp.Metrics = map[string]float64{}
	sp.CI95 = map[string]float64{}
	var stopped []string
	for _, r := range reps {
		sp.MeetsSLO = sp.MeetsSLO && r.MeetsSLO
		sp.FellBehind = sp.FellBehind || r.FellBehind
		if r.Stopped != "" {
			stopped = append(stopped, r.Stopped)
		}
	}
	for k := range reps[0].Metrics {
		var xs []float64
		for _, r := range reps {
			if v, ok := r.Metrics[k]; ok {
				xs = append(xs, v)
			}
		}
		if len(xs) != len(reps) {
			continue // not measured in every repeat: no mean to show
		}
		m, h := meanCI(xs)
		sp.Metrics[k] = m
		if !math.IsNaN(h) {
			sp.CI95[k] = h
		}
	}
	// A kind-mixed step keeps its label and each class's mean latencies.
	sp.Kind = reps[0].Kind
	for c, cm := range reps[0].Classes {
		for k := range cm {
			var xs []float64
			for _, r := range reps {
				if v, ok := r.Classes[c][k]; ok {
					xs = append(xs, v)
				}
			}
			if len(xs) != len(reps) {
				continue
			}
			if sp.Classes == nil {
				sp.Classes = map[string]map[string]float64{}
			}
			if sp.Classes[c] == nil {
				sp.Classes[c] = map[string]float64{}
			}
			sp.Classes[c][k], _ = meanCI(xs)
		}
	}
	if len(stopped) > 0 {
		sp.Stopped = fmt.Sprintf("%d of %d repeats: %s", len(stopped), len(reps), stopped[0])
	}
	return sp
}

// tQuantile975 is Student's t 0.975 quantile by degrees of freedom 1..20.
var tQuantile975 = []float64{12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
	2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086}

// meanCI is the mean of xs and the half-width of its 95% confidence
// interval (NaN for fewer than two values).
func meanCI(xs []float64) (mean, half float64) {
	n := float64(len(xs))
	for _, x := range xs {
		mean += x
	}
	mean /= n
	if len(xs) < 2 {
		return mean, math.NaN()
	}
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	sd := math.Sqrt(ss / (n - 1))
	t := 1.96
	if df := len(xs) - 1; df <= len(tQuantile975) {
		t = tQuantile975[df-1]
	}
	return mean, t * sd / math.Sqrt(n)
}

// Saturation thresholds: a step is saturated when the endpoint delivered
// less than deliveredShare of the throughput offered to it (it could not
// keep up: requests queued past the arrivals) while TTFT p50, the
// queueing delay a client sees, rose to at least queueGrowth times the
// lowest step's.
const (
	deliveredShare = 0.9
	queueGrowth    = 2.0
)

// Saturation finds the saturation point of steps (open loop: by rate
// scale): the lowest-load step from which every higher step is saturated,
// with the figures that show it; nil when no step is.
func Saturation(side string, steps []sweepfile.Point) *sweepfile.Saturation {
	var pts []sweepfile.Point
	for _, p := range steps {
		// A step stopped early was cut short: its throughput is not what
		// the endpoint delivers.
		if p.Error == "" && p.Stopped == "" && p.Metrics != nil {
			pts = append(pts, p)
		}
	}
	closed := len(pts) > 0 && pts[0].Concurrency > 0
	load := func(p sweepfile.Point) float64 {
		if closed {
			return float64(p.Concurrency)
		}
		return p.RateScale
	}
	slices.SortStableFunc(pts, func(a, b sweepfile.Point) int {
		return cmp.Compare(load(a), load(b))
	})
	if len(pts) < 2 {
		return nil
	}
	// The totals' TTFT of a kind-mixed scenario pools chat turns with agent
	// steps: still a queueing signal, but no one class's latency, so the
	// evidence names it so (docs/metrics.md).
	ttft := "TTFT p50"
	if pts[0].Kind == results.KindMixed {
		ttft = "TTFT p50 (pooled over classes of different kinds)"
	}
	base, ok := pts[0].Metrics["ttft_p50_ms"]
	if !ok || base <= 0 {
		return nil
	}
	saturated := func(p sweepfile.Point) (string, bool) {
		q, okQ := p.Metrics["ttft_p50_ms"]
		if !okQ || q < queueGrowth*base {
			return "", false
		}
		if closed {
			// Closed loop: the offered load is the concurrency; throughput
			// that no longer grows with it is the sign.
			return fmt.Sprintf("%s %.4g ms (%.1f× the lowest step's %.4g ms)", ttft, q, q/base, base), true
		}
		off, okO := p.Metrics["output_tok_s"]
		del, okD := p.Metrics[DeliveredKey]
		if !okO || !okD || off <= 0 || del >= deliveredShare*off {
			return "", false
		}
		return fmt.Sprintf("delivered %.4g of %.4g output tok/s offered (%.0f%%), %s %.4g ms (%.1f× the lowest step's %.4g ms)",
			del, off, 100*del/off, ttft, q, q/base, base), true
	}
	first := -1
	for i := len(pts) - 1; i >= 1; i-- {
		if _, ok := saturated(pts[i]); !ok {
			break
		}
		first = i
	}
	if closed && first > 0 {
		// Closed loop needs throughput to have stopped growing as well.
		t0, t1 := pts[first-1].Metrics["output_tok_s"], pts[first].Metrics["output_tok_s"]
		if !(t1 < 1.1*t0) {
			first = -1
		}
	}
	if first < 0 {
		return nil
	}
	ev, _ := saturated(pts[first])
	var b strings.Builder
	fmt.Fprintf(&b, "%s saturates at step %s: %s", side, stepName(pts[first]), ev)
	if first > 0 {
		prev := pts[first-1]
		fmt.Fprintf(&b, "; the step below (%s) delivered %.4g tok/s at %s %.4g ms", stepName(prev), prev.Metrics[DeliveredKey], ttft, prev.Metrics["ttft_p50_ms"])
	}
	s := &sweepfile.Saturation{Side: side, Evidence: b.String()}
	if closed {
		s.Concurrency = pts[first].Concurrency
	} else {
		s.RateScale = pts[first].RateScale
	}
	return s
}

func stepName(p sweepfile.Point) string {
	if p.Concurrency > 0 {
		return fmt.Sprintf("concurrency %d", p.Concurrency)
	}
	return fmt.Sprintf("%.4g×", p.RateScale)
}

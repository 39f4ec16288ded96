package htmlreport

import (
	"slices"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// liveChart draws a live sweep (sweep --target): measured and predicted
// curves on one chart against the offered load: TTFT p99 (left axis) and
// delivered output throughput (right), with the measured and predicted
// max loads marked.
func liveChart(b *builder, s *sweepfile.Sweep) []chartRef {
	closed := slices.ContainsFunc(s.Points, func(p sweepfile.Point) bool { return p.Concurrency > 0 })
	x := xChoice{name: "traffic multiplier", unit: "x", of: func(p *sweepfile.Point) float64 { return p.RateScale }}
	if closed {
		x = xChoice{name: "concurrency", of: func(p *sweepfile.Point) float64 { return float64(p.Concurrency) }}
	}
	sorted := func(ps []sweepfile.Point) []*sweepfile.Point {
		out := validPoints(ps)
		slices.SortStableFunc(out, func(a, c *sweepfile.Point) int {
			switch xa, xc := x.of(a), x.of(c); {
			case xa < xc:
				return -1
			case xa > xc:
				return 1
			}
			return 0
		})
		return out
	}
	meas, pred := sorted(s.Points), sorted(s.Predicted)
	if len(meas) == 0 {
		return nil
	}
	const delivered = "delivered_tok_s"
	c := &chartSpec{X: xAxis(x), Y: axis{Name: "TTFT p99", Unit: "ms", Min: ptr(0)}, Y2: &axis{Name: "delivered output tok/s", Min: ptr(0)}, Legend: true}
	c.Series = append(c.Series, metricSeries("measured TTFT p99", color(0), "", 0, meas, x, mTTFT99, 1),
		metricSeries("measured tok/s", color(2), "", 1, meas, x, delivered, 1))
	if len(pred) > 0 {
		c.Series = append(c.Series, metricSeries("predicted TTFT p99", color(0), "dashed", 0, pred, x, mTTFT99, 1),
			metricSeries("predicted tok/s", color(2), "dashed", 1, pred, x, delivered, 1))
	}
	if a := s.Answer; a != nil && !closed {
		c.Marks = append(c.Marks, mark{Axis: "x", Value: a.RateScale, Label: "measured max load", Color: colorMeet})
	}
	if a := s.PredictedAnswer; a != nil {
		c.Marks = append(c.Marks, mark{Axis: "x", Value: a.RateScale, Label: "predicted max load", Color: colorAnswer})
	}
	note := "solid: measured on the endpoint; dashed: the simulator's prediction for fleet " + orDash(s.PredictedFleet) + "; lines: the max loads"
	if len(pred) == 0 {
		note = "measured on the endpoint (no --predict)"
	}
	return []chartRef{b.add(c, "Measured vs predicted: TTFT p99 and delivered throughput vs "+x.name, note, true)}
}

package livesweep

import (
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Prediction is the simulator's side of a live sweep: the fleet the
// endpoint is declared to be, simulated on the same steps.
type Prediction struct {
	// Sim simulates the declared fleet (its Base.Fleet, GPU, TP); its
	// Workload and Warmup should equal the live Runner's so both sides run
	// the same arrivals.
	Sim *sweep.Runner
}

// run simulates every measured step for the declared fleet and, for a
// max-load search, runs the simulator's own bisection from the same first
// step, filling sw.Predicted, PredictedAnswer and the predicted
// saturation.
func (p *Prediction) run(spec sweep.Spec, base sweep.Point, sw *sweepfile.Sweep) error {
	b := p.Sim.Base
	sw.PredictedFleet = b.Fleet
	at := func(q sweep.Point) sweep.Point {
		q.Fleet, q.GPU, q.TP, q.Routing = b.Fleet, b.GPU, b.TP, b.Routing
		return q
	}
	var pts []sweep.Point
	for _, m := range sw.Points {
		if m.Concurrency > 0 {
			sw.Notes = append(sw.Notes, "no prediction for closed-loop steps: the simulator plays open-loop arrivals (use a --rate-scale grid or --search max-load to compare)")
			return nil
		}
		pts = append(pts, at(sweep.Point{Index: m.Index, RateScale: m.RateScale}))
	}
	keep := p.Sim.KeepResults
	p.Sim.KeepResults = true
	sw.Predicted = p.Sim.Run(pts)
	p.Sim.KeepResults = keep
	for i := range sw.Predicted {
		q := &sw.Predicted[i]
		addStats(q, q.Result)
		if !keep {
			q.Result = nil
		}
	}
	if s := Saturation("predicted", sw.Predicted); s != nil {
		sw.Saturation = append(sw.Saturation, *s)
	}
	if spec.Search == sweepfile.SearchMaxLoad {
		own := &sweepfile.Sweep{}
		if err := sweep.MaxLoad(spec, []sweep.Point{at(base)}, 1, p.Sim.One, own); err != nil {
			return err
		}
		sw.PredictedAnswer = sweepfile.PickAnswer(sweepfile.SearchMaxLoad, "", own.Points)
		for _, n := range own.Notes {
			sw.Notes = append(sw.Notes, "predicted: "+n)
		}
	}
	return nil
}

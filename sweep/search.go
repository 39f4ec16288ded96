package sweep

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Spec says what to sweep and which search to run over it.
type Spec struct {
	// Search is "" (evaluate the whole grid), sweepfile.SearchMinFleet,
	// SearchMaxLoad, SearchBestSplit or SearchScale.
	Search string
	// Objective of best-split: sweepfile.ObjectiveGoodput (default) or
	// ObjectiveCost.
	Objective string
	// Grid is the axes. For best-split, Fleets is ignored: the fleets are
	// every P:D split of Budget; for max-load, RateScales holds at most one
	// value, the first probe (default 1).
	Grid Grid
	// Budget is the GPU budget of best-split.
	Budget int
	// Tolerance is max-load's relative bisection tolerance (default 0.02:
	// the bracket ends within 2% of the sustained multiplier).
	Tolerance float64
	// MaxRateScale caps max-load's doubling (default 1024).
	MaxRateScale float64
	// ShardI and ShardN select the points with index % ShardN == ShardI;
	// ShardN 0 runs every point.
	ShardI, ShardN int
	// Exhaustive makes min-fleet evaluate every grid point instead of
	// stopping after the smallest GPU count that meets every SLO (shards
	// are always exhaustive, so that their merge picks the same answer).
	Exhaustive bool
	// Describe is appended to the grid description (workload options that
	// shards must share, e.g. "requests=1000").
	Describe string
}

// minFleetBatch is how many points min-fleet evaluates per round, at least:
// whole GPU-count tiers are added until the batch has this many. It is a
// constant, not the parallelism, so that the points visited never depend on
// -j.
const minFleetBatch = 8

// Run executes the sweep described by spec with r and returns the sweep
// file. Invalid specs are errors; points that fail carry their error.
func Run(r *Runner, spec Spec) (*sweepfile.Sweep, error) {
	if spec.ShardN < 0 || (spec.ShardN > 0 && (spec.ShardI < 0 || spec.ShardI >= spec.ShardN)) {
		return nil, fmt.Errorf("shard %d/%d: want 0 <= i < n", spec.ShardI, spec.ShardN)
	}
	sw := &sweepfile.Sweep{
		Schema:   sweepfile.Schema,
		Scenario: results.ScenarioInfo{Name: r.Scenario.Name, Seed: r.Scenario.Seed, Hash: r.Scenario.Hash()},
		Search:   spec.Search,
	}
	if r.Workload.Seed != nil {
		sw.Scenario.Seed = *r.Workload.Seed
	}
	if spec.ShardN > 0 {
		sw.Shard = fmt.Sprintf("%d/%d", spec.ShardI, spec.ShardN)
	}
	if (spec.Search == sweepfile.SearchMinFleet || spec.Search == sweepfile.SearchMaxLoad || spec.Search == sweepfile.SearchBestSplit) && !hasSLO(r.Scenario) {
		sw.Notes = append(sw.Notes, fmt.Sprintf("scenario %q sets no SLO: every point that completes requests counts as meeting it; add slo: bounds to its classes", r.Scenario.Name))
	}
	notes := len(sw.Notes)
	var err error
	switch spec.Search {
	case "", sweepfile.SearchScale:
		if spec.Search == sweepfile.SearchScale && len(spec.Grid.Scales) == 0 {
			return nil, errors.New("a scale curve needs scales (--scale 1,10,100)")
		}
		err = runGrid(r, spec, sw)
	case sweepfile.SearchMinFleet:
		err = runMinFleet(r, spec, sw)
	case sweepfile.SearchBestSplit:
		err = runBestSplit(r, spec, sw)
	case sweepfile.SearchMaxLoad:
		err = runMaxLoad(r, spec, sw)
	default:
		return nil, fmt.Errorf("unknown search %q (use min-fleet, max-load or best-split; --scale makes a scale curve)", spec.Search)
	}
	if err != nil {
		return nil, err
	}
	if r.stopped() {
		// Interrupted: a search cut short concludes nothing (a point it
		// did not run might have met the SLOs); the caller says so.
		sw.Notes = sw.Notes[:notes]
		return sw, nil
	}
	sw.Notes = append(sw.Notes, sweepfile.PointNotes(sw.Points)...)
	sw.Answer = sweepfile.PickAnswer(sw.Search, sw.Objective, sw.Points)
	return sw, nil
}

// selectShard applies the spec's shard and records the grid description.
func selectShard(spec Spec, pts []Point, sw *sweepfile.Sweep) []Point {
	sw.Grid = Describe(pts, spec.Describe)
	if spec.ShardN > 0 {
		return Shard(pts, spec.ShardI, spec.ShardN)
	}
	return pts
}

func runGrid(r *Runner, spec Spec, sw *sweepfile.Sweep) error {
	pts, err := spec.Grid.Points(r.Base)
	if err != nil {
		return err
	}
	sw.Points = r.Run(selectShard(spec, pts, sw))
	return nil
}

// runMinFleet evaluates the grid in increasing order of GPU count, whole
// GPU-count tiers at a time, and stops after the first round in which some
// point meets every SLO: every point with fewer GPUs has then been
// evaluated and failed, so the pick is the grid's smallest passing fleet.
func runMinFleet(r *Runner, spec Spec, sw *sweepfile.Sweep) error {
	if len(spec.Grid.RateScales) > 1 {
		return fmt.Errorf("min-fleet searches at one load: give at most one --rate-scale (got %d)", len(spec.Grid.RateScales))
	}
	if len(spec.Grid.Scales) > 0 {
		return errors.New("min-fleet and --scale do not combine: the scale curve multiplies the fleet itself")
	}
	all, err := spec.Grid.Points(r.Base)
	if err != nil {
		return err
	}
	pts := selectShard(spec, all, sw)
	type est struct {
		p    Point
		gpus int
	}
	order := make([]est, 0, len(pts))
	smallest := 0 // the grid's smallest GPU count
	for _, p := range pts {
		fleet, err := r.fleetFor(p)
		n := 0
		if err == nil {
			n = EstimateGPUs(fleet, p.TP)
		}
		order = append(order, est{p, n})
		if n > 0 && (smallest == 0 || n < smallest) {
			smallest = n
		}
	}
	if spec.Exhaustive || spec.ShardN > 0 {
		sw.Points = r.Run(pts)
		if spec.ShardN == 0 {
			noteGridEdge(sw, smallest)
		}
		return nil
	}
	slices.SortStableFunc(order, func(a, b est) int { return a.gpus - b.gpus }) // stable: index order within a tier
	var done []sweepfile.Point
	for i := 0; i < len(order); {
		j := i
		for j < len(order) && (j-i < minFleetBatch || order[j].gpus == order[j-1].gpus) {
			j++
		}
		batch := make([]Point, 0, j-i)
		for _, e := range order[i:j] {
			batch = append(batch, e.p)
		}
		got := r.Run(batch)
		done = append(done, got...)
		i = j
		if slices.ContainsFunc(got, func(p sweepfile.Point) bool { return p.MeetsSLO && p.Error == "" }) {
			if i < len(order) {
				sw.Notes = append(sw.Notes, fmt.Sprintf("evaluated %d of %d grid points in order of GPU count and stopped after the first tier with a fleet meeting every SLO; pass --exhaustive to evaluate them all", len(done), len(order)))
			}
			break
		}
	}
	slices.SortFunc(done, func(a, b sweepfile.Point) int { return a.Index - b.Index })
	sw.Points = done
	if sweepfile.PickAnswer(sweepfile.SearchMinFleet, "", done) == nil {
		if idle := sweepfile.IdleEverywhere(done); len(idle) > 0 {
			// Not a capacity answer: a class's SLO was never judged.
			sw.Notes = append(sw.Notes, fmt.Sprintf("no answer: no request of class %s arrived in the window at any point, so its SLO is not judged; lengthen the run (--duration, --requests), not the grid", strings.Join(idle, ", ")))
		} else {
			sw.Notes = append(sw.Notes, "no grid point meets every SLO: widen the grid (larger --prefill/--decode upper bounds, more TP, another --gpu)")
		}
	}
	noteGridEdge(sw, smallest)
	return nil
}

// noteGridEdge adds sweepfile.GridEdgeNote for the min-fleet answer.
func noteGridEdge(sw *sweepfile.Sweep, smallest int) {
	if note := sweepfile.GridEdgeNote(sweepfile.PickAnswer(sweepfile.SearchMinFleet, "", sw.Points), smallest); note != "" {
		sw.Notes = append(sw.Notes, note)
	}
}

// splitPoints lists every P:D split of the GPU budget for each GPU, TP,
// routing and rate scale: p prefill and n-p decode instances of TP GPUs
// each, n = budget / TP.
func splitPoints(r *Runner, spec Spec) ([]Point, []string, error) {
	g := spec.Grid
	if spec.Budget <= 0 {
		return nil, nil, errors.New("best-split needs a GPU budget: pass --gpus N (e.g. --gpus 32)")
	}
	if len(g.Fleets) > 0 {
		return nil, nil, errors.New("best-split chooses the fleets itself (every P:D split of --gpus): drop --fleet, --prefill and --decode")
	}
	var pts []Point
	var notes []string
	for _, gp := range orDefault(g.GPUs, r.Base.GPU) {
		for _, tp := range orDefault(g.TPs, max(r.Base.TP, 1)) {
			n := spec.Budget / tp
			if n < 2 || spec.Budget%tp != 0 {
				notes = append(notes, fmt.Sprintf("TP %d skipped: %d GPUs do not make at least two whole TP-%d instances", tp, spec.Budget, tp))
				continue
			}
			for _, ro := range orDefault(g.Routings, r.Base.Routing) {
				for _, rs := range orDefault(g.RateScales, 1) {
					for p := 1; p < n; p++ {
						pts = append(pts, Point{Index: len(pts), Fleet: fmt.Sprintf("%dP%dD", p, n-p), GPU: gp, TP: tp, Routing: ro, RateScale: rs})
					}
				}
			}
		}
	}
	if len(pts) == 0 {
		return nil, notes, fmt.Errorf("best-split: no TP degree divides %d GPUs into at least two instances: pick --gpus a multiple of --tp", spec.Budget)
	}
	if len(pts) > MaxPoints {
		return nil, notes, fmt.Errorf("best-split: %d points, more than %d: lower --gpus or raise --tp", len(pts), MaxPoints)
	}
	return pts, notes, nil
}

func runBestSplit(r *Runner, spec Spec, sw *sweepfile.Sweep) error {
	switch spec.Objective {
	case "":
		spec.Objective = sweepfile.ObjectiveGoodput
	case sweepfile.ObjectiveGoodput, sweepfile.ObjectiveCost:
	default:
		return fmt.Errorf("unknown objective %q for best-split (use goodput or cost)", spec.Objective)
	}
	sw.Objective = spec.Objective
	pts, notes, err := splitPoints(r, spec)
	if err != nil {
		return err
	}
	sw.Notes = append(sw.Notes, notes...)
	if spec.Describe != "" {
		spec.Describe = fmt.Sprintf("budget=%d %s", spec.Budget, spec.Describe)
	} else {
		spec.Describe = fmt.Sprintf("budget=%d", spec.Budget)
	}
	sw.Points = r.Run(selectShard(spec, pts, sw))
	if spec.Objective == sweepfile.ObjectiveGoodput && len(sw.Points) > 1 && allMeet(sw.Points) {
		// (Not --objective cost: one budget costs the same per task on
		// every split that completes the tasks: SplitTieNote.)
		sw.Notes = append(sw.Notes, "every split meets every SLO at this load, so goodput only separates them by noise: raise --rate-scale to find the split that holds up best")
	}
	if spec.ShardN == 0 { // a merge notes it over every shard's points
		if note := sweepfile.SplitTieNote(sw.Objective, sw.Points); note != "" {
			sw.Notes = append(sw.Notes, note)
		}
	}
	return nil
}

func allMeet(pts []sweepfile.Point) bool {
	for _, p := range pts {
		if !p.MeetsSLO {
			return false
		}
	}
	return true
}

// fmtFleetCfg names a configuration in notes.
func fmtFleetCfg(p sweepfile.Point) string {
	if p.GPU == "" { // a live endpoint (package livesweep): nothing more is known
		return p.Fleet
	}
	parts := []string{p.Fleet, p.GPU}
	if p.TP > 0 { // none on a video-only fleet
		parts = append(parts, fmt.Sprintf("tp%d", p.TP))
	}
	if p.Routing != "" {
		parts = append(parts, p.Routing)
	}
	return strings.Join(parts, " ")
}

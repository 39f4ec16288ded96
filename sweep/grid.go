// Package sweep runs many independent simulations of one scenario — a grid
// of fleets, GPU types, TP degrees, routing policies and traffic
// multipliers — in parallel, and searches that grid: the smallest fleet
// meeting every SLO, the highest load a fleet sustains (bisection), the
// best prefill:decode split for a GPU budget, and scale curves (traffic and
// fleet multiplied together).
//
// Each simulation is sim.Run, a pure function, so points run one per
// goroutine and the outcome never depends on how many run at once: points
// are stored by grid index and every search visits the same points in the
// same order for any parallelism.
package sweep

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetbench/fleetbench/sim"
)

// Grid is the set of axes of a sweep; the points are their cartesian
// product. Empty axes take the base configuration's value.
type Grid struct {
	Fleets     []string  // fleet notations, e.g. "2P4D"
	GPUs       []string  // default GPU types
	TPs        []int     // default tensor-parallel degrees
	Routings   []string  // routing policies for new requests
	RateScales []float64 // traffic multipliers
	// Scales, when set, make a scale curve: each multiplies the traffic
	// (on top of RateScale) and every pool's instance count together.
	Scales []float64
}

// Point is one grid point: a configuration to simulate.
type Point struct {
	Index     int // position in the full grid; shards keep it
	Fleet     string
	GPU       string
	TP        int
	Routing   string
	RateScale float64
	Scale     float64 // 0 outside a scale curve
	// Concurrency is a live closed-loop step's tasks in flight (package
	// livesweep); the simulator ignores it.
	Concurrency int
}

// MaxPoints bounds a grid so that a typo in a range cannot queue millions
// of simulations.
const MaxPoints = 100000

// Points expands the grid over base (the scenario's fleet with command-line
// overrides): fleets vary slowest, then GPU, TP, routing, rate scale and
// scale. An empty axis contributes the base value once.
func (g Grid) Points(base sim.Config) ([]Point, error) {
	fleets := orDefault(g.Fleets, base.Fleet)
	gpus := orDefault(g.GPUs, base.GPU)
	tps := orDefault(g.TPs, base.TP)
	routings := orDefault(g.Routings, base.Routing)
	rates := orDefault(g.RateScales, 1)
	scales := orDefault(g.Scales, 0)
	n := len(fleets) * len(gpus) * len(tps) * len(routings) * len(rates) * len(scales)
	if n > MaxPoints {
		return nil, fmt.Errorf("the grid has %d points, more than %d: narrow a range or list", n, MaxPoints)
	}
	for _, f := range fleets {
		if f == "" {
			return nil, fmt.Errorf("no fleet to sweep: the scenario names no default fleet, so pass --fleet, or --prefill and --decode ranges")
		}
		if _, err := sim.ParseFleet(f); err != nil {
			return nil, err
		}
	}
	pts := make([]Point, 0, n)
	for _, f := range fleets {
		for _, gp := range gpus {
			for _, tp := range tps {
				for _, r := range routings {
					for _, rs := range rates {
						for _, s := range scales {
							pts = append(pts, Point{Index: len(pts), Fleet: f, GPU: gp, TP: tp, Routing: r, RateScale: rs, Scale: s})
						}
					}
				}
			}
		}
	}
	return pts, nil
}

func orDefault[T any](axis []T, def T) []T {
	if len(axis) == 0 {
		return []T{def}
	}
	return axis
}

// Describe renders the grid and the workload options canonically; shards of
// one sweep carry equal descriptions, which is how merge tells them apart
// from shards of another sweep.
func Describe(pts []Point, extra string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "points=%d", len(pts))
	seen := map[string]bool{}
	add := func(k, v string) {
		if !seen[k+"="+v] {
			seen[k+"="+v] = true
			fmt.Fprintf(&b, " %s=%s", k, v)
		}
	}
	for _, p := range pts {
		add("fleet", strings.ReplaceAll(p.Fleet, " ", "_"))
	}
	for _, p := range pts {
		add("gpu", p.GPU)
		add("tp", strconv.Itoa(p.TP))
		add("routing", p.Routing)
		add("rate", fmtF(p.RateScale))
		if p.Scale != 0 {
			add("scale", fmtF(p.Scale))
		}
	}
	if extra != "" {
		b.WriteString(" " + extra)
	}
	return b.String()
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// Shard keeps the points with Index % n == i: a deterministic slice, so
// n machines each running one shard cover the grid exactly once.
func Shard(pts []Point, i, n int) []Point {
	var out []Point
	for _, p := range pts {
		if p.Index%n == i {
			out = append(out, p)
		}
	}
	return out
}

// ParseRange parses an integer range "a..b" or "a..b:step" (or a single
// integer) into its values; flag names the flag in errors.
func ParseRange(flag, s string) ([]int, error) {
	s = strings.TrimSpace(s)
	bad := func(why string) error {
		return fmt.Errorf("--%s %q: %s (write e.g. 4, 1..8 or 2..16:2)", flag, s, why)
	}
	body, stepS, hasStep := strings.Cut(s, ":")
	lo, hi, isRange := strings.Cut(body, "..")
	if !isRange {
		if hasStep {
			return nil, bad("a step needs a range")
		}
		hi = lo
	}
	a, err1 := strconv.Atoi(strings.TrimSpace(lo))
	b, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil {
		return nil, bad("bounds must be integers")
	}
	step := 1
	if hasStep {
		var err error
		if step, err = strconv.Atoi(strings.TrimSpace(stepS)); err != nil || step < 1 {
			return nil, bad("the step must be a positive integer")
		}
	}
	if a < 1 || b < a {
		return nil, bad("want 1 <= start <= end")
	}
	if (b-a)/step+1 > MaxPoints {
		return nil, bad(fmt.Sprintf("more than %d values", MaxPoints))
	}
	var out []int
	for v := a; v <= b; v += step {
		out = append(out, v)
	}
	return out, nil
}

// PDFleets returns "{p}P{d}D" for every p in prefill and d in decode.
func PDFleets(prefill, decode []int) []string {
	out := make([]string, 0, len(prefill)*len(decode))
	for _, p := range prefill {
		for _, d := range decode {
			out = append(out, fmt.Sprintf("%dP%dD", p, d))
		}
	}
	return out
}

// ParseFloats parses a comma-separated list of positive numbers (traffic
// multipliers, scales); flag names the flag in errors.
func ParseFloats(flag, s string) ([]float64, error) {
	var out []float64
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		v, err := strconv.ParseFloat(f, 64)
		if err != nil || !(v > 0) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("--%s %q: %q is not a positive number (write e.g. 0.5,1,2,4)", flag, s, f)
		}
		out = append(out, v)
	}
	return out, nil
}

// ScaleFleet multiplies every pool's count in a fleet notation by k,
// rounding to the nearest integer and keeping at least one instance.
func ScaleFleet(fleet string, k float64) (string, error) {
	spec, err := sim.ParseFleet(fleet)
	if err != nil {
		return "", err
	}
	for i := range spec.Pools {
		spec.Pools[i].Count = max(1, int(math.Round(float64(spec.Pools[i].Count)*k)))
	}
	return compactFleet(spec), nil
}

// routesLLM reports whether fleet has an LLM pool, so that its points
// route requests and have a tensor-parallel degree; false only for a
// fleet that parses and has video pools alone.
func routesLLM(fleet string) bool {
	spec, err := sim.ParseFleet(fleet)
	if err != nil {
		return true
	}
	return slices.ContainsFunc(spec.Pools, func(p sim.PoolSpec) bool { return p.Role != sim.RoleVideo })
}

// EstimateGPUs counts the GPUs of a fleet notation before it runs: each
// LLM pool is count × its TP (or defTP), a video pool counts GPUs.
func EstimateGPUs(fleet string, defTP int) int {
	spec, err := sim.ParseFleet(fleet)
	if err != nil {
		return 0
	}
	n := 0
	for _, p := range spec.Pools {
		switch {
		case p.Role == sim.RoleVideo:
			n += p.Count
		case p.TP > 0:
			n += p.Count * p.TP
		default:
			n += p.Count * max(defTP, 1)
		}
	}
	return n
}

package main

import (
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

func init() { register(newSweepCmd) }

type sweepFlags struct {
	searchFlags
	fleets, prefill, decode, colocated string
	gpus, tps, routings, rates, scales string
	search, objective                  string
	budget                             int
	tolerance, maxRate                 float64
	exhaustive, keep                   bool
	live                               liveFlags
}

func newSweepCmd() *cobra.Command {
	var f sweepFlags
	cmd := &cobra.Command{
		Use:   "sweep SCENARIO",
		Short: "Simulate a scenario over a grid of fleets, GPUs, TP, routing and loads; search it",
		Long: `sweep simulates a scenario once per grid point — the cartesian product of
--fleet (or --prefill × --decode, or --colocated), --gpu, --tp, --routing and
--rate-scale — running independent simulations in parallel (-j), and reports
one row per point: SLO verdict, latency percentiles, cache hit rate,
goodput, utilization and cost. Axes left out take the scenario's fleet.

Live endpoints: --target URL measures a real OpenAI-compatible server
instead: each step (a --rate-scale grid, a --concurrency grid, or the probes
of --search max-load, bisected exactly as in the simulator) is a bounded
"run" of --requests or --duration with its own warm-up, stopped early once
it is clearly over an SLO, capped in total by --max-time and
--max-requests. --predict FLEET simulates the same steps for the fleet the
server is declared to be and prints measured beside predicted, and both
saturation points (docs/live-search.md).

Searches:
  --search min-fleet   smallest fleet (GPU count, then cost) meeting every SLO
                       at the scenario's load (or one --rate-scale), of the
                       grid: an answer in its smallest GPU tier is noted
                       (no smaller fleet was tried)
  --search max-load    highest traffic multiplier each fleet sustains within
                       its SLOs, by bisection to --tolerance
  --search best-split  best prefill:decode split of --gpus N GPUs: highest
                       goodput (--objective goodput) or lowest cost per task
                       meeting every SLO (--objective cost: on one budget
                       splits that complete the same tasks tie, and a note
                       says the answer is then the first)
  --scale 1,10,100     fixed-ratio scale curve: traffic and every pool's
                       instance count multiplied together, so it shows what
                       the same fleet shape costs as it grows (hit rate,
                       utilization, cost per task); for the smallest fleet
                       at each traffic level, and where savings come from,
                       use "fleetbench scale"

--shard i/n runs the points whose grid index % n == i, so n machines cover
the grid; "fleetbench merge" joins the shard files. Output is identical for
any -j.`,
		Example: `  fleetbench sweep chat --prefill 1..4 --decode 2..8:2 --search min-fleet
  fleetbench sweep chat --fleet 2P4D,4P8D --rate-scale 0.5,1,2,4 -o sweep.json
  fleetbench sweep chat --search max-load --fleet 2P4D
  fleetbench sweep chat --search best-split --gpus 32 --tp 4 --rate-scale 4
  fleetbench sweep chat --scale 1,10,100 --duration 2m
  fleetbench sweep chat --prefill 1..8 --decode 2..16 --shard 0/4 -o shard0.json
  fleetbench sweep chat --target http://127.0.0.1:8000/v1 --search max-load --requests 300 --predict 1C --gpu h100 -o live.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.workload.parsed(cmd); err != nil {
				return err
			}
			if err := checkLiveFlags(cmd, &f.live); err != nil {
				return err
			}
			return runSweep(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.fleets, "fleet", "", `comma-separated fleets, e.g. "2P4D,4P8D,12C"`)
	fl.StringVar(&f.prefill, "prefill", "", "prefill instance counts, e.g. 1..8 or 2..16:2 (with --decode)")
	fl.StringVar(&f.decode, "decode", "", "decode instance counts, e.g. 2..16 (with --prefill)")
	fl.StringVar(&f.colocated, "colocated", "", "colocated instance counts, e.g. 4..32:4")
	fl.StringVar(&f.gpus, "gpu", "", "comma-separated GPU types, e.g. h100,h200")
	fl.StringVar(&f.tps, "tp", "", "comma-separated tensor-parallel degrees, e.g. 2,4")
	fl.StringVar(&f.routings, "routing", "", "comma-separated routing policies (round-robin, least-loaded, cache-aware, session)")
	fl.StringVar(&f.rates, "rate-scale", "", "comma-separated traffic multipliers, e.g. 0.5,1,2,4")
	fl.StringVar(&f.scales, "scale", "", "scale curve: multipliers of traffic and fleet together, e.g. 1,10,100,1000")
	fl.StringVar(&f.search, "search", "", "min-fleet, max-load or best-split")
	fl.StringVar(&f.objective, "objective", "", "best-split objective: goodput (default) or cost")
	fl.IntVar(&f.budget, "gpus", 0, "GPU budget for best-split")
	fl.Float64Var(&f.tolerance, "tolerance", 0, "max-load relative bisection tolerance (default 0.02)")
	fl.Float64Var(&f.maxRate, "max-rate-scale", 0, "max-load: highest multiplier tried (default 1024)")
	fl.BoolVar(&f.exhaustive, "exhaustive", false, "min-fleet: evaluate every grid point, not only up to the first passing GPU count")
	fl.BoolVar(&f.keep, "keep-results", false, "store every point's full result in the sweep file")
	addSearchFlags(fl, &f.searchFlags, searchHelp{what: "sweep", unit: "point", formats: sweep.Formats,
		progress: "print one line per finished point on stderr", shard: "run only grid points with index % n == i (i/n, e.g. 0/4)",
		csv: "also write the points as CSV to this file (every metric, revenue and margin with --price-file)"})
	addLiveFlags(fl, &f.live)
	return cmd
}

// splitList splits a comma-separated flag value, dropping empty items.
func splitList(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// sweepGrid turns the axis flags into a grid.
func sweepGrid(f sweepFlags) (sweep.Grid, error) {
	var g sweep.Grid
	g.Fleets = splitList(f.fleets)
	if (f.prefill == "") != (f.decode == "") {
		return g, errors.New("--prefill and --decode go together (e.g. --prefill 1..8 --decode 2..16)")
	}
	if f.prefill != "" {
		p, err := sweep.ParseRange("prefill", f.prefill)
		if err != nil {
			return g, err
		}
		d, err := sweep.ParseRange("decode", f.decode)
		if err != nil {
			return g, err
		}
		g.Fleets = append(g.Fleets, sweep.PDFleets(p, d)...)
	}
	if f.colocated != "" {
		c, err := sweep.ParseRange("colocated", f.colocated)
		if err != nil {
			return g, err
		}
		for _, n := range c {
			g.Fleets = append(g.Fleets, strconv.Itoa(n)+"C")
		}
	}
	g.GPUs = splitList(strings.ToLower(f.gpus))
	g.Routings = splitList(f.routings)
	for _, s := range splitList(f.tps) {
		tp, err := strconv.Atoi(s)
		if err != nil || tp < 1 {
			return g, fmt.Errorf("--tp %q: %q is not a positive integer (write e.g. 2,4)", f.tps, s)
		}
		g.TPs = append(g.TPs, tp)
	}
	var err error
	if f.rates != "" {
		if g.RateScales, err = sweep.ParseFloats("rate-scale", f.rates); err != nil {
			return g, err
		}
	}
	if f.scales != "" {
		if g.Scales, err = sweep.ParseFloats("scale", f.scales); err != nil {
			return g, err
		}
	}
	return g, nil
}

func runSweep(cmd *cobra.Command, name string, f sweepFlags) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	if err := f.check(sweep.Formats); err != nil {
		return err
	}
	grid, err := sweepGrid(f)
	if err != nil {
		return usageErr(err)
	}
	spec, err := f.spec(grid)
	if err != nil {
		return usageErr(err)
	}
	sc, err := resolveScenario(name)
	if err != nil {
		return err
	}
	if f.live.target == "" && !fleetFromFlags(cmd) {
		// Every point would run the file's fleet: a refused one is the
		// file's, said at its key (file:line:col), not as failed points.
		if err := checkScenarioFleet(sc); err != nil {
			return usageErr(err)
		}
		if err := checkVideoModels(sc, sim.ConfigFromScenario(sc)); err != nil {
			return usageErr(err)
		}
	}
	// Every traffic multiplier is held to the scenario limits up front
	// (exit 2), not discovered as failed points.
	for _, v := range append(slices.Clone(grid.RateScales), grid.Scales...) {
		if err := sc.CheckRateScale(v); err != nil {
			return usageErr(err)
		}
	}
	if f.live.target != "" {
		return runLiveSweep(cmd, sc, f, spec, grid)
	}
	costIn, err := f.cost.inputs(sc)
	if err != nil {
		return usageErr(err)
	}
	base := f.base(sc)
	if err := gridElasticPools(base, grid); err != nil {
		return usageErr(err)
	}
	r := &sweep.Runner{Scenario: sc, Base: base, Jobs: f.jobs, KeepResults: f.keep,
		Workload: f.workload.options(), Cost: &costIn}
	if r.Warmup, err = f.workload.warm.value(); err != nil {
		return usageErr(err)
	}
	warnSweepRequestCap(stderr, sc, r.Workload, spec)
	warnGPUAxisUnused(stderr, grid, base.Fleet)
	// Workload options every shard must share go into the grid description.
	spec.Describe = strings.TrimSpace(fmt.Sprintf("model=%s dtype=%s requests=%d duration=%s warmup=%s gpu-price=%s price-file=%s",
		base.Model, base.DType, f.workload.requests, f.workload.duration, warmupDesc(f.workload.warm), f.cost.gpuPrice, f.cost.priceFile))
	if f.progress || progressHook != nil {
		r.Progress = func(done int, p *sweepfile.Point) {
			if f.progress {
				fmt.Fprintf(stderr, "[%d] point %d %s %s tp%d %s %gx: %s\n", done, p.Index, p.Fleet, p.GPU, p.TP, p.Routing, p.RateScale, pointVerdict(p))
			}
			if progressHook != nil {
				progressHook()
			}
		}
	}
	// Ctrl-C stops starting points and cuts those running short at their
	// next virtual second (their partial figures left out); what ran is
	// written (points not run or cut short say so; no answer), exit 130,
	// as run does.
	ctx, stop := runSignals(cmd.Context())
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills, as usual, if a running point is long
	}()
	r.Stop = ctx.Done()
	sw, err := sweep.Run(r, spec)
	if err != nil {
		return usageErr(err)
	}
	if spec.Search == sweepfile.SearchMaxLoad && ctx.Err() == nil {
		warnProbesRequestCap(stderr, sc, r.Workload, sw.Points)
	}
	if ctx.Err() != nil {
		ran, cut := 0, 0
		for _, p := range sw.Points {
			switch {
			case sweep.CutShort(&p):
				cut++
			case p.Error != sweep.NotRun:
				ran++
			}
		}
		cutNote := ""
		if cut > 0 {
			cutNote = fmt.Sprintf(", %d cut short (partial figures left out)", cut)
		}
		sw.Answer = nil // a search cut short picks from what it did not try
		sw.Interrupted = true
		sw.Notes = append(sw.Notes, fmt.Sprintf("interrupted: %d of %d points ran%s, the others were not run; no answer", ran, len(sw.Points), cutNote))
		if err := f.emitSweep(stdout, sw); err != nil {
			return err
		}
		return &exitCode{code: 130, err: fmt.Errorf("sweep interrupted: %d of %d points ran%s (written)", ran, len(sw.Points), cutNote)}
	}
	if err := allFailed(sw); err != nil {
		return usageErr(err)
	}
	if err := f.emitSweep(stdout, sw); err != nil {
		return err
	}
	if err := nothingMeasured(sw); err != nil {
		return err
	}
	if err := classIdle(sw.Points, "point of the sweep"); err != nil {
		return err
	}
	return classFailed(sw.Points, "point of the sweep", simTail, func(p *sweepfile.Point) string { return fmt.Sprintf("point %d (%s)", p.Index, p.Fleet) })
}

// classIdle fails (exit 1, after the outputs are written) a sweep or
// scale level one of whose classes with an SLO sent no request in the
// window at any point that ran: its SLO is never judged, so no point can
// meet every SLO, and no fleet size changes that.
func classIdle(points []sweepfile.Point, noun string) error {
	var msgs []string
	for _, n := range sweepfile.IdleEverywhere(points) {
		msgs = append(msgs, sweepfile.ClassIdleMessage(points, n, noun))
	}
	if len(msgs) == 0 {
		return nil
	}
	return failErr(errors.New(strings.Join(msgs, "\nfleetbench: ")))
}

// nothingMeasured fails (exit 1, after the outputs are written) a sweep
// whose every point ran but completed no request: every request failed
// (prompts longer than the KV cache, say), so its MISSED verdicts and
// 0% attainments describe the workload, not the fleets.
func nothingMeasured(sw *sweepfile.Sweep) error {
	if len(sw.Points) == 0 || slices.ContainsFunc(sw.Points, func(p sweepfile.Point) bool { return p.Measured() }) {
		return nil
	}
	if p := slices.IndexFunc(sw.Points, func(p sweepfile.Point) bool { return p.Error == "" && len(p.FailedClasses) > 0 }); p >= 0 {
		pt := &sw.Points[p]
		why := make([]string, len(pt.FailedClasses))
		for i, n := range pt.FailedClasses {
			why[i] = n + ": " + sweepfile.FailedErrorsText(pt, n)
		}
		return failErr(fmt.Errorf("nothing measured: no point of the sweep completed a request (every request failed; point %d (%s): %s); run one point with fleetbench sim to see the errors",
			pt.Index, pt.Fleet, strings.Join(why, "; ")))
	}
	return failErr(fmt.Errorf("nothing measured: no point of the sweep completed a request (every request failed); run one point with fleetbench sim to see the errors"))
}

// simTail ends the class_failed message of a simulated sweep or scale.
const simTail = "no fleet size changes that; run one with fleetbench sim to see the errors"

// classFailed fails (exit 1, after the outputs are written) a sweep one of
// whose classes completed no request at any point that ran: as sim does
// (its class_failed check), since no fleet size serves that class and the
// other classes' figures do not answer for it.
func classFailed(points []sweepfile.Point, noun, tail string, label func(*sweepfile.Point) string) error {
	var msgs []string
	for _, n := range sweepfile.FailedEverywhere(points) {
		msgs = append(msgs, sweepfile.ClassFailedMessage(points, n, noun, tail, label))
	}
	if len(msgs) == 0 {
		return nil
	}
	return failErr(errors.New(strings.Join(msgs, "\nfleetbench: ")))
}

// progressHook, when set (tests), is called after each simulated point.
var progressHook func()

// emitSweep writes a sweep: --csv, -o and stdout.
func (f *sweepFlags) emitSweep(stdout io.Writer, sw *sweepfile.Sweep) error {
	return f.emit(stdout, func(w io.Writer) error { return sweepfile.WriteJSON(w, sw) },
		func(w io.Writer, format string) error { return sweep.Render(w, sw, format) })
}

// spec is the search the flags ask for; errors are bad flags.
func (f *sweepFlags) spec(grid sweep.Grid) (sweep.Spec, error) {
	spec := sweep.Spec{Search: f.search, Objective: f.objective, Grid: grid, Budget: f.budget,
		Tolerance: f.tolerance, MaxRateScale: f.maxRate, Exhaustive: f.exhaustive}
	if len(grid.Scales) > 0 {
		if f.search != "" && f.search != sweepfile.SearchScale {
			return spec, fmt.Errorf("--scale makes a scale curve; it does not combine with --search %s", f.search)
		}
		spec.Search = sweepfile.SearchScale
	}
	if f.objective != "" && spec.Search != sweepfile.SearchBestSplit {
		return spec, errors.New("--objective applies to --search best-split only")
	}
	if f.budget != 0 && spec.Search != sweepfile.SearchBestSplit {
		return spec, errors.New("--gpus (a GPU budget) applies to --search best-split only")
	}
	var err error
	spec.ShardI, spec.ShardN, err = f.shardOf()
	return spec, err
}

// pointVerdict is a finished point in a progress line: met, MISSED or
// why it did not run (sweep and scale --progress).
func pointVerdict(p *sweepfile.Point) string {
	switch {
	case p.Error != "":
		return "error: " + p.Error
	case p.FellBehind:
		return "BEHIND"
	case p.MeetsSLO:
		return "met"
	}
	return "MISSED"
}

// allFailed turns a sweep in which every point failed to configure into an
// error (usually a bad --model, --gpu or fleet), so that the exit code says
// so; a sweep with some good points is a result.
func allFailed(sw *sweepfile.Sweep) error {
	if len(sw.Points) == 0 {
		return nil
	}
	for _, p := range sw.Points {
		if p.Error == "" {
			return nil
		}
	}
	return fmt.Errorf("every point of the sweep failed; the first (point %d, fleet %s): %s", sw.Points[0].Index, sw.Points[0].Fleet, sw.Points[0].Error)
}

// gridElasticPools is elasticPools for every fleet of the grid: a point
// whose fleet lacks the scenario's autoscaled or failing pool would run
// without it, beside points that have it.
func gridElasticPools(base sim.Config, grid sweep.Grid) error {
	pts, err := grid.Points(base)
	if err != nil {
		return nil // the sweep says what is wrong with the grid
	}
	seen := map[string]bool{}
	for _, p := range pts {
		if seen[p.Fleet] {
			continue
		}
		seen[p.Fleet] = true
		c := base
		c.Fleet = p.Fleet
		if err := elasticPools(c); err != nil {
			return err
		}
	}
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/results/htmlreport"
	"github.com/fleetbench/fleetbench/scale"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

func init() { register(newScaleCmd) }

type scaleFlags struct {
	searchFlags
	traffic, rates, tokens, kinds string
	gpu, routing                  string
	tp, tierPerInst               int
	maxInstances                  int
	html                          string
	// fileFleet: no flag reshapes the fleet, so the file's model, GPU and
	// layout are what every probe builds on.
	fileFleet bool
}

func newScaleCmd() *cobra.Command {
	var f scaleFlags
	cmd := &cobra.Command{
		Use:   "scale SCENARIO",
		Short: "Scale curve: the smallest fleet meeting every SLO at each traffic level, and where the savings come from",
		Long: `scale answers "how do GPUs per unit of traffic and cost per task change as
the platform grows?". At each traffic level (--traffic multiplies the
scenario's rates; --rate and --tokens-per-s give absolute targets) it searches
the smallest fleet meeting every SLO: colocated instance count and
prefill:decode split (--kinds), cache-aware routing by default, optionally a
pooled KV tier growing with the fleet (--tier-blocks-per-instance). Each level
brackets from the previous level's answer, so a level costs a handful of
simulations; probes run in parallel (-j) and never depend on -j.

It reports per level: requests/s, fleet, GPUs, GPUs per 1k req/s, the
previous fleet scaled linearly (what "sweep --scale" provisions) and the
saving against it, hit rate, utilization, $/task, $/Mtok (all tokens), markup
and margin with a price list, and the change of GPUs per 1k req/s from the
previous level split, from measured quantities, into:
  cache      tokens computed per request (cache reuse across more users)
  batching   busy GPU time per computed token (larger batches)
  util.      the binding pool's safe utilization (burst smoothing)
  P:D        utilization balance between pools (a better P:D ratio)
(GPUs/req/s = tokens/request x GPU-s/token / (binding utilization x balance),
an identity; the split is each factor's share of the log-change.) It says so
when the curve is flat. --shard i/n runs levels i, i+n, ... (each searched
cold); "sweep --scale" remains the fixed-ratio curve (fleet and traffic
multiplied together).`,
		Example: `  fleetbench scale chat --traffic 1,10,100 --duration 2m
  fleetbench scale agent-coding --traffic 1,10,100 --duration 2m --html scale.html
  fleetbench scale shared-docs --traffic 1,10,100 --duration 2m
  fleetbench scale chat --rate 10,100,1000 --kinds colocated -o curve.json --csv curve.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.workload.parsed(cmd); err != nil {
				return err
			}
			f.fileFleet = !fleetFromFlags(cmd)
			return runScale(cmd.OutOrStdout(), cmd.ErrOrStderr(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.traffic, "traffic", "", "traffic levels as multipliers of the scenario's rates, e.g. 1,10,100,1000")
	fl.StringVar(&f.rates, "rate", "", "traffic levels as completed requests per second, e.g. 10,100,1000")
	fl.StringVar(&f.tokens, "tokens-per-s", "", "traffic levels as tokens (input + output) per second, e.g. 1e5,1e6")
	fl.StringVar(&f.kinds, "kinds", "colocated,pd", "fleet shapes searched: colocated, pd or both")
	fl.IntVar(&f.tierPerInst, "tier-blocks-per-instance", 0, "pooled second-tier KV cache per pool, in blocks per instance (grows with the fleet)")
	fl.StringVar(&f.gpu, "gpu", "", "GPU type (default: the scenario's)")
	fl.IntVar(&f.tp, "tp", 0, "tensor-parallel GPUs per instance (default: the scenario's)")
	fl.StringVar(&f.routing, "routing", "cache-aware", "routing policy")
	fl.IntVar(&f.maxInstances, "max-instances", 4096, "largest pool tried")
	addSearchFlags(fl, &f.searchFlags, searchHelp{what: "curve", unit: "probe", formats: scale.Formats,
		progress: "print one line per probe on stderr", shard: "run only levels with index % n == i (i/n)",
		csv: "write the curve as CSV to this file"})
	fl.StringVar(&f.html, "html", "", "write an HTML report of the curve to this file")
	return cmd
}

func runScale(stdout, stderr io.Writer, name string, f scaleFlags) error {
	if err := f.check(scale.Formats); err != nil {
		return err
	}
	if err := checkWritable("--html", f.html); err != nil {
		return err
	}
	given := 0
	for _, v := range []string{f.traffic, f.rates, f.tokens} {
		if v != "" {
			given++
		}
	}
	if given != 1 {
		return usageErr(errors.New("give exactly one of --traffic (multipliers), --rate (requests/s) or --tokens-per-s"))
	}
	if f.tierPerInst < 0 || f.maxInstances < 1 {
		return usageErr(errors.New("--tier-blocks-per-instance must be >= 0 and --max-instances >= 1"))
	}
	spec := scale.Spec{Kinds: splitList(f.kinds), TierBlocksPerInstance: f.tierPerInst, MaxInstances: f.maxInstances}
	var err error
	if spec.ShardI, spec.ShardN, err = f.shardOf(); err != nil {
		return usageErr(err)
	}
	sc, err := scenarios.Resolve(name)
	if err != nil {
		return usageErr(err)
	}
	if f.fileFleet {
		// Every probe builds on the file's fleet (its model, GPU, TP,
		// layout): a refused one is the file's, said at its key
		// (file:line:col), not as "no probe could run".
		if err := checkScenarioFleet(sc); err != nil {
			return usageErr(err)
		}
	}
	costIn, err := f.cost.inputs(sc)
	if err != nil {
		return usageErr(err)
	}
	base := f.base(sc)
	if err := kindsElasticPools(base, spec.Kinds); err != nil {
		return usageErr(err)
	}
	override(&base.GPU, strings.ToLower(f.gpu))
	overrideInt(&base.TP, f.tp)
	override(&base.Routing, f.routing)
	s := &scale.Searcher{Scenario: sc, Base: base, Jobs: f.jobs, Cost: &costIn,
		Workload: f.workload.options()}
	if f.progress {
		spec.Progress = func(level float64, p *sweepfile.Point) {
			fmt.Fprintf(stderr, "%gx %s (%d GPUs): %s\n", level, p.Fleet, p.GPUs, pointVerdict(p))
		}
	}
	// Ctrl-C is caught from here on, the calibration run included: it
	// would otherwise kill the process there without a word.
	ctx, stop := runSignals(context.Background())
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills as usual
	}()
	s.Stop = ctx.Done()
	var calib string
	switch {
	case f.traffic != "":
		spec.Levels, err = parseLevels("traffic", f.traffic)
	default:
		flag, list := "rate", f.rates
		if f.tokens != "" {
			flag, list = "tokens-per-s", f.tokens
		}
		var targets []float64
		if targets, err = parseLevels(flag, list); err != nil {
			return usageErr(err)
		}
		var per float64
		per, calib, err = s.Calibrate(flag == "tokens-per-s")
		if errors.Is(err, scale.ErrInterrupted) {
			return &exitCode{code: 130, err: fmt.Errorf("scale interrupted during its calibration run (the scenario at 1x on fleet %s, which turns --%s into traffic multipliers): nothing measured, nothing written", base.Fleet, flag)}
		}
		if err != nil {
			return failErr(err)
		}
		for _, t := range targets {
			spec.Levels = append(spec.Levels, t/per)
		}
	}
	if err != nil {
		return usageErr(err)
	}
	warnLevelsRequestCap(stderr, sc, s.Workload, spec.Levels, "traffic levels", "will")
	c, err := s.Run(spec)
	if err != nil {
		return usageErr(err)
	}
	if c.Interrupted {
		c.Notes = append(c.Notes, fmt.Sprintf("interrupted: %d of %d traffic levels listed, the last without an answer if its search was cut short", len(c.Levels), len(spec.Levels)))
	}
	if calib != "" {
		c.Notes = append([]string{calib}, c.Notes...)
	}
	if f.html != "" {
		in := htmlreport.Input{Title: "fleetbench scale: " + sc.Name, Sweeps: []htmlreport.SweepRun{{Label: "of " + sc.Name, Sweep: scale.AsSweep(c)}}}
		if err := writeFileAtomic(f.html, func(w io.Writer) error { return htmlreport.Render(w, in) }); err != nil {
			return failErr(err)
		}
	}
	if err := f.emit(stdout, func(w io.Writer) error { return scale.WriteJSON(w, c) },
		func(w io.Writer, format string) error { return scale.Render(w, c, format) }); err != nil {
		return err
	}
	if c.Interrupted {
		return &exitCode{code: 130, err: fmt.Errorf("scale interrupted: %d of %d traffic levels listed (written)", len(c.Levels), len(spec.Levels))}
	}
	// A level where every request failed on every probe has no answer for
	// want of anything measured, not of capacity: exit 1 (outputs written).
	for _, l := range c.Levels {
		if l.NothingMeasured {
			return failErr(fmt.Errorf("%gx: %s", l.Traffic, l.Note))
		}
	}
	// Nor is a level every probe of which fell behind on the video pool
	// the search holds: the LLM fleet is not what lacks.
	var held []string
	for _, l := range c.Levels {
		if len(l.HeldPoolBehind) > 0 {
			held = append(held, fmt.Sprintf("%gx: %s", l.Traffic, l.Note))
		}
	}
	if len(held) > 0 {
		return failErr(errors.New(strings.Join(held, "\nfleetbench: ")))
	}
	var errs []string
	for _, l := range c.Levels {
		if err := classFailed(l.Probes, fmt.Sprintf("probe at %gx", l.Traffic), simTail, func(p *sweepfile.Point) string { return p.Fleet }); err != nil {
			errs = append(errs, err.Error())
		}
		if err := classIdle(l.Probes, fmt.Sprintf("probe at %gx", l.Traffic)); err != nil {
			errs = append(errs, err.Error())
		}
	}
	if len(errs) > 0 {
		return failErr(errors.New(strings.Join(errs, "\nfleetbench: ")))
	}
	return nil
}

// parseLevels parses ascending positive levels.
func parseLevels(flag, s string) ([]float64, error) {
	v, err := sweep.ParseFloats(flag, s)
	if err != nil {
		return nil, err
	}
	for i := 1; i < len(v); i++ {
		if v[i] <= v[i-1] {
			return nil, fmt.Errorf("--%s %q: levels must ascend", flag, s)
		}
	}
	return v, nil
}

// kindsElasticPools is elasticPools for each fleet shape scale searches
// (--kinds; none given: both): a colocated fleet has no decode pool for
// the scenario's decode autoscaler, which the simulator would skip.
func kindsElasticPools(base sim.Config, kinds []string) error {
	if len(kinds) == 0 {
		kinds = []string{scale.KindColocated, scale.KindPD}
	}
	for _, k := range kinds {
		c := base
		switch k {
		case scale.KindColocated:
			c.Fleet = "1C"
		case scale.KindPD:
			c.Fleet = "1P1D"
		default:
			continue // scale refuses an unknown kind itself
		}
		if err := elasticPools(c); err != nil {
			return fmt.Errorf("--kinds %s: %w", k, err)
		}
	}
	return nil
}

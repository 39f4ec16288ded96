package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetbench/fleetbench/livesweep"
	"github.com/fleetbench/fleetbench/runners"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// liveFlags are sweep's flags for a live endpoint (sweep --target).
type liveFlags struct {
	target, servedModel, apiKeyEnv string
	concurrency, predict           string
	repeat, maxRequests, senders   int
	maxTime                        time.Duration
	noEarlyStop                    bool
}

func addLiveFlags(fl *pflag.FlagSet, f *liveFlags) {
	fl.StringVar(&f.target, "target", "", "measure a live endpoint instead of simulating: API base URL, e.g. http://127.0.0.1:8000/v1 (each point is a bounded load step)")
	fl.StringVar(&f.servedModel, "served-model", "", `with --target: "model" field of every request (default: --model, else none: the server's own model, as run sends)`)
	fl.StringVar(&f.apiKeyEnv, "api-key-env", "", "with --target: environment variable holding the API key")
	fl.StringVar(&f.concurrency, "concurrency", "", "with --target: closed-loop grid of tasks in flight, e.g. 1,4,16,64")
	fl.StringVar(&f.predict, "predict", "", "with --target: simulate the same steps for this declared fleet (with --model, --gpu, --tp) beside the measured ones")
	fl.IntVar(&f.repeat, "repeat", 1, fmt.Sprintf("with --target: run every step this many times (1..%d); figures are means with 95%% confidence intervals", livesweep.MaxRepeat))
	fl.DurationVar(&f.maxTime, "max-time", livesweep.DefaultMaxTime, "with --target: total time cap of the sweep")
	fl.IntVar(&f.maxRequests, "max-requests", livesweep.DefaultMaxRequests, "with --target: cap on requests sent by the whole sweep")
	fl.IntVar(&f.senders, "senders", 0, "with --target: open-loop sender cap per step (default the runner's)")
	fl.BoolVar(&f.noEarlyStop, "no-early-stop", false, "with --target: run every step to its bound even when it is already clearly over an SLO")
}

// liveOnly lists the flags that need --target.
var liveOnly = []string{"served-model", "api-key-env", "concurrency", "predict", "repeat", "max-time", "max-requests", "senders", "no-early-stop"}

// checkLiveFlags refuses live-only flags without --target.
func checkLiveFlags(cmd *cobra.Command, f *liveFlags) error {
	if f.target != "" {
		return nil
	}
	for _, n := range liveOnly {
		if cmd.Flags().Changed(n) {
			return usageErr(fmt.Errorf("--%s applies to live sweeps only: add --target URL", n))
		}
	}
	return nil
}

// runLiveSweep measures the sweep's steps against --target.
func runLiveSweep(cmd *cobra.Command, sc *scenarios.Scenario, f sweepFlags, spec sweep.Spec, grid sweep.Grid) error {
	stdout, stderr := cmd.OutOrStdout(), cmd.ErrOrStderr()
	lf := f.live
	var conc []int
	for _, s := range splitList(lf.concurrency) {
		c, err := strconv.Atoi(s)
		if err != nil || c < 1 {
			return usageErr(fmt.Errorf("--concurrency %q: %q is not a positive integer (write e.g. 1,4,16,64)", lf.concurrency, s))
		}
		conc = append(conc, c)
	}
	base := f.base(sc)
	// The "model" field is run's: named by a flag, else empty (the
	// server's own model, as vLLM and serve read it). The scenario's
	// catalog id is the simulator's name, rarely the server's (vLLM serves
	// a Hugging Face path): sent, it had every request refused.
	cfg := runners.Config{Target: lf.target, Model: lf.servedModel, API: runners.APIChat, IgnoreEOS: true, Senders: lf.senders, Warnings: stderr}
	if cfg.Model == "" {
		cfg.Model = f.model
	}
	if lf.apiKeyEnv != "" {
		if cfg.APIKey = os.Getenv(lf.apiKeyEnv); cfg.APIKey == "" {
			return usageErr(fmt.Errorf("--api-key-env %s: the variable is empty or unset", lf.apiKeyEnv))
		}
	}
	// Validate fills defaults: check a copy, so each step's runner (open
	// or closed loop) fills its own.
	if check := cfg; check.Validate() != nil {
		return usageErr(check.Validate())
	}
	r := &livesweep.Runner{Scenario: sc, Client: cfg, Workload: f.workload.options(), Repeat: lf.repeat,
		MaxTime: lf.maxTime, MaxRequests: lf.maxRequests, NoEarlyStop: lf.noEarlyStop}
	var err error
	if r.Warmup, err = f.workload.warm.value(); err != nil {
		return usageErr(err)
	}
	if lf.predict != "" {
		pb := base
		pb.Fleet = lf.predict
		if len(grid.GPUs) > 0 {
			pb.GPU = grid.GPUs[0]
		}
		if len(grid.TPs) > 0 {
			pb.TP = grid.TPs[0]
		}
		if _, err := sim.ParseFleet(pb.Fleet); err != nil {
			return usageErr(fmt.Errorf("--predict: %w", err))
		}
		r.Predict = &livesweep.Prediction{Sim: &sweep.Runner{Scenario: sc, Base: pb, Workload: r.Workload, Warmup: r.Warmup}}
	}
	spec.Describe = fmt.Sprintf("requests=%d duration=%s warmup=%s repeat=%d", f.workload.requests, f.workload.duration, warmupDesc(f.workload.warm), lf.repeat)
	if f.progress {
		r.Progress = func(p *sweepfile.Point) {
			load := strconv.FormatFloat(p.RateScale, 'g', 4, 64) + "x"
			if p.Concurrency > 0 {
				load = "concurrency " + strconv.Itoa(p.Concurrency)
			}
			fmt.Fprintf(stderr, "step %s: %s\n", load, pointVerdict(p))
		}
	}
	if len(conc) == 0 {
		warnSweepRequestCap(stderr, sc, r.Workload, spec) // a grid's steps (max-load: after the search)
	}
	ctx, stop := runSignals(cmd.Context())
	defer stop()
	sw, err := livesweep.Run(ctx, r, spec, conc)
	if err != nil {
		return usageErr(err)
	}
	if spec.Search == sweepfile.SearchMaxLoad {
		warnProbesRequestCap(stderr, sc, r.Workload, sw.Points)
	}
	if err := allFailed(sw); err != nil {
		return failErr(err)
	}
	if len(sw.Points) == 0 {
		return failErr(errors.New("no step ran"))
	}
	if err := f.emitSweep(stdout, sw); err != nil {
		return err
	}
	// As sim, run and a simulated sweep: a class that completed nothing
	// on any step (every request failed) fails the sweep.
	return classFailed(sw.Points, "step of the sweep", "run one step with fleetbench run to see the errors", func(p *sweepfile.Point) string {
		return "step " + strconv.FormatFloat(p.RateScale, 'g', 4, 64) + "x"
	})
}

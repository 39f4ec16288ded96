package main

import (
	"fmt"
	"io"

	"github.com/spf13/pflag"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/shard"
	"github.com/fleetbench/fleetbench/sim"
)

// searchFlags are the flags sweep and scale share: the model overrides,
// parallel simulations, progress lines, sharding, and the products (-o,
// --format, --csv) with their workload and cost inputs.
type searchFlags struct {
	model, dtype string
	jobs         int
	progress     bool
	shard, csv   string
	workload     workloadFlags
	output       outputFlags
	cost         costFlags
}

// searchHelp words the shared flags for one command.
type searchHelp struct {
	what, unit           string // what -o writes ("sweep"), one simulation ("point")
	formats              []string
	progress, shard, csv string // the help of --progress, --shard and --csv
}

func addSearchFlags(fl *pflag.FlagSet, f *searchFlags, h searchHelp) {
	fl.StringVar(&f.model, "model", "", "model id (default: the scenario's)")
	fl.StringVar(&f.dtype, "dtype", "", "weights/compute precision: bf16 or fp8")
	fl.IntVarP(&f.jobs, "jobs", "j", 0, "simulations run in parallel (default GOMAXPROCS)")
	addWorkloadFlags(fl, &f.workload, true, " per "+h.unit, "")
	fl.BoolVar(&f.progress, "progress", false, h.progress)
	fl.StringVar(&f.shard, "shard", "", h.shard)
	addOutputFlags(fl, &f.output, h.what, h.formats, false)
	fl.StringVar(&f.csv, "csv", "", h.csv)
	addCostFlags(fl, &f.cost)
}

// check refuses a --format outside formats and a negative -j (bad input).
func (f *searchFlags) check(formats []string) error {
	if err := checkFormat(f.output.format, formats); err != nil {
		return err
	}
	if f.jobs < 0 {
		return usageErr(fmt.Errorf("-j %d: want a positive number of parallel simulations", f.jobs))
	}
	// Before the search spends its time (a failed write lost it).
	for _, o := range [][2]string{{"-o", f.output.out}, {"--csv", f.csv}} {
		if err := checkWritable(o[0], o[1]); err != nil {
			return err
		}
	}
	return nil
}

// shardOf parses --shard i/n; 0, 0 without it.
func (f *searchFlags) shardOf() (i, n int, err error) {
	if f.shard == "" {
		return 0, 0, nil
	}
	set, n, err := shard.Parse(f.shard, false)
	if err != nil {
		return 0, 0, fmt.Errorf("--%w", err)
	}
	return set[0], n, nil
}

// base is the scenario's simulator configuration with --model and --dtype.
func (f *searchFlags) base(sc *scenarios.Scenario) sim.Config {
	base := sim.ConfigFromScenario(sc)
	override(&base.Model, f.model)
	override(&base.DType, f.dtype)
	return base
}

// emit writes the product: --csv (render in "csv"), then -o (writeJSON)
// and stdout (render in --format). Writing failures exit 1.
func (f *searchFlags) emit(stdout io.Writer, writeJSON func(io.Writer) error, render func(w io.Writer, format string) error) error {
	if f.csv != "" {
		if err := writeFileAtomic(f.csv, func(w io.Writer) error { return render(w, "csv") }); err != nil {
			return failErr(err)
		}
	}
	return emit(stdout, f.output.out, writeJSON, func(w io.Writer) error { return render(w, f.output.format) })
}

package main

// The glue every command that produces a result shares, written once (as
// benchstat keeps one output path): the workload overrides (--requests,
// --duration, --seed, --rate-scale), the outputs (-o JSON file, --records
// JSONL, --format for stdout) and the one way a product leaves the
// process: priced, written to its file atomically, then printed.

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// workloadFlags override the scenario's workload.
type workloadFlags struct {
	requests  int
	duration  time.Duration
	rateScale float64
	seed      uint64
	seedSet   bool
	warm      warmupFlag // --warmup (window.go)
	ownScale  bool       // --rate-scale is this flag (sweep's is a grid axis)
}

// addWorkloadFlags registers --requests, --duration and --seed, with help
// ending in per (e.g. " per point"; a virtual duration says so), and
// --rate-scale when rateScaleHelp is not empty (sweep's --rate-scale is a
// grid axis instead).
func addWorkloadFlags(fl *pflag.FlagSet, w *workloadFlags, virtual bool, per, rateScaleHelp string) {
	dur := "override the scenario duration"
	if virtual {
		dur += " (virtual time)"
	}
	fl.IntVar(&w.requests, "requests", 0, "cap on top-level requests/tasks, replacing the scenario's (its duration, or --duration, still ends the arrivals)"+per)
	fl.DurationVar(&w.duration, "duration", 0, dur+per)
	fl.Uint64Var(&w.seed, "seed", 0, "override the scenario seed")
	addWarmupFlag(fl, &w.warm)
	if rateScaleHelp != "" {
		fl.Float64Var(&w.rateScale, "rate-scale", 0, rateScaleHelp)
		w.ownScale = true
	}
}

// parsed records which flags were given; call it first in RunE. An
// explicit 0 for --requests, --duration or --rate-scale is refused (exit
// 2): 0 is how the options say "not given", so it would silently run the
// scenario's own workload.
func (w *workloadFlags) parsed(cmd *cobra.Command) error {
	w.seedSet = cmd.Flags().Changed("seed")
	w.warm.set = cmd.Flags().Changed("warmup")
	fl := cmd.Flags()
	for name, zero := range map[string]bool{"requests": w.requests == 0, "duration": w.duration == 0, "rate-scale": w.ownScale && w.rateScale == 0} {
		if zero && fl.Lookup(name) != nil && fl.Changed(name) {
			return usageErr(fmt.Errorf("--%s 0: must be more than 0 (leave it out for the scenario's own)", name))
		}
	}
	return nil
}

// options are the scenario.WorkloadOptions the flags ask for (the seed
// only when --seed was given).
func (w *workloadFlags) options() scenarios.WorkloadOptions {
	wo := scenarios.WorkloadOptions{Requests: w.requests, Duration: w.duration, RateScale: w.rateScale}
	if w.seedSet {
		seed := w.seed
		wo.Seed = &seed
	}
	return wo
}

// resultFormats are the stdout formats of a single result.
var resultFormats = []string{"table", "json"}

// outputFlags are where a command's product goes.
type outputFlags struct {
	out, records, format string
}

// addOutputFlags registers -o/--output (what names the file's content),
// --format (one of formats, the first the default) and, when records,
// --records.
func addOutputFlags(fl *pflag.FlagSet, o *outputFlags, what string, formats []string, records bool) {
	fl.StringVarP(&o.out, "output", "o", "", "write the "+what+" JSON to this file")
	fl.StringVar(&o.format, "format", formats[0], "stdout format: "+orList(formats))
	if records {
		fl.StringVar(&o.records, "records", "", "write per-request records (JSONL) to this file")
	}
}

// checkFormat refuses a --format outside formats (bad input).
func checkFormat(format string, formats []string) error {
	if !slices.Contains(formats, format) {
		return usageErr(fmt.Errorf("--format %q: use %s", format, orList(formats)))
	}
	return nil
}

// orList renders "a, b or c".
func orList(s []string) string {
	if len(s) < 2 {
		return strings.Join(s, "")
	}
	return strings.Join(s[:len(s)-1], ", ") + " or " + s[len(s)-1]
}

// openRecords opens --records (if given) and returns its writer (nil
// without the flag) and a function that flushes and closes it, returning
// the first write, flush or close error (callers exit 1 on it). The file
// is flushed at least once a second, so a killed run leaves its records.
func (o *outputFlags) openRecords() (write func(*results.Record) error, closeFn func() error, err error) {
	if o.records == "" {
		return nil, func() error { return nil }, nil
	}
	rf, err := results.CreateRecordFile(o.records, time.Second)
	if err != nil {
		return nil, nil, failErr(err)
	}
	return rf.Write, rf.Close, nil
}

// recordRun runs a run (sim or run) with --records open: run gets the
// file's writer (nil without the flag), and the file is closed after it on
// every path, records that did not reach the disk joining the run's error
// (exit 1). A file that cannot be created is the run's error, with no
// result. Open it last, after every flag is checked: creating it truncates
// an earlier run's records.
func (o *outputFlags) recordRun(run func(write func(*results.Record) error) (*results.Result, error)) (*results.Result, error) {
	write, closeRecords, err := o.openRecords()
	if err != nil {
		return nil, err
	}
	res, err := run(write)
	return res, withCloseErr(err, closeRecords())
}

// checkWritable refuses an output path (flag: -o, --csv, --html) that cannot be written (a missing
// folder, a read-only one, a directory) before a run spends its time: the
// result was measured, then lost to "write ...: no such file or
// directory". "" and "-" (stdout) pass.
func checkWritable(flag, path string) error {
	if path == "" || path == "-" {
		return nil
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return usageErr(fmt.Errorf("%s %s is a directory: name the file (e.g. %s)", flag, path, filepath.Join(path, "result.json")))
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".check*")
	if err != nil {
		return usageErr(fmt.Errorf("%s %s: cannot write there (%v): fix the path before the run", flag, path, err))
	}
	f.Close()
	return os.Remove(f.Name())
}

// withCloseErr adds a close error to a run's error, once (a write error
// the run already reported comes back from Close too).
func withCloseErr(runErr, closeErr error) error {
	if closeErr == nil || errors.Is(runErr, closeErr) {
		return runErr
	}
	return errors.Join(runErr, closeErr)
}

// emit is how every product leaves the process: the JSON file (-o,
// written atomically, so a failed write leaves no half file), then stdout
// in the chosen format. Writing failures exit 1.
func emit(stdout io.Writer, path string, writeJSON, render func(io.Writer) error) error {
	if path != "" {
		if err := writeFileAtomic(path, writeJSON); err != nil {
			return failErr(err)
		}
	}
	if render == nil {
		return nil
	}
	if err := render(stdout); err != nil {
		return failErr(err)
	}
	return nil
}

// emitResult is how a result leaves sim and run: priced with the cost
// inputs (a result without a fleet stays unpriced), written to -o, its
// warnings on stderr, then stdout in --format. The file is written even
// when the run failed part-way (runErr), so nothing collected is lost;
// runErr then decides the exit.
func emitResult(cmd *cobra.Command, res *results.Result, runErr error, o outputFlags, costIn results.CostInputs) error {
	if res != nil {
		if err := results.ApplyCost(res, costIn); err != nil && !errors.Is(err, results.ErrNoFleet) {
			return usageErr(err)
		}
		stderrWarnings := len(res.Warnings)
		if behind, why := results.FellBehind(res, costIn.MaxLag); behind {
			// In the result and atop its table; stderr gets it once, from
			// the end-of-run check (exit 1).
			res.Warnings = append(res.Warnings, why)
		}
		if err := emit(nil, o.out, resultJSON(res), nil); err != nil {
			// The result is not lost with the file: it goes to a file
			// in the temporary folder, and the table to stdout.
			if tmp, terr := os.CreateTemp("", "fleetbench-result-*.json"); terr == nil {
				werr := results.WriteJSON(tmp, res)
				if cerr := tmp.Close(); werr == nil && cerr == nil {
					err = fmt.Errorf("%w; the result is saved in %s instead", err, tmp.Name())
				}
			}
			if res.Totals != nil && res.Totals.Requests > 0 {
				_ = renderResult(res, o.format)(cmd.OutOrStdout())
			}
			return failErr(err)
		}
		for _, w := range res.Warnings[:stderrWarnings] {
			fmt.Fprintln(cmd.ErrOrStderr(), "fleetbench: warning:", w)
		}
		warnUnusedGPUPrices(cmd.ErrOrStderr(), res, costIn)
	}
	if runErr != nil {
		return failErr(runErr)
	}
	if res == nil || res.Totals == nil || res.Totals.Requests == 0 {
		return nil // never a table of zeros: the gate says what was empty
	}
	return emit(cmd.OutOrStdout(), "", nil, renderResult(res, o.format))
}

// resultJSON writes res as a result file.
func resultJSON(res *results.Result) func(io.Writer) error {
	return func(w io.Writer) error { return results.WriteJSON(w, res) }
}

// renderResult prints a result: JSON, or the table, the cost section and
// the wide pools (sim, run and report).
func renderResult(res *results.Result, format string) func(io.Writer) error {
	return func(w io.Writer) error {
		if format == "json" {
			return results.WriteJSON(w, res)
		}
		if err := results.RenderTable(w, res); err != nil {
			return err
		}
		if err := results.RenderCost(w, res); err != nil {
			return err
		}
		if err := results.RenderPools(w, res); err != nil {
			return err
		}
		return results.RenderEvents(w, res)
	}
}

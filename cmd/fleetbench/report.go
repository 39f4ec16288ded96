package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scale"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

func init() {
	register(newReportCmd)
	register(newMergeCmd)
}

func newReportCmd() *cobra.Command {
	var format, html, percentiles string
	var cost costFlags
	cmd := &cobra.Command{
		Use:   "report FILE...",
		Short: "Print a result file as a table (or normalized JSON)",
		Long: `report reads a result file written by "fleetbench sim", "run" or "merge"
(schema fleetbench.result/v1; a sweep file (fleetbench.sweep/v1) only with --html)
and prints one column per workload class
plus the totals: requests, errors, TTFT/TPOT/ITL/E2E p50/p90/p99 in ms, token
counts, cache hit rate, throughput, SLO attainment, goodput and SLO verdict,
then the cost section. --gpu-price and --price-file re-price the result
(GPU prices the scenario set are kept unless overridden). A result with no
request in its window exits 1 with no table (--format json still prints it);
one none of whose requests completed, or with a class none of whose requests
completed, exits 1 after the table (after the page with --html, naming the file).
With --html it writes one self-contained page (works offline) for any number
of result and sweep files side by side: SLO verdict, key numbers, latency CDFs
and percentiles per class, timelines, and sweep cost/SLO/Pareto charts.`,
		Example: "  fleetbench report out.json\n  fleetbench report out.json --format json\n  fleetbench report sim.json endpoint.json sweep.json --html report.html",
		Args: func(cmd *cobra.Command, args []string) error {
			if html != "" { // --html: several results and sweeps side by side
				return cobra.MinimumNArgs(1)(cmd, args)
			}
			return cobra.ExactArgs(1)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if html != "" {
				return runReportHTML(cmd.OutOrStdout(), args, html)
			}
			return runReport(cmd.OutOrStdout(), args[0], format, percentiles, cost)
		},
	}
	cmd.Flags().StringVar(&format, "format", "table", "output format: "+orList(reportFormats)+" (csv and markdown: one row per class and latency metric with count, mean, std and --percentiles)")
	cmd.Flags().StringVar(&percentiles, "percentiles", "50,90,95,99", "percentiles of --format csv|markdown, comma-separated, each in (0,100] (beyond p50/p90/p95/p99/p99.9 they need the result's histograms)")
	addCostFlags(cmd.Flags(), &cost)
	cmd.Flags().StringVar(&html, "html", "", "write a self-contained HTML report with charts of every FILE (result and sweep files, side by side) to this path (\"-\" for stdout)")
	return cmd
}

// runReport prints the result file at path in format.
func runReport(out io.Writer, path, format, percentiles string, cost costFlags) error {
	if err := checkFormat(format, reportFormats); err != nil {
		return err
	}
	qs, err := results.ParsePercentiles(percentiles)
	if err != nil {
		return usageErr(fmt.Errorf("--percentiles: %w", err))
	}
	r, err := readResult(path)
	if err != nil {
		return err
	}
	if cost.set() {
		in, err := cost.inputs(nil)
		if err != nil {
			return usageErr(err)
		}
		if err := cost.checkPriceFileClasses(r, path); err != nil {
			return usageErr(err)
		}
		// A file keeps no price lists: re-pricing without --price-file
		// drops its revenue, margins and break-evens; say so, not nothing.
		var hadRevenue *float64
		if r.Cost != nil && cost.priceFile == "" {
			hadRevenue = r.Cost.RevenueUSD
		}
		if err := results.ApplyCost(r, in); err != nil {
			return usageErr(fmt.Errorf("%s: %w", path, err))
		}
		if hadRevenue != nil {
			r.Warnings = append(r.Warnings, fmt.Sprintf("re-priced without a price list: revenue, margins and break-evens are not recomputed (the file had revenue $%s; a result file keeps no price lists): give --price-file to price it again", fmtF(*hadRevenue)))
		}
	}
	// A result whose window holds no request is no table of zeros (sim
	// and run print none either); its JSON stays readable.
	if format != "json" && (r.Totals == nil || r.Totals.Requests == 0) {
		for _, f := range results.Check(r, results.Limits{MaxErrorRate: 1, MaxDropRate: 1}) {
			if f.Check == results.CheckNothingMeasured {
				return failErr(fmt.Errorf("%s: %s", path, f.Message))
			}
		}
	}
	var err2 error
	switch format {
	case "csv":
		err2 = emit(out, "", nil, func(w io.Writer) error { return results.RenderCSV(w, r, qs) })
	case "markdown":
		err2 = emit(out, "", nil, func(w io.Writer) error { return results.RenderMarkdown(w, r, qs) })
	default:
		err2 = emit(out, "", nil, renderResult(r, format))
	}
	if err2 != nil || format == "json" {
		return err2
	}
	return nothingCompleted(path, r)
}

// nothingCompleted fails (exit 1, after the report) a result none of
// whose requests completed, or with a class none of whose requests did:
// sim and run exit 1 for it whatever their limits (nothing_measured,
// class_failed), and the rows printed hold no figure for it.
func nothingCompleted(path string, r *results.Result) error {
	var msgs []string
	for _, f := range results.Check(r, results.Limits{MaxErrorRate: 1, MaxDropRate: 1}) {
		if f.Check == results.CheckNothingMeasured || f.Check == results.CheckClassFailed {
			msgs = append(msgs, path+": "+f.Message)
		}
	}
	if len(msgs) == 0 {
		return nil
	}
	return failErr(errors.New(strings.Join(msgs, "\nfleetbench: ")))
}

// reportFormats are report's stdout formats for a single result.
var reportFormats = append(append([]string(nil), resultFormats...), "csv", "markdown")

// readResult reads a result file; a missing or invalid file is bad input.
func readResult(path string) (*results.Result, error) {
	// A sweep or scale file is not an old result: say what it is rather
	// than "use a matching fleetbench version".
	switch schema, _ := results.FileSchema(path); schema {
	case sweepfile.Schema:
		return nil, usageErr(fmt.Errorf("%s is a sweep file (%s), not one result: chart it with --html (fleetbench report %s --html report.html) or compare two sweeps with fleetbench compare", path, schema, path))
	case scale.Schema:
		return nil, usageErr(fmt.Errorf("%s is a scale curve (%s), not one result: chart it with --html (fleetbench report %s --html report.html); fleetbench merge combines shards of one curve", path, schema, path))
	}
	r, err := results.ReadFile(path)
	if err != nil {
		return nil, usageErr(err)
	}
	return r, nil
}

func newMergeCmd() *cobra.Command {
	var out string
	var table bool
	cmd := &cobra.Command{
		Use:   "merge FILE FILE... -o OUT",
		Short: "Merge result files of shards of one scenario into one, losslessly",
		Long: `merge combines result files from shards of one scenario (several hosts,
seeds or time slices): histograms merge bucket for bucket, counts add, the
windows are united and every percentile and rate is recomputed. Files from
different scenarios, backends or fleets are refused. OUT "-" writes to stdout.`,
		Example: "  fleetbench merge host1.json host2.json -o all.json",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runMerge(cmd.OutOrStdout(), args, out, table)
		},
	}
	cmd.Flags().StringVarP(&out, "output", "o", "", "write the merged result to this file (\"-\" for stdout); required")
	cmd.Flags().BoolVar(&table, "table", false, "also print the merged result as a table on stdout")
	return cmd
}

// runMerge merges the result files in paths into outPath.
func runMerge(stdout io.Writer, paths []string, outPath string, showTable bool) error {
	if outPath == "" {
		return usageErr(errors.New("merge: no output file: pass -o OUT.json (or -o - for stdout)"))
	}
	if outPath == "-" && showTable {
		return usageErr(errors.New("merge: --table and -o - would both write to stdout: write the JSON to a file"))
	}
	if err := sameFileKind("merge", paths); err != nil {
		return usageErr(err)
	}
	// Sweep files (fleetbench.sweep/v1) merge shard by shard instead.
	if len(paths) > 0 {
		if schema, err := results.FileSchema(paths[0]); err == nil && schema == sweepfile.Schema {
			return mergeFiles(stdout, paths, outPath, showTable, mergeKind[*sweepfile.Sweep]{read: sweepfile.Read, merge: sweepfile.Merge,
				writeJSON: sweepfile.WriteJSON, table: func(w io.Writer, m *sweepfile.Sweep) error { return sweep.Render(w, m, "table") }})
		} else if err == nil && schema == scale.Schema {
			return mergeFiles(stdout, paths, outPath, showTable, mergeKind[*scale.Curve]{read: scale.ReadFile, merge: scale.Merge,
				writeJSON: scale.WriteJSON, table: func(w io.Writer, m *scale.Curve) error { return scale.Render(w, m, "table") }})
		}
	}
	return mergeFiles(stdout, paths, outPath, showTable, mergeKind[*results.Result]{
		read: results.ReadFile,
		merge: func(rs ...*results.Result) (*results.Result, error) {
			m, err := results.Merge(rs...)
			if err != nil {
				return nil, fmt.Errorf("%w (results numbered as given: %s)", err, strings.Join(paths, " "))
			}
			return m, nil
		},
		writeJSON: results.WriteJSON,
		// What report prints for the merged file: table, cost, pools, events.
		table: func(w io.Writer, r *results.Result) error { return renderResult(r, "table")(w) },
	})
}

// mergeKind is how merge reads, merges, writes and tabulates one kind of
// file (results, sweeps, scale curves).
type mergeKind[T any] struct {
	read      func(path string) (T, error)
	merge     func(...T) (T, error)
	writeJSON func(io.Writer, T) error
	table     func(io.Writer, T) error
}

// mergeFiles merges the files in paths into outPath ("-" = stdout), then
// prints the merged table with showTable. A file that does not read or
// merge is bad input.
func mergeFiles[T any](stdout io.Writer, paths []string, outPath string, showTable bool, k mergeKind[T]) error {
	xs := make([]T, 0, len(paths))
	for _, p := range paths {
		x, err := k.read(p)
		if err != nil {
			return usageErr(err)
		}
		xs = append(xs, x)
	}
	m, err := k.merge(xs...)
	if err != nil {
		return usageErr(err)
	}
	var table func(io.Writer) error
	if showTable {
		table = func(w io.Writer) error { return k.table(w, m) }
	}
	return emitMerged(stdout, outPath, func(w io.Writer) error { return k.writeJSON(w, m) }, table)
}

// emitMerged writes a merged file: to stdout for "-", else through emit,
// then the optional table.
func emitMerged(stdout io.Writer, outPath string, writeJSON, table func(io.Writer) error) error {
	if outPath == "-" {
		return emit(stdout, "", nil, writeJSON)
	}
	return emit(stdout, outPath, writeJSON, table)
}

// writeFileAtomic writes path through a temporary file in the same folder
// and a rename, so that a failed write never leaves half a result behind.
func writeFileAtomic(path string, write func(io.Writer) error) (err error) {
	// A path that exists and is not a regular file (/dev/null, /dev/stdout,
	// a named pipe) is written in place: renaming a temporary file over it
	// would replace the device or pipe itself (as root, `-o /dev/null`
	// turned /dev/null into a regular file).
	if st, serr := os.Stat(path); serr == nil && !st.Mode().IsRegular() {
		return writeInPlace(path, write)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = write(f); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Chmod(fs.FileMode(0o644)); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err = os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

// writeInPlace writes to an existing non-regular file (a device or a pipe)
// without truncating or replacing it.
func writeInPlace(path string, write func(io.Writer) error) error {
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

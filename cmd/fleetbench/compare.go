package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/results"
)

func init() { register(newCompareCmd) }

type compareFlags struct {
	failOn, format          string
	recordsBase, recordsNew string
	alpha                   float64
}

func newCompareCmd() *cobra.Command {
	var f compareFlags
	cmd := &cobra.Command{
		Use:   "compare BASE NEW",
		Short: "Compare two result files: per-class deltas, significance, CI gates",
		Long: `compare prints how NEW differs from BASE for every class and the totals:
latency percentiles, errors, cache hit rate, throughput, SLO attainment,
goodput and cost. With per-request records of both runs (--records-base,
--records-new, as written by --records) it tests every latency metric for a
significant change (Mann-Whitney U, two-sided, normal approximation with tie
correction) and, like benchstat, prints "~" instead of a delta when p >= alpha.

--fail-on takes comma-separated gates [class:]metric[.stat](>|<)[+|-]N[%]:
  ttft.p99>+10%          fail if p99 TTFT rose by more than 10% (relative)
  cache_hit_rate<-0.02   fail if the hit rate fell by more than 0.02 (absolute)
  chat:slo_attainment<-0.01   only for class chat ("total" = the totals)
Without a class a gate applies to every class and the totals. With records,
a latency gate fails only on a significant change: quantiles and the mean by a
seeded bootstrap interval (1000 resamples) of the change, which must lie wholly
on the gate's side of zero at --alpha; min and max by Mann-Whitney p < --alpha.
A crossed threshold that is not significant passes, with a note. Without
records, when BASE was written by sim --repeat N, a crossed gate passes if NEW's
value lies in the 95% prediction interval of BASE's repeats (mean ± t·std·
sqrt(1+1/N)). Latency
metrics, with .mean/.min/.p50/.p90/.p95/.p99/.p999/.max (default p50):
  ` + results.MetricNames() + `
Other metrics: requests, errors, error_rate, tasks,
*_tokens, cache_hit_rate, *_per_s, slo_attainment, goodput_rps,
preemptions, clips, video_seconds, cost.per_task_usd, cost.usd_per_mtok_*,
cost.margin_pct, ...

Two sweep files (fleetbench sweep --search max-load, simulated or live with
--target) compare on their max load; the gate is max_load:
  max_load<-10%          fail if the max load fell by more than 10%

A latency gate on the totals fails, not judged, when a class completed
requests on one side only (failed, sent none, or absent on the other: the
totals pool different request mixes); gate each class instead.

Exit status: 0 when every gate passes, 1 when a gate fails, 2 on bad input.`,
		Example: `  fleetbench compare base.json new.json
  fleetbench compare base.json new.json --fail-on 'ttft.p99>+10%,cache_hit_rate<-0.02' --format markdown
  fleetbench compare base.json new.json --records-base base.jsonl --records-new new.jsonl`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runCompare(cmd.OutOrStdout(), args[0], args[1], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.failOn, "fail-on", "", "comma-separated gates, e.g. 'ttft.p99>+10%,cache_hit_rate<-0.02' (exit 1 when one fails)")
	fl.StringVar(&f.format, "format", "table", "output format: table, markdown (pull-request comment) or json")
	fl.StringVar(&f.recordsBase, "records-base", "", "per-request records (JSONL) of BASE, for significance tests")
	fl.StringVar(&f.recordsNew, "records-new", "", "per-request records (JSONL) of NEW, for significance tests")
	fl.Float64Var(&f.alpha, "alpha", results.DefaultAlpha, "significance level of the tests")
	return cmd
}

// runCompare compares the result files base and nw and writes the report;
// a failed gate is exit 1, bad input exit 2.
func runCompare(out io.Writer, base, nw string, f compareFlags) error {
	switch f.format {
	case "table", "markdown", "json":
	default:
		return usageErr(fmt.Errorf("--format %q: want table, markdown or json", f.format))
	}
	if (f.recordsBase == "") != (f.recordsNew == "") {
		return usageErr(errors.New("--records-base and --records-new go together: give the records of both runs, or neither"))
	}
	if err := sameFileKind("compare", []string{base, nw}); err != nil {
		return usageErr(err)
	}
	if isSweepFile(base) || isSweepFile(nw) {
		return runCompareSweeps(out, base, nw, f)
	}
	if !(f.alpha > 0 && f.alpha < 1) {
		return usageErr(fmt.Errorf("--alpha %v: want a significance level between 0 and 1, e.g. 0.05", f.alpha))
	}
	gates, err := results.ParseGates(f.failOn)
	if err != nil {
		return usageErr(fmt.Errorf("--fail-on: %w", err))
	}
	rb, err := readResult(base)
	if err != nil {
		return err
	}
	rn, err := readResult(nw)
	if err != nil {
		return err
	}
	opt := results.CompareOptions{Gates: gates, Alpha: f.alpha}
	if f.recordsBase != "" {
		if opt.BaseSamples, err = readSamples(f.recordsBase, rb, base); err != nil {
			return err
		}
		if opt.NewSamples, err = readSamples(f.recordsNew, rn, nw); err != nil {
			return err
		}
	}
	cmp, err := results.Compare(rb, rn, opt)
	if err != nil {
		return usageErr(err)
	}
	if err := results.RenderComparison(out, cmp, f.format); err != nil {
		return failErr(err)
	}
	if cmp.Failed {
		n := 0
		var unjudged []string
		for _, g := range cmp.Gates {
			if g.Failed {
				n++
			}
			if g.Failed && strings.HasPrefix(g.Note, results.NotJudged) {
				unjudged = append(unjudged, g.Gate+" "+g.Note)
			}
		}
		msg := fmt.Sprintf("compare: %d gate check(s) failed (see the gates above)", n)
		if len(unjudged) > 0 {
			msg += "; " + strings.Join(unjudged, "; ")
		}
		return failErr(errors.New(msg))
	}
	return nil
}

// readSamples reads a records file, leaving out the warm-up of the result
// (read from resPath) it belongs to, as that result's summary did. A file
// with no completed request beside a result that has some is refused: an
// empty records file compared as if it were that run's (no sample: no
// change judged significant), exit 0.
func readSamples(path string, r *results.Result, resPath string) (*results.Samples, error) {
	file, err := os.Open(path)
	if err != nil {
		return nil, usageErr(err)
	}
	defer file.Close()
	s, err := results.ReadSamples(file, path, int64(r.Window.WarmupS*1e9+0.5))
	if err != nil {
		return nil, usageErr(err)
	}
	if r.Totals != nil && r.Totals.Completed > 0 && len(s.Values(results.TotalClass, "e2e")) == 0 {
		return nil, usageErr(fmt.Errorf("%s holds no completed request after the warm-up, but %s completed %d: give the records written with that result (--records), or leave out --records-base/--records-new", path, resPath, r.Totals.Completed))
	}
	return s, nil
}

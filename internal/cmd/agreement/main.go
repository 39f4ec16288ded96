// Command agreement compares a `fleetbench sim` result with a `fleetbench
// run` result of the same scenario (run against `fleetbench serve`): equal
// request counts, TTFT and TPOT p50/p99 within tolerances, cache hit rate
// within 0.02. It prints one row per check and, last, the verdict line
// "agreement: ok, TTFT p50 -1.2%, ..." (or "agreement: FAILED, ..."); exit
// status 1 when a check fails, 2 when a file cannot be read. Used by
// scripts/agreement.sh (make agreement) and scripts/demo.sh (make demo).
//
// A miss on a busy host is no verdict on the simulator: when the client
// sent requests late (the run's schedule delay p99 over 5 ms) or the host
// delays a 200 µs sleep by more than hostnoise.Quiet, the endpoint saw
// other arrival times than the simulator, and one request sent 50 ms late
// reorders a busy period and shifts TTFT p50 by 20% (testdata). Then the
// verdict is "INCONCLUSIVE (host too busy: ...)", exit status 3, unless
// -strict (or FLEETBENCH_REALTIME) asks for a gate whatever the host.
//
//	go run ./internal/cmd/agreement [-p50 0.05] [-p99 0.05] [-cost] [-strict] SIM.json RUN.json
package main

import (
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/fleetbench/fleetbench/internal/hostnoise"
	"github.com/fleetbench/fleetbench/results"
)

// lateClientMs is the run's schedule delay p99 above which the client
// counts as having fallen behind its arrivals: half of the 5% p50 bound on
// the demo's ~190 ms TTFT p50.
const lateClientMs = 5

// probe measures the host's timer overshoot (tests replace it).
var probe = hostnoise.Probe

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("agreement", flag.ContinueOnError)
	fs.SetOutput(stderr)
	p50 := fs.Float64("p50", 0.05, "relative tolerance on TTFT/TPOT p50")
	p99 := fs.Float64("p99", 0.05, "relative tolerance on TTFT/TPOT p99")
	cost := fs.Bool("cost", false, "also print each side's cost per task (not a check)")
	strict := fs.Bool("strict", hostnoise.Strict(), "fail on a miss even when the host was too busy to judge (default: FLEETBENCH_REALTIME set)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() != 2 {
		fmt.Fprintln(stderr, "usage: agreement [-p50 F] [-p99 F] [-cost] [-strict] SIM.json RUN.json")
		return 2
	}
	s, err := results.ReadFile(fs.Arg(0))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	r, err := results.ReadFile(fs.Arg(1))
	if err != nil {
		fmt.Fprintln(stderr, err)
		return 2
	}
	fail := false
	var summary []string
	names := make([]string, 0, len(s.Classes))
	for name := range s.Classes {
		names = append(names, name)
	}
	sort.Strings(names)
	fmt.Fprintf(stdout, "%-10s %-16s %12s %12s %8s %6s  %s\n", "class", "metric", "sim", "run/serve", "diff", "limit", "ok")
	for _, name := range names {
		sc, rc := s.Classes[name], r.Classes[name]
		if rc == nil {
			fmt.Fprintf(stdout, "%-10s missing from the run result\n", name)
			fail = true
			continue
		}
		// abs: tol is an absolute difference; else relative to the sim's value.
		row := func(metric string, a, b, tol float64, abs bool) {
			d := b - a
			ok := math.Abs(d) <= tol
			unit, lim := "", fmt.Sprintf("%.3g", tol)
			if !abs {
				ok = a != 0 && math.Abs(d) <= tol*math.Abs(a)
				d = d / a * 100
				unit, lim = "%", fmt.Sprintf("%.0f%%", tol*100)
			}
			fail = fail || !ok
			fmt.Fprintf(stdout, "%-10s %-16s %12.4g %12.4g %+7.3g%s %6s  %v\n", name, metric, a, b, d, unit, lim, ok)
			if !abs {
				label := strings.ToUpper(metric[:4]) + metric[4:strings.LastIndex(metric, " ")]
				if len(names) > 1 {
					label = name + " " + label
				}
				summary = append(summary, label+" "+signedPct(d))
			}
		}
		pct := func(p *results.Percentiles, q int) float64 {
			if p == nil {
				return math.NaN()
			}
			if q == 50 {
				return p.P50
			}
			return p.P99
		}
		row("requests", float64(sc.Requests), float64(rc.Requests), 0, true)
		row("ttft p50 ms", pct(sc.TTFT, 50), pct(rc.TTFT, 50), *p50, false)
		row("ttft p99 ms", pct(sc.TTFT, 99), pct(rc.TTFT, 99), *p99, false)
		row("tpot p50 ms", pct(sc.TPOT, 50), pct(rc.TPOT, 50), *p50, false)
		row("tpot p99 ms", pct(sc.TPOT, 99), pct(rc.TPOT, 99), *p99, false)
		ratio := func(p *float64) float64 {
			if v, ok := results.Ratio(p); ok {
				return v
			}
			return math.NaN() // undefined, as pct's absent percentiles
		}
		row("cache hit rate", ratio(sc.CacheHitRate), ratio(rc.CacheHitRate), 0.02, true)
		if *cost {
			fmt.Fprintf(stdout, "%-10s %-16s %12s %12s\n", name, "cost per task $", perTask(sc), perTask(rc))
		}
	}
	verdict, code := "ok", 0
	if fail {
		verdict, code = "FAILED", 1
		if busy := hostBusy(r); len(busy) > 0 && !*strict {
			verdict, code = "INCONCLUSIVE (host too busy: "+strings.Join(busy, "; ")+
				"; rerun on a quiet machine, or pass -strict to gate anyway)", 3
		}
	}
	fmt.Fprintf(stdout, "agreement: %s, %s (run->serve vs sim; limits p50 %.0f%%, p99 %.0f%%)\n",
		verdict, strings.Join(summary, ", "), *p50*100, *p99*100)
	return code
}

// hostBusy says why the host was too busy for a miss to count against the
// simulator, or nothing.
func hostBusy(run *results.Result) []string {
	var why []string
	if sd := run.Totals.ScheduleDelay; sd != nil && sd.P99 > lateClientMs {
		why = append(why, fmt.Sprintf("the client sent requests late, schedule delay p99 %.1f ms > %d ms, so the endpoint saw other arrival times than the simulator", sd.P99, lateClientMs))
	}
	if d := probe(); d > 0 {
		why = append(why, fmt.Sprintf("host timer overshoot p99 %v > %v", d.Round(100*time.Microsecond), hostnoise.Quiet))
	}
	return why
}

// perTask is a class's cost per task, "-" when the result has no cost.
func perTask(c *results.ClassResult) string {
	if c.Cost == nil {
		return "-"
	}
	return fmt.Sprintf("%.3g", c.Cost.PerTaskUSD)
}

// signedPct writes a relative difference in percent to one decimal with
// its sign: a difference that rounds to zero is "+0.0%", not "-0.0%".
func signedPct(d float64) string {
	if s := fmt.Sprintf("%+.1f%%", d); s != "-0.0%" {
		return s
	}
	return "+0.0%"
}

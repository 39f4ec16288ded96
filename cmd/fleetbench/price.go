package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/pricing"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
)

func init() { register(newPriceCmd) }

type priceFlags struct {
	cuts, plans  []string
	class, fleet string
	format       string
	duration     time.Duration
	rateScale    float64
	cost         costFlags
}

func newPriceCmd() *cobra.Command {
	var f priceFlags
	cmd := &cobra.Command{
		Use:   "price RESULT.json|SCENARIO",
		Short: "Price-cut feasibility: margins, break-even solves and monthly plans for a result or a simulated scenario",
		Long: `price answers a vendor's questions about a price list at a measured point: a
result file (or a scenario, simulated on its fleet or --fleet). For each class
with a price list (the scenario's, or --price-file, which may mix lists per
class; a result file keeps no price lists, so price one with --price-file
or --plan) it prints revenue, cost, the margin on cost (markup_pct) and on revenue
(margin_pct), and the break-even of each variable with the others held:
every price the list sets, the cache hit rate, the fleet utilization, the
traffic multiple on the same fleet and the $/GPU-hour (docs/economics.md).
--cut output=-50% (or input, cached, task, video, all; repeatable) prints the
same after the cut. --plan prices a monthly subscription against the class's
cost per task: fee (USD per subscriber per month) and tasks per subscriber
per month from a heavy-tailed distribution (lognormal mean/median, or pareto
min/alpha), giving the plan margin, the share of subscribers below cost and
the cost they cause.

Exit status: 0 every figure printed is a figure; 1 after printing, when a
class could not be priced (none of its requests completed, or none arrived
in the window) or the fleet fell behind the offered load (its cost is a
lower bound: the margins and break-evens printed are bounds, JSON
lower_bound); 2 bad input.`,
		Example: `  fleetbench price chat --cut output=-50%
  fleetbench price result.json --price-file prices.yaml --cut all=-30%
  fleetbench price agent-coding --plan name=pro,fee=20,mean=40,median=15,class=coding`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runPrice(cmd.OutOrStdout(), args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.cuts, "cut", nil, "price change TARGET=±PCT%, TARGET input|cached|output|task|video|all (repeatable)")
	fl.StringArrayVar(&f.plans, "plan", nil, "monthly plan: name=N,fee=USD,mean=M,median=m[,class=C] or fee=..,dist=pareto,min=..,alpha=.. (repeatable)")
	fl.StringVar(&f.class, "class", "", "only this class")
	fl.StringVar(&f.fleet, "fleet", "", "scenario only: fleet to simulate (default: the scenario's)")
	fl.DurationVar(&f.duration, "duration", 0, "scenario only: override the duration (virtual time)")
	fl.Float64Var(&f.rateScale, "rate-scale", 0, "scenario only: multiply every arrival rate")
	fl.StringVar(&f.format, "format", "table", "table or json")
	addCostFlags(fl, &f.cost)
	return cmd
}

// priceReport is price's JSON output.
type priceReport struct {
	// Warnings are the priced result's own (fell behind: every cost a
	// lower bound, every margin an upper bound; short window; ...).
	Warnings []string `json:"warnings,omitempty"`
	// LowerBound: the fleet fell behind the offered load, so every cost
	// is a lower bound and every margin and break-even price a bound too
	// (price exits 1, as sim does).
	LowerBound bool                 `json:"lower_bound,omitempty"`
	Classes    []priceClass         `json:"classes"`
	Plans      []econ.PlanEconomics `json:"plans,omitempty"`
	// NotPriced says, per class, why it has no figures: none of its
	// requests completed (or none arrived in the window), so its revenue,
	// cost and break-evens would be zeros of nothing measured (price
	// exits 1).
	NotPriced map[string]string `json:"not_priced,omitempty"`
}

type priceClass struct {
	Class string         `json:"class"`
	List  *econ.Analysis `json:"list"`
	Cut   *econ.Analysis `json:"cut,omitempty"`
	Cuts  []string       `json:"cuts,omitempty"`
	// CutUnchanged: the cuts change no price the class's list sets (an
	// output cut of a per-task list), so there is no Cut analysis.
	CutUnchanged bool `json:"cut_unchanged,omitempty"`
}

// isResultArg reports whether price's argument is a result file: an
// existing file that is not a scenario YAML (a scenario file is simulated,
// as a built-in name is; it was read as a result and refused as bad JSON).
func isResultArg(arg string) bool {
	st, err := os.Stat(arg)
	if err != nil || st.IsDir() {
		return false
	}
	ext := strings.ToLower(filepath.Ext(arg))
	return ext != ".yaml" && ext != ".yml"
}

// loadPriced returns a priced result: a result file re-priced with the
// cost flags, or the scenario simulated and priced.
func loadPriced(arg string, f priceFlags) (*results.Result, error) {
	if isResultArg(arg) {
		if schema, _ := results.FileSchema(arg); schema == sweepfile.Schema {
			return nil, usageErr(fmt.Errorf("%s is a sweep file: price takes one result (fleetbench sim ... -o r.json)", arg))
		}
		r, err := results.ReadFile(arg)
		if err != nil {
			return nil, usageErr(err)
		}
		in, err := f.cost.inputs(nil)
		if err != nil {
			return nil, usageErr(err)
		}
		if err := f.cost.checkPriceFileClasses(r, arg); err != nil {
			return nil, usageErr(err)
		}
		if in.Prices == nil && r.Cost != nil && len(r.Classes) > 0 {
			// Keep the lists the result was priced with.
			in.Prices = map[string]*pricing.List{}
		}
		if err := results.ApplyCost(r, in); err != nil {
			return nil, usageErr(err)
		}
		return r, nil
	}
	sc, err := scenarios.Resolve(arg)
	if err != nil {
		return nil, usageErr(err)
	}
	cfg := sim.ConfigFromScenario(sc)
	override(&cfg.Fleet, f.fleet)
	if cfg.Fleet == "" {
		return nil, usageErr(fmt.Errorf("scenario %q names no default fleet: pass --fleet", sc.Name))
	}
	if err := checkVideoModels(sc, cfg); err != nil {
		return nil, usageErr(err)
	}
	in, err := f.cost.inputs(sc)
	if err != nil {
		return nil, usageErr(err)
	}
	// The warm-up follows sim's rule (cut to 10% of a shortened run), so
	// that price and sim of one point price the same window.
	wo := scenarios.WorkloadOptions{Duration: f.duration, RateScale: f.rateScale}
	warm, err := sc.WarmupFor(wo, -1, false)
	if err != nil {
		return nil, usageErr(err)
	}
	r, _, err := sim.Run(sc.WithWarmup(warm.D), cfg, wo)
	if err != nil {
		if f.fleet == "" {
			err = fleetFileErr(sc, err) // the file's fleet: say where
		}
		return nil, usageErr(err)
	}
	if err := results.ApplyCost(r, in); err != nil {
		return nil, failErr(err)
	}
	return r, nil
}

// classLists recovers each class's price list: the inputs given, else the
// list the result was priced with is not stored, so a result without
// --price-file prices nothing.
func runPrice(w io.Writer, arg string, f priceFlags) error {
	if err := checkFormat(f.format, resultFormats); err != nil {
		return err
	}
	var cuts []econ.Cut
	for _, s := range f.cuts {
		c, err := econ.ParseCut(s)
		if err != nil {
			return usageErr(fmt.Errorf("--cut: %w", err))
		}
		cuts = append(cuts, c)
	}
	var plans []econ.Plan
	for _, s := range f.plans {
		p, err := econ.ParsePlan(s)
		if err != nil {
			return usageErr(fmt.Errorf("--plan: %w", err))
		}
		plans = append(plans, p)
	}
	r, err := loadPriced(arg, f)
	if err != nil {
		return err
	}
	var sc *scenarios.Scenario
	if !isResultArg(arg) {
		sc, _ = scenarios.Resolve(arg)
	}
	in, err := f.cost.inputs(sc)
	if err != nil {
		return usageErr(err)
	}
	util, _ := results.FleetUtilization(r)
	gpuMean := 0.0
	if r.Fleet != nil && r.Fleet.GPUs > 0 {
		gpuMean = results.USDPerHour(r) / float64(r.Fleet.GPUs)
	}
	split := results.DefaultCostSplit
	if r.Cost != nil && r.Cost.Split != nil {
		split = *r.Cost.Split
	}
	names := make([]string, 0, len(r.Classes))
	for n := range r.Classes {
		if f.class == "" || f.class == n {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	if len(names) == 0 {
		return usageErr(fmt.Errorf("no class %q in the result", f.class))
	}
	rep := priceReport{Warnings: slices.Clone(r.Warnings)}
	behind, behindWhy := results.FellBehind(r, in.MaxLag)
	if behind && !slices.Contains(rep.Warnings, behindWhy) {
		rep.Warnings = append(rep.Warnings, behindWhy) // as sim adds it (emitResult)
	}
	rep.LowerBound = behind || (r.Cost != nil && r.Cost.LowerBound)
	bound := ""
	if rep.LowerBound {
		bound = " (cost a lower bound, margins upper bounds: the fleet fell behind)"
	}
	for _, n := range names {
		c := r.Classes[n]
		pl := in.Prices[n]
		if pl == nil {
			pl = in.Prices["*"]
		}
		// A priced result's class without a cost sent no request (its
		// cost is absent, not 0): said below, not skipped.
		if pl == nil || c == nil || (c.Cost == nil && r.Cost == nil) {
			continue
		}
		why := results.ClassFailedWhole(n, c)
		if c.Requests == 0 {
			why = fmt.Sprintf("class %s: no request of the class arrived in the measured window %.3f-%.3f s: nothing to price; lengthen the run (--duration)", n, r.Window.StartS, r.Window.EndS)
		}
		if why != "" {
			if rep.NotPriced == nil {
				rep.NotPriced = map[string]string{}
			}
			rep.NotPriced[n] = why
			continue
		}
		cu, _ := results.ClassUtilization(r, n) // its pools', not the fleet's
		b, _ := results.BookFor(c, pl, split, cu)
		a := econ.Analyze(n+" at list prices"+bound, pl.Currency, b, gpuMean)
		pc := priceClass{Class: n, List: &a}
		if len(cuts) > 0 {
			cl := econ.ApplyCuts(pl, cuts)
			for _, ct := range cuts {
				pc.Cuts = append(pc.Cuts, ct.String())
			}
			if reflect.DeepEqual(cl, pl) {
				pc.CutUnchanged = true
			} else {
				cb, _ := results.BookFor(c, cl, split, cu)
				ca := econ.Analyze(n+" after "+strings.Join(pc.Cuts, " ")+bound, cl.Currency, cb, gpuMean)
				pc.Cut = &ca
			}
		}
		rep.Classes = append(rep.Classes, pc)
	}
	for _, p := range plans {
		cls := p.Class
		if cls == "" && len(names) == 1 {
			cls = names[0]
		}
		c := r.Classes[cls]
		if c != nil && c.Requests == 0 {
			return failErr(fmt.Errorf("--plan %s: class %s: no request of the class arrived in the measured window %.3f-%.3f s: no cost per task to price the plan with; lengthen the run (--duration)", p.Name, cls, r.Window.StartS, r.Window.EndS))
		}
		if c == nil || c.Cost == nil {
			return usageErr(fmt.Errorf("--plan %s: name the class whose cost per task prices it (class=NAME; classes: %v)", p.Name, names))
		}
		p.Class = cls
		e, err := p.Evaluate(c.Cost.PerTaskUSD)
		if err != nil {
			return usageErr(err)
		}
		rep.Plans = append(rep.Plans, e)
	}
	if len(rep.Classes) == 0 && len(rep.Plans) == 0 && len(rep.NotPriced) == 0 {
		if isResultArg(arg) && f.cost.priceFile == "" {
			// The scenario's lists may exist; the file does not store them.
			scen := r.Scenario.Name
			if scen == "" {
				scen = "SCENARIO"
			}
			return usageErr(fmt.Errorf("nothing to price: a result file carries no price lists: give --price-file, or price the scenario itself (fleetbench price %s), or give --plan", scen))
		}
		return usageErr(errors.New("nothing to price: no class has a price list (give --price-file) and no --plan"))
	}
	if f.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
		return notPriced(rep, behindWhy)
	}
	if r.Cost != nil {
		fmt.Fprintf(w, "cost over %s s: %s GPU-hours, $%s; fleet utilization %s\n", fmtF(r.Cost.WindowS), fmtF(r.Cost.GPUHours), fmtF(r.Cost.USD), results.Pct(util))
	}
	// Every figure below is read with them: a fleet that fell behind has
	// a lower-bound cost, so its margins and break-evens are bounds too.
	for _, wn := range rep.Warnings {
		fmt.Fprintf(w, "WARNING: %s\n", wn)
	}
	if r.Cost != nil {
		fmt.Fprintln(w)
	}
	for _, pc := range rep.Classes {
		if err := pc.List.Render(w); err != nil {
			return err
		}
		if pc.Cut != nil {
			fmt.Fprintln(w)
			if err := pc.Cut.Render(w); err != nil {
				return err
			}
		} else if pc.CutUnchanged {
			fmt.Fprintf(w, "\n%s after %s: unchanged (its list sets no price the cut changes)\n", pc.Class, strings.Join(pc.Cuts, " "))
		}
		fmt.Fprintln(w)
	}
	for _, n := range slices.Sorted(maps.Keys(rep.NotPriced)) {
		fmt.Fprintf(w, "%s: not priced: %s\n\n", n, rep.NotPriced[n])
	}
	for _, e := range rep.Plans {
		if err := e.Render(w, "USD"); err != nil {
			return err
		}
	}
	return notPriced(rep, behindWhy)
}

// notPriced fails (exit 1, after the report) a price report with a class
// none of whose requests completed, as sim's class_failed check does, or
// whose fleet fell behind (behind: why; its margins are upper bounds), as
// sim's keep-up check does.
func notPriced(rep priceReport, behind string) error {
	if len(rep.NotPriced) == 0 && !rep.LowerBound {
		return nil
	}
	msgs := make([]string, 0, len(rep.NotPriced)+1)
	if rep.LowerBound {
		if behind == "" {
			behind = "the fleet fell behind the offered load (the result's cost is marked a lower bound): every margin and break-even price above is a bound, not a figure"
		}
		msgs = append(msgs, behind)
	}
	for _, n := range slices.Sorted(maps.Keys(rep.NotPriced)) {
		msgs = append(msgs, rep.NotPriced[n])
	}
	return failErr(errors.New(strings.Join(msgs, "\nfleetbench: ")))
}

package main

import (
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/pricing"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// costFlags are the cost model's command-line inputs, shared by sim and
// report.
type costFlags struct {
	gpuPrice  string
	priceFile string
}

func addCostFlags(fl *pflag.FlagSet, f *costFlags) {
	fl.StringVar(&f.gpuPrice, "gpu-price", "", `USD per GPU-hour by GPU type, overriding the scenario and the catalog, e.g. "h100=2.5,h20=1.2"`)
	fl.StringVar(&f.priceFile, "price-file", "", `YAML price list(s) for revenue, margin and break-even:
"default: {currency: USD, input_per_mtok: .., cached_input_per_mtok: .., output_per_mtok: .., tiers: [..], per_task: .., per_video_second: ..}"
and/or "classes: {NAME: {...}}"; replaces the scenario's class pricing`)
}

// warnUnusedGPUPrices warns (stderr) of a --gpu-price for a GPU no pool
// of res's fleet runs on: that price is not used.
func warnUnusedGPUPrices(w io.Writer, res *results.Result, in results.CostInputs) {
	if res == nil || res.Fleet == nil || len(res.Fleet.Pools) == 0 {
		return
	}
	var used []string
	for _, p := range res.Fleet.Pools {
		if g := strings.ToLower(p.GPU); g != "" && !slices.Contains(used, g) {
			used = append(used, g)
		}
	}
	for _, k := range slices.Sorted(maps.Keys(in.GPUHourUSD)) {
		if !slices.Contains(used, k) {
			fmt.Fprintf(w, "fleetbench: warning: --gpu-price %s: no pool of the fleet runs on %s (it runs on %s): that price is not used\n", k, k, strings.Join(used, ", "))
		}
	}
}

// set reports whether any cost flag was given.
func (f costFlags) set() bool { return f.gpuPrice != "" || f.priceFile != "" }

// inputs builds the cost model's inputs: GPU prices from the scenario and
// the command line, and price lists: a price file's class list, else its
// default, else the scenario's class pricing. sc may be nil (report).
// Errors are bad input.
func (f costFlags) inputs(sc *scenarios.Scenario) (results.CostInputs, error) {
	var in results.CostInputs
	gp, err := results.ParseGPUPrices(f.gpuPrice)
	if err != nil {
		return in, fmt.Errorf("--gpu-price: %w", err)
	}
	for _, k := range slices.Sorted(maps.Keys(gp)) {
		// Every fleet runs on catalog GPUs: a price for another name (a
		// typo) would never be used, and the catalog's would be instead.
		if _, err := hardware.Lookup(k); err != nil {
			return in, fmt.Errorf("--gpu-price: %w", err)
		}
	}
	in.GPUHourUSD = gp
	prices := map[string]*pricing.List{}
	if sc != nil {
		if sc.Fleet != nil && len(sc.Fleet.GPUHourUSD) > 0 {
			in.ScenarioGPUHourUSD = map[string]float64{}
			for k, v := range sc.Fleet.GPUHourUSD {
				in.ScenarioGPUHourUSD[strings.ToLower(k)] = v
			}
		}
		for _, c := range sc.Classes {
			if c.Pricing != nil {
				prices[c.Name] = c.Pricing.Clone()
			}
		}
	}
	if f.priceFile != "" {
		data, err := os.ReadFile(f.priceFile)
		if err != nil {
			return in, fmt.Errorf("--price-file: %w", err)
		}
		file, err := scenarios.ParsePriceFile(f.priceFile, data)
		if err != nil {
			return in, fmt.Errorf("--price-file: %w", err)
		}
		if def := file["*"]; def != nil {
			// The file's default replaces the scenario's lists too.
			prices = map[string]*pricing.List{"*": def}
		}
		for k, v := range file {
			prices[k] = v
		}
		if sc != nil {
			names := make([]string, len(sc.Classes))
			for i, c := range sc.Classes {
				names[i] = c.Name
			}
			if err := priceFileClasses(file, "scenario "+sc.Name, names); err != nil {
				return in, err
			}
		}
	}
	if len(prices) > 0 {
		in.Prices = prices
	}
	return in, nil
}

// priceFileClasses refuses a --price-file list for a class that what
// (the scenario or result priced) does not have: a typo (chatt for chat)
// priced nothing, and the class was priced with the default list, or not
// at all, without a word.
func priceFileClasses(file map[string]*pricing.List, what string, classes []string) error {
	for _, k := range slices.Sorted(maps.Keys(file)) {
		if k != "*" && !slices.Contains(classes, k) {
			return fmt.Errorf("--price-file: classes.%s: no class %q in %s (its classes: %s): fix the name or drop the list", k, k, what, strings.Join(classes, ", "))
		}
	}
	return nil
}

// checkPriceFileClasses is priceFileClasses for a result file read back
// (report, price): the classes are the result's.
func (f costFlags) checkPriceFileClasses(r *results.Result, path string) error {
	if f.priceFile == "" || r == nil {
		return nil
	}
	data, err := os.ReadFile(f.priceFile)
	if err != nil {
		return fmt.Errorf("--price-file: %w", err)
	}
	file, err := scenarios.ParsePriceFile(f.priceFile, data)
	if err != nil {
		return fmt.Errorf("--price-file: %w", err)
	}
	return priceFileClasses(file, "result "+path, slices.Sorted(maps.Keys(r.Classes)))
}

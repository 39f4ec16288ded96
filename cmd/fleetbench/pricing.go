package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/pflag"

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
	}
	if len(prices) > 0 {
		in.Prices = prices
	}
	return in, nil
}

package main

import (
	"errors"

	"github.com/spf13/pflag"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sim"
)

// fleetDecl declares the fleet that served an endpoint run, so that its
// result gets the cost section a simulated fleet gets.
type fleetDecl struct {
	fleet, gpu string
	tp         int
	usd        float64
}

func addFleetDeclFlags(fl *pflag.FlagSet, d *fleetDecl) {
	fl.StringVar(&d.fleet, "fleet", "", `the fleet that served the endpoint, for the cost section, e.g. "2P4D" or "8C" (with --gpu, --tp)`)
	fl.StringVar(&d.gpu, "gpu", "", "GPU type of the declared --fleet (default h100)")
	fl.IntVar(&d.tp, "tp", 0, "GPUs per instance of the declared --fleet (default 1)")
	fl.Float64Var(&d.usd, "usd-per-gpu-hour", 0, "USD per GPU-hour of the declared --fleet (default: the catalog's; --gpu-price overrides per type)")
}

// info builds the declared fleet; nil without --fleet. Errors are bad
// flags, reported before the run starts.
func (d fleetDecl) info() (*results.FleetInfo, error) {
	if d.fleet == "" {
		if d.gpu != "" || d.tp != 0 || d.usd != 0 {
			return nil, errors.New("--gpu, --tp and --usd-per-gpu-hour describe a declared fleet: give --fleet too")
		}
		return nil, nil
	}
	return sim.DeclaredFleet(d.fleet, d.gpu, d.tp, d.usd)
}

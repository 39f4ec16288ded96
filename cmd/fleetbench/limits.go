package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/sim"
)

// checkIntFlags refuses (exit 2) a simulator setting given on the command
// line outside its documented range (sim.IntLimits). Without it an
// explicit --tp 0 or --max-seqs 0 would be read as "not given" and
// silently replaced by the default.
func checkIntFlags(cmd *cobra.Command) error {
	for _, b := range sim.IntLimits {
		name := strings.TrimPrefix(b.Flag, "--")
		fl := cmd.Flags().Lookup(name)
		if fl == nil || !fl.Changed {
			continue
		}
		v, err := cmd.Flags().GetInt(name)
		if err != nil {
			continue // not an int flag here (sweep's --tp is a list, checked by its parser)
		}
		if v < b.Min || v > b.Max {
			return usageErr(fmt.Errorf("%s %d: must be in [%d, %d] (docs/scenarios.md, Limits)", b.Flag, v, b.Min, b.Max))
		}
	}
	return nil
}

package main

import (
	"fmt"
	"io"
	"strconv"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// isSweepFile reports whether path holds a sweep file (by its schema).
func isSweepFile(path string) bool {
	schema, err := results.FileSchema(path)
	return err == nil && schema == sweepfile.Schema
}

// runCompareSweeps compares two max-load sweeps (simulated or live, e.g.
// last build's and this build's measured max load): the answers side by
// side, and the max_load gates of --fail-on.
func runCompareSweeps(out io.Writer, base, nw string, f compareFlags) error {
	if f.recordsBase != "" {
		return usageErr(fmt.Errorf("--records-base/--records-new apply to result files, not sweeps"))
	}
	gates, err := sweepfile.ParseLoadGates(f.failOn)
	if err != nil {
		return usageErr(fmt.Errorf("--fail-on: %w", err))
	}
	sb, err := sweepfile.Read(base)
	if err != nil {
		return usageErr(err)
	}
	sn, err := sweepfile.Read(nw)
	if err != nil {
		return usageErr(err)
	}
	if sb.Scenario.Name != sn.Scenario.Name || sb.Scenario.Hash != sn.Scenario.Hash {
		fmt.Fprintf(out, "warning: the sweeps ran different scenarios (%s %s, %s %s): the loads are multipliers of different traffic\n",
			sb.Scenario.Name, sb.Scenario.Hash, sn.Scenario.Name, sn.Scenario.Hash)
	}
	show := func(s *sweepfile.Sweep) string {
		if v, ok := s.MaxLoad(); ok {
			return strconv.FormatFloat(v, 'g', 4, 64) + "x"
		}
		return "-"
	}
	fmt.Fprintf(out, "max_load  base %s  new %s\n", show(sb), show(sn))
	failed := 0
	for _, g := range gates {
		change, bad, err := g.Judge(sb, sn)
		if err != nil {
			return failErr(fmt.Errorf("gate %s: %w", g.Raw, err))
		}
		unit := ""
		if g.Relative {
			unit = "%"
		}
		verdict := "ok"
		if bad {
			verdict, failed = "FAILED", failed+1
		}
		fmt.Fprintf(out, "gate %s: change %+.4g%s: %s\n", g.Raw, change, unit, verdict)
	}
	if failed > 0 {
		return failErr(fmt.Errorf("compare: %d gate check(s) failed (see the gates above)", failed))
	}
	return nil
}

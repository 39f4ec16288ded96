package main

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/results/htmlreport"
	"github.com/fleetbench/fleetbench/scale"
)

// runReportHTML writes the HTML report of the result, sweep and scale
// files in paths to outPath ("-": stdout) and says what it wrote on stdout.
// A scale curve is charted as the sweep of its answers (scale.AsSweep), as
// fleetbench scale --html does.
func runReportHTML(stdout io.Writer, paths []string, outPath string) error {
	var others []string
	var curves []htmlreport.SweepRun
	for _, p := range paths {
		if schema, err := results.FileSchema(p); err == nil && schema == scale.Schema {
			c, err := scale.ReadFile(p)
			if err != nil {
				return usageErr(err)
			}
			curves = append(curves, htmlreport.SweepRun{Label: strings.TrimSuffix(filepath.Base(p), ".json"), Sweep: scale.AsSweep(c)})
			continue
		}
		others = append(others, p)
	}
	var in htmlreport.Input
	if len(others) > 0 || len(curves) == 0 {
		var err error
		if in, err = htmlreport.Load(others); err != nil {
			return usageErr(err)
		}
	}
	in.Sweeps = append(in.Sweeps, curves...)
	render := func(w io.Writer) error { return htmlreport.Render(w, in) }
	if outPath == "-" {
		if err := render(stdout); err != nil {
			return failErr(err)
		}
		return nil
	}
	if err := writeFileAtomic(outPath, render); err != nil {
		return failErr(err)
	}
	_, err := fmt.Fprintf(stdout, "wrote %s (%s, %s)\n", outPath, htmlCount(len(in.Runs), "result"), htmlCount(len(in.Sweeps), "sweep"))
	return err
}

func htmlCount(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

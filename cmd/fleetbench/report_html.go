package main

import (
	"errors"
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
	if _, err := fmt.Fprintf(stdout, "wrote %s (%s, %s)\n", outPath, htmlCount(len(in.Runs), "result"), htmlCount(len(in.Sweeps), "sweep")); err != nil {
		return err
	}
	return htmlNothingCompleted(others, in.Runs)
}

// htmlNothingCompleted fails (exit 1, after the page is written) when a
// result on the page completed nothing, or has a class that completed
// nothing, naming its file, as the text report does (nothingCompleted):
// the page's verdict alone would pass it with exit 0.
func htmlNothingCompleted(paths []string, runs []htmlreport.Run) error {
	var msgs []string
	k := 0
	for _, p := range paths {
		if s, err := results.FileSchema(p); err != nil || s != results.Schema || k >= len(runs) {
			continue
		}
		if err := nothingCompleted(p, runs[k].Result); err != nil {
			msgs = append(msgs, strings.TrimPrefix(err.Error(), "fleetbench: "))
		}
		k++
	}
	if len(msgs) == 0 {
		return nil
	}
	return failErr(errors.New(strings.Join(msgs, "\nfleetbench: ")))
}

func htmlCount(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

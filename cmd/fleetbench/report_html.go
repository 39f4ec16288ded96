package main

import (
	"fmt"
	"io"

	"github.com/fleetbench/fleetbench/results/htmlreport"
)

// runReportHTML writes the HTML report of the result and sweep files in
// paths to outPath ("-": stdout) and says what it wrote on stdout.
func runReportHTML(stdout io.Writer, paths []string, outPath string) error {
	in, err := htmlreport.Load(paths)
	if err != nil {
		return usageErr(err)
	}
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
	_, err = fmt.Fprintf(stdout, "wrote %s (%s, %s)\n", outPath, htmlCount(len(in.Runs), "result"), htmlCount(len(in.Sweeps), "sweep"))
	return err
}

func htmlCount(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}

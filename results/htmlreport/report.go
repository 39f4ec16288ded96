// Package htmlreport renders fleetbench result files (fleetbench.result/v1)
// and sweep files (fleetbench.sweep/v1) as one self-contained HTML page
// with charts, for a capacity planner to open and decide: a verdict header
// (SLOs met?) with the key numbers of every run side by side, latency CDFs
// and percentile bars per class, throughput / queue / KV-usage timelines,
// and for sweeps cost per task and SLO attainment against fleet size or
// load, the scale curve and the Pareto frontier of cost against latency.
//
// The chart library (Apache ECharts) is embedded in the binary and inlined
// into the page, so a report opens offline. The output is deterministic:
// the same inputs give byte-identical HTML (no timestamps, sorted maps).
package htmlreport

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// The page's assets. echarts.min.js is Apache-2.0 (see assets/NOTICE).
var (
	//go:embed assets/echarts.min.js
	echartsJS string
	//go:embed assets/report.js
	reportJS string
	//go:embed assets/report.css
	reportCSS string
	//go:embed assets/report.html.tmpl
	pageTemplate string
)

// pageTmpl is parsed once; a broken template is a build bug, caught by
// every test, so Must is right here.
var pageTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"add1": func(i int) int { return i + 1 },
}).Parse(pageTemplate))

// Run is one result file to show; runs appear side by side in the order
// given (the first one is the baseline deltas are computed against).
type Run struct {
	Label  string          // column heading, e.g. the file name
	Result *results.Result // a validated result (results.ReadFile)
}

// SweepRun is one sweep file to show.
type SweepRun struct {
	Label string           // section heading, e.g. the file name
	Sweep *sweepfile.Sweep // the sweep (see DecodeSweep)
}

// Input is what one page shows.
type Input struct {
	Title  string // page title; "" gives "fleetbench report"
	Runs   []Run
	Sweeps []SweepRun
}

// maxRuns bounds how many results one page compares: columns beyond a
// handful are unreadable and every run multiplies the chart series.
const maxRuns = 12

// Render writes the HTML report of in to w.
func Render(w io.Writer, in Input) error { return render(w, in, echartsJS) }

// render is Render with the chart library's source as a parameter, so the
// golden test can keep the 1 MB library out of the golden file.
func render(w io.Writer, in Input, lib string) error {
	if len(in.Runs) == 0 && len(in.Sweeps) == 0 {
		return errors.New("htmlreport: nothing to report: give at least one result or sweep file")
	}
	if len(in.Runs) > maxRuns {
		return fmt.Errorf("htmlreport: %d result files, at most %d fit side by side: merge shards first (fleetbench merge) or report fewer files", len(in.Runs), maxRuns)
	}
	for i, r := range in.Runs {
		if r.Result == nil {
			return fmt.Errorf("htmlreport: result %d (%q) is nil", i+1, r.Label)
		}
	}
	for i, s := range in.Sweeps {
		if s.Sweep == nil {
			return fmt.Errorf("htmlreport: sweep %d (%q) is nil", i+1, s.Label)
		}
	}
	p := buildPage(in)
	// The scripts go inside <script> elements verbatim; a "</script" in
	// them would end the element early, so refuse rather than corrupt.
	for name, src := range map[string]string{"chart library": lib, "report.js": reportJS} {
		if strings.Contains(strings.ToLower(src), "</script") {
			return fmt.Errorf("htmlreport: the embedded %s contains \"</script\" and cannot be inlined", name)
		}
	}
	p.Lib = template.JS(lib)
	p.JS = template.JS(reportJS)
	p.CSS = template.CSS(reportCSS)
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("htmlreport: render page: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

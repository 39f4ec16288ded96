package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"

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
	for _, s := range []struct {
		path string
		sw   *sweepfile.Sweep
	}{{base, sb}, {nw, sn}} {
		if s.sw.Search != sweepfile.SearchMaxLoad {
			kind := "grid"
			if s.sw.Search != "" {
				kind = s.sw.Search
			}
			return usageErr(fmt.Errorf("%s is a %s sweep: compare takes two max-load searches (fleetbench sweep --search max-load) and compares their max load; for other sweeps, compare their points by eye (sweep -o with --format table or csv), or two results (sim -o) of the points you care about", s.path, kind))
		}
	}
	cmp := sweepComparison{Metric: "max_load", Base: loadSide(sb), New: loadSide(sn)}
	if sb.Scenario.Name != sn.Scenario.Name || sb.Scenario.Hash != sn.Scenario.Hash {
		cmp.Warnings = append(cmp.Warnings, fmt.Sprintf("the sweeps ran different scenarios (%s %s, %s %s): the loads are multipliers of different traffic",
			sb.Scenario.Name, sb.Scenario.Hash, sn.Scenario.Name, sn.Scenario.Hash))
	}
	failed := 0
	for _, g := range gates {
		change, bad, err := g.Judge(sb, sn)
		if err != nil {
			return failErr(fmt.Errorf("gate %s: %w", g.Raw, err))
		}
		cmp.Gates = append(cmp.Gates, loadGateResult{Gate: g.Raw, Change: &change, Relative: g.Relative, Failed: bad})
		if bad {
			failed++
		}
	}
	cmp.Failed = failed > 0
	if err := cmp.render(out, f.format); err != nil {
		return failErr(err)
	}
	if failed > 0 {
		return failErr(fmt.Errorf("compare: %d gate check(s) failed (see the gates above)", failed))
	}
	return nil
}

// sweepComparison is compare's output for two max-load sweeps.
type sweepComparison struct {
	Metric   string           `json:"metric"` // max_load
	Base     loadAnswer       `json:"base"`
	New      loadAnswer       `json:"new"`
	Warnings []string         `json:"warnings,omitempty"`
	Gates    []loadGateResult `json:"gates,omitempty"`
	Failed   bool             `json:"failed"`
}

// loadAnswer is one sweep's max-load answer: the load (null when the
// sweep found none) and the configuration that sustains it.
type loadAnswer struct {
	MaxLoad *float64 `json:"max_load"`
	Fleet   string   `json:"fleet,omitempty"`
	GPU     string   `json:"gpu,omitempty"`
	TP      int      `json:"tp,omitempty"`
	Routing string   `json:"routing,omitempty"`
}

type loadGateResult struct {
	Gate     string   `json:"gate"`
	Change   *float64 `json:"change"` // percent when relative
	Relative bool     `json:"relative"`
	Failed   bool     `json:"failed"`
}

func loadSide(s *sweepfile.Sweep) loadAnswer {
	v, ok := s.MaxLoad()
	if !ok {
		return loadAnswer{}
	}
	a := s.Answer
	return loadAnswer{MaxLoad: &v, Fleet: a.Fleet, GPU: a.GPU, TP: a.TP, Routing: a.Routing}
}

// text is "5.625x (2P2D h100 tp4 cache-aware)", or "-" without an answer.
func (a loadAnswer) text() string {
	if a.MaxLoad == nil {
		return "-"
	}
	var cfg []string // a live sweep's answer may name no fleet
	for _, v := range []string{a.Fleet, a.GPU} {
		if v != "" {
			cfg = append(cfg, v)
		}
	}
	if a.TP > 0 {
		cfg = append(cfg, "tp"+strconv.Itoa(a.TP))
	}
	if a.Routing != "" {
		cfg = append(cfg, a.Routing)
	}
	s := strconv.FormatFloat(*a.MaxLoad, 'g', 4, 64) + "x"
	if len(cfg) > 0 {
		s += " (" + strings.Join(cfg, " ") + ")"
	}
	return s
}

func (g loadGateResult) text() string {
	verdict := "ok"
	if g.Failed {
		verdict = "FAILED"
	}
	unit := ""
	if g.Relative {
		unit = "%"
	}
	return fmt.Sprintf("change %+.4g%s: %s", *g.Change, unit, verdict)
}

func (c sweepComparison) render(out io.Writer, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(c)
	case "markdown":
		var b strings.Builder
		for _, w := range c.Warnings {
			fmt.Fprintf(&b, "> **WARNING:** %s\n\n", w)
		}
		b.WriteString("| metric | base | new |\n|---|---|---|\n")
		fmt.Fprintf(&b, "| max_load | %s | %s |\n", c.Base.text(), c.New.text())
		if len(c.Gates) > 0 {
			b.WriteString("\n| gate | result |\n|---|---|\n")
			for _, g := range c.Gates {
				fmt.Fprintf(&b, "| `%s` | %s |\n", g.Gate, g.text())
			}
		}
		_, err := io.WriteString(out, b.String())
		return err
	}
	var b strings.Builder
	for _, w := range c.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	fmt.Fprintf(&b, "max_load  base %s  new %s\n", c.Base.text(), c.New.text())
	for _, g := range c.Gates {
		fmt.Fprintf(&b, "gate %s: %s\n", g.Gate, g.text())
	}
	_, err := io.WriteString(out, b.String())
	return err
}

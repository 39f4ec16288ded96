package results

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// RenderComparison writes cmp as "table" (terminal), "markdown" (a
// pull-request comment) or "json".
func RenderComparison(w io.Writer, cmp *Comparison, format string) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(cmp)
	case "markdown":
		_, err := io.WriteString(w, renderMarkdown(cmp))
		return err
	case "table", "":
		return renderTable(w, cmp)
	}
	return fmt.Errorf("results: unknown compare format %q (want table, markdown or json)", format)
}

// cells are the formatted columns of one row.
func (md MetricDelta) cells() (base, nw, change, sig string) {
	base, nw, change = "-", "-", "-"
	if md.Base != nil {
		base = fmtNum(*md.Base)
	}
	if md.New != nil {
		nw = fmtNum(*md.New)
	}
	switch {
	case md.Significant != nil && !*md.Significant:
		change = "~" // benchstat: no significant difference
	case md.Fraction && md.Delta != nil:
		change = fmtSigned(*md.Delta, 4)
	case md.Points && md.Delta != nil:
		change = fmtSigned(*md.Delta, 2) + " pts"
	case md.DeltaPct != nil:
		change = fmtSigned(*md.DeltaPct, 2) + "%"
	case md.Delta != nil && *md.Delta != 0:
		// No relative change from 0 (it was "+inf%"): the absolute one.
		change = "+" + fmtNum(*md.Delta) + " from 0"
		if *md.Delta < 0 {
			change = fmtNum(*md.Delta) + " from 0"
		}
	}
	if md.P != nil {
		sig = fmt.Sprintf("%s n=%d+%d", fmtP(*md.P), md.NBase, md.NNew)
	}
	if md.Note != "" {
		sig = strings.TrimSpace(sig + " (" + md.Note + ")")
	}
	return base, nw, change, sig
}

func (cmp *Comparison) header() string {
	side := func(r RunInfo) string {
		s := fmt.Sprintf("%s seed %d (%s", orDash(r.Scenario), r.Seed, orDash(r.Backend))
		if r.Fleet != "" {
			s += " " + r.Fleet
		}
		return s + fmt.Sprintf(", %s s)", fmtNum(r.WindowS))
	}
	h := fmt.Sprintf("base %s\nnew  %s", side(cmp.Base), side(cmp.New))
	for _, w := range cmp.Warnings {
		h += "\nWARNING: " + w
	}
	// A side's own warnings qualify every figure of it (an interrupted
	// run's cancelled requests read as errors, a fleet that fell behind
	// has lower-bound costs): said before the rows, not left in its file.
	for _, w := range cmp.Base.Warnings {
		which := "base"
		if slices.Contains(cmp.New.Warnings, w) {
			which = "both"
		}
		h += fmt.Sprintf("\nWARNING (%s): %s", which, w)
	}
	for _, w := range cmp.New.Warnings {
		if !slices.Contains(cmp.Base.Warnings, w) {
			h += fmt.Sprintf("\nWARNING (new): %s", w)
		}
	}
	return h
}

func (cmp *Comparison) testLine() string {
	if cmp.Test == "" {
		return "no per-request records given (--records-base/--records-new): deltas without significance"
	}
	return fmt.Sprintf("significance: %s; ~ = not significant at alpha %s", cmp.Test, fmtNum(cmp.Alpha))
}

func renderTable(w io.Writer, cmp *Comparison) error {
	var b strings.Builder
	b.WriteString(cmp.header() + "\n" + cmp.testLine() + "\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	for _, cd := range cmp.Classes {
		fmt.Fprintf(tw, "\n%s\tbase\tnew\tdelta\t\n", cd.Class)
		for _, md := range cd.Rows {
			base, nw, change, sig := md.cells()
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", withUnit(md.Metric, md.Unit), base, nw, change, sig)
		}
		if cd.Note != "" {
			fmt.Fprintf(tw, "  (%s)\n", cd.Note)
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(cmp.Gates) > 0 {
		b.WriteString("\ngates\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		for _, g := range cmp.Gates {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", gateStatus(g), g.Gate, g.Class, gateDetail(g))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	b.WriteString(verdictLine(cmp) + "\n")
	lines := strings.Split(b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

func renderMarkdown(cmp *Comparison) string {
	var b strings.Builder
	b.WriteString("## fleetbench compare\n\n")
	mark := "✅"
	if cmp.Failed {
		mark = "❌"
	}
	fmt.Fprintf(&b, "%s **%s**\n\n", mark, verdictLine(cmp))
	for _, line := range strings.Split(cmp.header(), "\n") {
		fmt.Fprintf(&b, "- %s\n", mdEscape(line))
	}
	fmt.Fprintf(&b, "- %s\n", mdEscape(cmp.testLine()))
	if len(cmp.Gates) > 0 {
		b.WriteString("\n### Gates\n\n| | gate | class | base → new | change |\n|---|---|---|---|---|\n")
		for _, g := range cmp.Gates {
			icon := "✅"
			if g.Failed {
				icon = "❌"
			}
			base, nw, change := gateCells(g)
			fmt.Fprintf(&b, "| %s | `%s` | %s | %s → %s | %s |\n", icon, g.Gate, mdEscape(g.Class), base, nw, change)
		}
	}
	for _, cd := range cmp.Classes {
		fmt.Fprintf(&b, "\n### %s\n\n| metric | base | new | delta | p |\n|---|--:|--:|--:|---|\n", mdEscape(cd.Class))
		for _, md := range cd.Rows {
			base, nw, change, sig := md.cells()
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", withUnit(md.Metric, md.Unit), base, nw, change, sig)
		}
		if cd.Note != "" {
			fmt.Fprintf(&b, "\n_%s_\n", mdEscape(cd.Note))
		}
	}
	return b.String()
}

func verdictLine(cmp *Comparison) string {
	failed := 0
	for _, g := range cmp.Gates {
		if g.Failed {
			failed++
		}
	}
	switch {
	case len(cmp.Gates) == 0:
		return "no gates (pass --fail-on to gate)"
	case failed > 0:
		return fmt.Sprintf("FAIL: %d of %d gate checks failed", failed, len(cmp.Gates))
	}
	return fmt.Sprintf("PASS: all %d gate checks passed", len(cmp.Gates))
}

func gateStatus(g GateResult) string {
	if g.Failed {
		return "FAIL"
	}
	return "ok"
}

// withUnit is "name unit", or name for a row without a unit.
func withUnit(name, unit string) string {
	if unit == "" {
		return name
	}
	return name + " " + unit
}

func gateCells(g GateResult) (base, nw, change string) {
	base, nw, change = "-", "-", "-"
	if g.Base != nil {
		base = fmtNum(*g.Base)
	}
	if g.New != nil {
		nw = fmtNum(*g.New)
	}
	if g.Change != nil {
		switch {
		case g.Relative:
			change = fmtSigned(*g.Change, 2) + "%"
		case g.Points:
			change = fmtSigned(*g.Change, 4) + " pts"
		default:
			change = fmtSigned(*g.Change, 4)
		}
	}
	if g.Note != "" {
		change += " (" + g.Note + ")"
	}
	return base, nw, change
}

func gateDetail(g GateResult) string {
	base, nw, change := gateCells(g)
	return fmt.Sprintf("%s -> %s  %s", base, nw, change)
}

// fmtNum prints a number with about four significant digits, without
// exponents for the magnitudes results have.
func fmtNum(v float64) string {
	a := math.Abs(v)
	switch {
	case v == 0:
		return "0"
	case v == math.Trunc(v) && a < 1e15:
		return strconv.FormatInt(int64(v), 10) // counts
	case a >= 1e4:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 1, 64)
	case a >= 1:
		return trimZeros(strconv.FormatFloat(v, 'f', 3, 64))
	case a >= 1e-4:
		return trimZeros(strconv.FormatFloat(v, 'f', 6, 64))
	}
	return Fixed(v, 4)
}

// Fixed writes v with sig significant digits in fixed notation, trailing
// zeros dropped, never with an exponent: a cost per task of 4.424e-05 in a
// column beside 0.027705 reads as a misprint.
func Fixed(v float64, sig int) string {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'f', -1, 64)
	}
	prec := max(0, sig-1-int(math.Floor(math.Log10(math.Abs(v)))))
	return trimZeros(strconv.FormatFloat(v, 'f', prec, 64))
}

func trimZeros(s string) string {
	if strings.Contains(s, ".") {
		s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	}
	return s
}

func fmtSigned(v float64, prec int) string {
	s := strconv.FormatFloat(v, 'f', prec, 64)
	if !strings.HasPrefix(s, "-") {
		s = "+" + s
	}
	return s
}

func fmtP(p float64) string {
	if p < 0.001 {
		return "p<0.001"
	}
	return "p=" + strconv.FormatFloat(p, 'f', 3, 64)
}

// mdEscape keeps class names and free text from breaking a table.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

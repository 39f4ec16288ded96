package results

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
)

// RenderTable writes a terminal table of r: one column per class (sorted by
// name) plus the totals, one row per metric. Latencies are p50 / p90 / p99
// in milliseconds. Rows that no class has data for are left out.
func RenderTable(w io.Writer, r *Result) error {
	if r == nil {
		return errors.New("results: RenderTable: nil result")
	}
	names := make([]string, 0, len(r.Classes))
	for n, c := range r.Classes {
		if c != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	cols := make([]*ClassResult, 0, len(names)+1)
	for _, n := range names {
		cols = append(cols, r.Classes[n])
	}
	total := r.Totals
	if total == nil {
		total = &ClassResult{}
	}
	cols = append(cols, total)

	var b strings.Builder
	fmt.Fprintf(&b, "scenario %s  seed %d  backend %s  window %.3f-%.3f s (%.3f s, warm-up %.3f s%s)\n",
		orDash(r.Scenario.Name), r.Scenario.Seed, orDash(r.Backend), r.Window.StartS, r.Window.EndS, r.Window.DurationS, r.Window.WarmupS, warmupNote(r.Window)+serveNote(r))
	if r.Cost != nil {
		bound := ""
		if r.Cost.LowerBound {
			bound = " (lower bound: the fleet fell behind)"
		}
		fmt.Fprintf(&b, "cost %.3f GPU-hours, $%.2f%s\n", r.Cost.GPUHours, r.Cost.USD, bound)
	}
	if line := repeatLine(r); line != "" {
		b.WriteString(line + "\n")
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "WARNING: %s\n", w)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	// Labels are padded to one width so that the right-aligned first column
	// reads left-aligned: the longest label's (an endpoint's "TTFT from
	// intended send ms p50/p90/p99" is longer than the usual 24).
	labelWidth := 24
	for i := range Metrics {
		if m := &Metrics[i]; (m.Shown || m.ClientTable) && !m.ClientOnly(r) {
			labelWidth = max(labelWidth, len(m.Label+" "+m.Unit+" p50/p90/p99"))
		}
	}
	row := func(label string, f func(c *ClassResult) string) {
		label = fmt.Sprintf("%-*s", labelWidth, label)
		cells := make([]string, len(cols))
		any := false
		for i, c := range cols {
			cells[i] = f(c)
			any = any || cells[i] != "-"
		}
		if !any {
			return
		}
		fmt.Fprintf(tw, "%s\t%s\t\n", label, strings.Join(cells, "\t"))
	}
	fmt.Fprintf(tw, "%-*s\t%s\ttotal\t\n", labelWidth, "metric", strings.Join(names, "\t"))
	row("kind", func(c *ClassResult) string { return orDash(c.Kind) })
	row("requests", func(c *ClassResult) string { return itoa(c.Requests) })
	row("completed", func(c *ClassResult) string { return itoa(c.Completed) })
	// Drops at --max-inflight are the client refusing load, not failures:
	// Check judges them apart (--max-drop-rate), so they get their own row.
	row("errors", func(c *ClassResult) string { return itoa(c.Failed()) })
	for _, ec := range errorClasses(cols) {
		if ec != ErrorClassDropped {
			row("  "+ec, func(c *ClassResult) string { return nonZero(c.ErrorsByClass[ec]) })
		}
	}
	row("dropped (--max-inflight)", func(c *ClassResult) string { return nonZero(c.ErrorsByClass[ErrorClassDropped]) })
	row("tasks", func(c *ClassResult) string { return itoa(c.Tasks) })
	row("tasks failed", func(c *ClassResult) string {
		if c.TasksFailed == 0 {
			return "-"
		}
		return itoa(c.TasksFailed)
	})
	// A latency percentile over classes of different kinds (chat turns
	// with video jobs) reads as the fleet's latency and is none: a mixed
	// total leaves it out, as the HTML report does.
	mixedLeftOut := false
	for i := range Metrics {
		if m := &Metrics[i]; (m.Shown || m.ClientTable) && !m.ClientOnly(r) {
			row(m.Label+" "+m.Unit+" p50/p90/p99", func(c *ClassResult) string {
				if c == total && c.Kind == "mixed" && !m.AcrossKinds {
					mixedLeftOut = mixedLeftOut || m.Of(c) != nil
					return "-"
				}
				return pcts(m.Of(c))
			})
		}
	}
	// A video job has no tokens: its token figures are absent ("-"), not
	// 0; its work is in the clips and video seconds rows.
	count := func(p *int64) string {
		if p == nil {
			return "-"
		}
		return itoa(*p)
	}
	row("input tokens", func(c *ClassResult) string { return count(c.InputTokens) })
	row("cached tokens", func(c *ClassResult) string { return count(c.CachedTokens) })
	row("output tokens", func(c *ClassResult) string { return count(c.OutputTokens) })
	row("cache hit rate", func(c *ClassResult) string { return pct(Ratio(c.CacheHitRate)) })
	row("output tok/s", func(c *ClassResult) string {
		if v, ok := Ratio(c.OutputTokensPerS); ok {
			return num(v)
		}
		return "-"
	})
	// Completions per second: "requests/s" read as the offered rate (0.00
	// beside 135 requests sent when every one failed).
	row("completed/s", func(c *ClassResult) string {
		if v, ok := Ratio(c.RequestsPerS); ok {
			return num(v)
		}
		return "-" // no measurement window
	})
	row("clips", func(c *ClassResult) string { return nonZero(c.Clips) })
	row("video s", func(c *ClassResult) string {
		if c.VideoSeconds == 0 {
			return "-"
		}
		return num(c.VideoSeconds)
	})
	row("SLO attainment", func(c *ClassResult) string { return pct(Ratio(c.SLOAttainment)) })
	row("goodput req/s", func(c *ClassResult) string {
		if v, ok := Ratio(c.GoodputRPS); ok {
			return num(v)
		}
		return "-"
	})
	finishedOnly, overCtx := false, false
	row("SLO verdict", func(c *ClassResult) string {
		cell := sloCell(c.SLO)
		if c.SLO != nil && c.SLO.FinishedOnly {
			finishedOnly = true
			cell += FinishedOnlyMark
		}
		if c.SLO != nil && c.SLO.OverContext {
			overCtx = true
			cell += OverContextMark
		}
		return cell
	})
	if err := tw.Flush(); err != nil {
		return err
	}
	if mixedLeftOut {
		b.WriteString("total: no latency percentiles over classes of different kinds (kind mixed); read each class's\n")
	}
	if finishedOnly {
		b.WriteString(FinishedOnlyMark + " " + FinishedOnlyNote + "\n")
	}
	if overCtx {
		b.WriteString(OverContextMark + " " + OverContextNote + "\n")
	}
	if note := attainmentNote(names, r); note != "" {
		b.WriteString(note + "\n")
	}
	if note := noSLONote(names, r); note != "" {
		b.WriteString(note + "\n")
	}
	if few := fewSamples(names, r); few != "" {
		b.WriteString(few + "\n")
	}
	if note := videoPollNote(names, r); note != "" {
		b.WriteString(note + "\n")
	}
	if ex := firstErrors(names, r); ex != "" {
		b.WriteString(ex + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// fewSamples names the classes whose per-request percentiles rest on
// fewer than 100 completed requests: their p99 is then their slowest
// request (and p90 nearly so), not a tail anyone can rely on. "" when
// none.
func fewSamples(names []string, r *Result) string {
	var few []string
	for _, n := range names {
		if c := r.Classes[n]; c != nil && c.Completed > 0 && c.Completed < 100 {
			few = append(few, fmt.Sprintf("%s %d", n, c.Completed))
		}
	}
	if len(few) == 0 {
		return ""
	}
	return "few samples: p99 over fewer than 100 completed requests is the slowest of them (completed: " + strings.Join(few, ", ") + ")"
}

// VideoPollKey is the result's extra key holding an endpoint run's video
// status-poll interval in seconds (runners/video): the resolution of its
// video classes' queue and E2E.
const VideoPollKey = "video_poll_s"

// videoPollNote says that an endpoint run's video times are seen at its
// status polls, so each is late by up to one interval; "" without a video
// class or a recorded interval.
func videoPollNote(names []string, r *Result) string {
	poll, ok := r.Extra[VideoPollKey].(float64)
	if !ok || !(poll > 0) {
		return ""
	}
	for _, n := range names {
		if c := r.Classes[n]; c != nil && c.Kind == "video" {
			p := strconv.FormatFloat(poll, 'g', 4, 64)
			return fmt.Sprintf("video: queue and E2E are seen at the job's status polls, every %s s (--video-poll): each may be up to %s s late (a clip that never queued can read a queue of up to %s s)", p, p, p)
		}
	}
	return ""
}

// firstErrors quotes the first error of each kind of each class
// (ClassResult.ErrorExamples, drops left out), one per line: why requests
// failed. "" when none.
func firstErrors(names []string, r *Result) string {
	var lines []string
	for _, n := range names {
		c := r.Classes[n]
		if c == nil {
			continue
		}
		for _, k := range sortedKeys(c.ErrorExamples) {
			if k != ErrorClassDropped && c.ErrorsByClass[k] > 0 {
				lines = append(lines, fmt.Sprintf("  %s %s: %s", n, k, c.ErrorExamples[k]))
			}
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return "first error of each kind:\n" + strings.Join(lines, "\n")
}

func errorClasses(cols []*ClassResult) []string {
	seen := map[string]bool{}
	var out []string
	for _, c := range cols {
		for k := range c.ErrorsByClass {
			if !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func nonZero(v int64) string {
	if v == 0 {
		return "-"
	}
	return itoa(v)
}

// ms formats a latency with precision that suits its size.
func ms(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case v >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	default:
		return SmallNum(v)
	}
}

func pcts(p *Percentiles) string {
	if p == nil || p.Count == 0 {
		return "-"
	}
	return ms(p.P50) + " / " + ms(p.P90) + " / " + ms(p.P99)
}

func pct(v float64, ok bool) string {
	if !ok {
		return "-"
	}
	return Pct(v)
}

// Pct writes a fraction in percent to one decimal, with more digits where
// one decimal would round a figure onto an edge it is not on: 0.04% is not
// "0.0%" (nothing) and 99.96% not "100.0%" (everything: an SLO attainment
// of 99.96% read as every request within its SLO).
func Pct(v float64) string {
	p := v * 100
	prec := 1
	switch {
	case p > 0 && p < 0.05:
		prec = int(math.Ceil(-math.Log10(p)))
	case p >= 100-1e-9 && p < 100:
		// 1 but for float rounding (a busy share summed over
		// instances): no count of requests is this close to all.
		p = 100
	case p >= 99.95 && p < 100:
		// less a hair: 1-0.9999999 is 9.99999999e-8, not 1e-7
		prec = int(math.Ceil(-math.Log10(100-p) - 1e-6))
	}
	return strconv.FormatFloat(p, 'f', prec, 64) + "%"
}

func num(v float64) string {
	if v >= 100 {
		return strconv.FormatFloat(v, 'f', 0, 64)
	}
	return SmallNum(v)
}

// SmallNum formats a number under 10 with 2 decimals, and a non-zero one
// under 0.1 with 2 significant digits: a goodput of 0.0054 req/s next to
// 0.014 requests/s must not print "0.01" for both (nor a rate "0.00").
func SmallNum(v float64) string {
	if a := math.Abs(v); a > 0 && a < 0.1 {
		return strconv.FormatFloat(v, 'f', 1-int(math.Floor(math.Log10(a))), 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

// sloCell is "met", or the first missed targets.
func sloCell(v *SLOVerdict) string {
	if v == nil {
		return "-"
	}
	if v.Met {
		return "met"
	}
	var missed, unmeasured []string
	for _, t := range v.Targets {
		switch {
		case t.NotMeasured:
			unmeasured = append(unmeasured, t.Metric+" "+t.Percentile)
		case !t.Met:
			missed = append(missed, t.Metric+" "+t.Percentile)
		}
	}
	var parts []string
	if len(missed) > 0 {
		parts = append(parts, "MISSED "+strings.Join(missed, ", "))
	}
	if len(unmeasured) > 0 {
		parts = append(parts, "NOT MEASURED "+strings.Join(unmeasured, ", "))
	}
	return strings.Join(parts, "; ")
}

// Extra keys of fleetbench serve's own result: when its first request
// arrived (s since the server started) and its --warmup (s). Its window
// starts at their sum; nothing before the first request was sent.
const (
	ServeFirstRequestKey = "serve_first_request_s"
	ServeWarmupKey       = "serve_warmup_s"
)

// serveNote says where serve's window starts: its "warm-up" is mostly
// the server's idle time before the first request.
func serveNote(r *Result) string {
	first, ok := r.Extra[ServeFirstRequestKey].(float64)
	if !ok {
		return ""
	}
	w, _ := r.Extra[ServeWarmupKey].(float64)
	return fmt.Sprintf("; serve measures from its first request, which arrived %.3f s after it started, plus serve --warmup %s s: nothing before it was excluded",
		first, strconv.FormatFloat(w, 'f', -1, 64))
}

// warmupNote says when a shortened run cut the scenario's warm-up.
func warmupNote(w Window) string {
	if w.WarmupScenarioS <= 0 || w.WarmupScenarioS == w.WarmupS {
		return ""
	}
	if w.WarmupS == 0 {
		// Not "shortened to 10%": a run of unknown length (a closed loop
		// bounded by --requests) gets no warm-up at all.
		return fmt.Sprintf("; scenario's %s s not applied: the run's length is unknown ahead (closed loop bounded by --requests), so every task is measured: set --warmup to exclude a warm-up", strconv.FormatFloat(w.WarmupScenarioS, 'f', -1, 64))
	}
	return fmt.Sprintf("; scenario's %s s shortened to at most 10%% of the run: set --warmup to choose", strconv.FormatFloat(w.WarmupScenarioS, 'f', -1, 64))
}

package sweepfile

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/fleetbench/fleetbench/results"
)

// Notes a sweep derives from its points' results (sweep.Run adds them;
// Merge counts them again over the merged points).

// OverContextNote says how many points served requests over the model's
// context ("" when none): their figures include requests a server refuses.
func OverContextNote(points []Point) string {
	n, most, longest, ctx := 0, int64(0), int64(0), int64(0)
	for _, p := range points {
		if o := p.OverContext; o != nil {
			n++
			most, longest, ctx = max(most, o.Requests), max(longest, o.LongestTokens), o.ContextTokens
		}
	}
	if n == 0 {
		return ""
	}
	return fmt.Sprintf("%d of %d points served requests over the model's context (up to %d requests per point, the longest %d tokens, context %d): "+
		"a real server would refuse them (HTTP 400), while these points' figures count them as served; lower the classes' input/output maximums or agent turns, or pick a model with a longer context",
		n, len(points), most, longest, ctx)
}

// WarningsNotes count the points (noun: "points", "probes"; label names
// one) whose result carried each kind of warning (the text before its
// first ':'), quoting the first point's: a point's utilization over a short window, say, is
// read with it. A fleet that fell behind (its own column and verdict) and
// requests over the context (OverContextNote) are left to their notes.
func WarningsNotes(points []Point, noun string, label func(*Point) string) []string {
	type kind struct {
		n     int
		first string
		at    string
	}
	var order []string
	kinds := map[string]*kind{}
	for i := range points {
		p := &points[i]
		seen := map[string]bool{}
		for _, w := range p.Warnings {
			k, rest, _ := strings.Cut(w, ":")
			if seen[k] || strings.HasPrefix(w, results.FellBehindWarn) || strings.HasPrefix(w, results.OverContextWarn) {
				continue
			}
			seen[k] = true
			if kinds[k] == nil {
				kinds[k] = &kind{first: strings.TrimSpace(rest), at: label(p)}
				order = append(order, k)
			}
			kinds[k].n++
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		c := kinds[k]
		out = append(out, fmt.Sprintf("%s: %d of %d %s (%s: %s)", k, c.n, len(points), noun, c.at, c.first))
	}
	return out
}

// PointLabel names a sweep point in a note: "point 3".
func PointLabel(p *Point) string { return fmt.Sprintf("point %d", p.Index) }

// PointNotes are the notes a sweep derives from its points (WarningsNotes,
// OverContextNote): Merge counts them again over the merged points.
func PointNotes(points []Point) []string {
	out := WarningsNotes(points, "points", PointLabel)
	if note := OverContextNote(points); note != "" {
		out = append(out, note)
	}
	return out
}

// FailedEverywhere names the classes that failed whole (FailedClasses) at
// every point that ran; none when no point ran.
func FailedEverywhere(points []Point) []string {
	return everywhere(points, func(p *Point) []string { return p.FailedClasses })
}

// IdleEverywhere names the classes with an SLO that sent no request in
// the window (IdleClasses) at every point that ran; none when no point ran.
func IdleEverywhere(points []Point) []string {
	return everywhere(points, func(p *Point) []string { return p.IdleClasses })
}

// ClassIdleMessage says that class n sent no request at any point that
// ran (noun: "point of the sweep", "probe at 2x"): its SLO is not judged,
// so nothing meets every SLO, for want of requests, not of capacity.
func ClassIdleMessage(points []Point, n, noun string) string {
	ran := slices.DeleteFunc(slices.Clone(points), func(p Point) bool { return p.Error != "" })
	return fmt.Sprintf("class %s: no request of it arrived in the window on any %s (%d of %d ran): its SLO is not judged, so none meets every SLO; lengthen the run (--duration, --requests)",
		n, noun, len(ran), len(points))
}

// everywhere intersects classes(p) over the points that ran.
func everywhere(points []Point, classes func(*Point) []string) []string {
	var out []string
	first := true
	for i := range points {
		p := &points[i]
		if p.Error != "" {
			continue
		}
		if first {
			out, first = slices.Clone(classes(p)), false
			continue
		}
		out = slices.DeleteFunc(out, func(c string) bool { return !slices.Contains(classes(p), c) })
	}
	return out
}

// FailedErrorsText is what class n's requests failed with at p, "31
// too_long", or "errors not recorded" (a file written before
// failed_errors).
func FailedErrorsText(p *Point, n string) string {
	errs := p.FailedErrors[n]
	if len(errs) == 0 {
		return "errors not recorded"
	}
	parts := make([]string, 0, len(errs))
	for _, k := range slices.Sorted(maps.Keys(errs)) {
		parts = append(parts, fmt.Sprintf("%d %s", errs[k], k))
	}
	return strings.Join(parts, ", ")
}

// ClassFailedMessage says that class n completed no request on any of
// points (those that ran; noun: "point of the sweep", "probe at 1x"),
// quoting the errors at the first (label names it), then tail: the exit-1 message of
// sweep and scale, the counterpart of sim's class_failed check.
func ClassFailedMessage(points []Point, n, noun, tail string, label func(*Point) string) string {
	ran := slices.DeleteFunc(slices.Clone(points), func(p Point) bool { return p.Error != "" })
	if len(ran) == 0 {
		return ""
	}
	return fmt.Sprintf("class %s: no request completed on any %s (%d of %d ran; %s: %s): %s",
		n, noun, len(ran), len(points), label(&ran[0]), FailedErrorsText(&ran[0], n), tail)
}

package results

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
)

// CompareOptions configure Compare. BaseSamples and NewSamples (from
// --records-base/--records-new) enable significance tests of latency
// metrics; without both, deltas are reported without p-values.
type CompareOptions struct {
	Gates                   []Gate
	BaseSamples, NewSamples *Samples
	Alpha                   float64 // 0: DefaultAlpha
}

// Comparison is BASE versus NEW: per-class metric deltas, significance
// where per-request records were given, and the verdict of every gate.
type Comparison struct {
	Base    RunInfo       `json:"base"`
	New     RunInfo       `json:"new"`
	Test    string        `json:"test,omitempty"` // significance test used, if any
	Alpha   float64       `json:"alpha,omitempty"`
	Classes []ClassDeltas `json:"classes"` // sorted by name, the totals ("total") last
	Gates   []GateResult  `json:"gates,omitempty"`
	Failed  bool          `json:"failed"` // some gate failed
	// Warnings qualify the comparison itself (the two sides measured
	// different scenarios); each side's own are in its RunInfo.
	Warnings []string `json:"warnings,omitempty"`
}

// RunInfo identifies one side of a comparison.
type RunInfo struct {
	Scenario string  `json:"scenario"`
	Seed     uint64  `json:"seed"`
	Backend  string  `json:"backend"`
	Fleet    string  `json:"fleet,omitempty"`
	WindowS  float64 `json:"window_s"`
	// Warnings are the result's own (run interrupted, fell behind, short
	// window, client saturated, ...): its figures are read with them.
	Warnings []string `json:"warnings,omitempty"`
}

// ClassDeltas are one class's rows.
type ClassDeltas struct {
	Class string        `json:"class"`
	Rows  []MetricDelta `json:"rows"`
	// Note qualifies the class's rows: the latency rows of totals that
	// pool classes of different kinds (MixedTotalsNote).
	Note string `json:"note,omitempty"`
}

// MixedTotalsNote labels the latency rows of totals that pool classes of
// different kinds: a percentile over chat turns and video jobs together
// reads as the fleet's latency and is none. The terminal table and the
// HTML report leave such rows out; compare keeps them, labelled, because
// gates without a class judge the totals too (docs/metrics.md).
const MixedTotalsNote = "latency rows pool classes of different kinds (totals kind mixed): no class's latency; read each class's"

// mixedLatency says whether m is a latency of the request read from the
// totals of classes of different kinds on either side (schedule delay,
// which measures the client, is not).
func mixedLatency(base, nw *Result, class string, m *Metric) bool {
	return class == TotalClass && m != nil && !m.AcrossKinds &&
		(base.Totals.Kind == "mixed" || nw.Totals.Kind == "mixed")
}

// MetricDelta is one metric of one class on both sides. Pointers are nil
// where a side lacks the metric; DeltaPct is nil when BASE is 0 and for
// a metric that is itself a percentage (Points).
type MetricDelta struct {
	Metric   string   `json:"metric"`
	Unit     string   `json:"unit,omitempty"`
	Base     *float64 `json:"base"`
	New      *float64 `json:"new"`
	Delta    *float64 `json:"delta,omitempty"`
	DeltaPct *float64 `json:"delta_pct,omitempty"`
	// Fraction marks metrics in [0,1], whose change reads as Delta.
	Fraction bool `json:"fraction,omitempty"`
	// Points marks metrics in percent (cost.margin_pct), whose change is
	// Delta, in percentage points: a relative change of a percentage
	// (10% -> 12% is +20%) reads as the wrong figure.
	Points bool `json:"points,omitempty"`
	// P is the significance test's p-value over the per-request values of
	// the metric (every statistic of one latency metric shares it).
	P           *float64 `json:"p,omitempty"`
	NBase       int      `json:"n_base,omitempty"`
	NNew        int      `json:"n_new,omitempty"`
	Significant *bool    `json:"significant,omitempty"`
	// Note qualifies the row: a totals row over the classes both sides
	// measured (see sameClassTotals).
	Note string `json:"note,omitempty"`
}

// Compare compares NEW against BASE. It returns an error for bad input:
// nil results, or a gate that names a class neither result has or a
// metric no class has on either side (a typo would otherwise pass CI).
func Compare(base, nw *Result, opt CompareOptions) (*Comparison, error) {
	if base == nil || nw == nil || base.Totals == nil || nw.Totals == nil {
		return nil, errors.New("results: compare: both results need their totals (not a result file?)")
	}
	alpha := opt.Alpha
	if alpha == 0 {
		alpha = DefaultAlpha
	}
	if !(alpha > 0 && alpha < 1) {
		return nil, fmt.Errorf("results: compare: alpha %v must be in (0,1)", alpha)
	}
	cmp := &Comparison{Base: runInfo(base), New: runInfo(nw)}
	if w := scenarioMismatch(base, nw); w != "" {
		cmp.Warnings = append(cmp.Warnings, w)
	}
	withTest := opt.BaseSamples != nil && opt.NewSamples != nil
	if withTest {
		cmp.Test, cmp.Alpha = SignificanceTest+"; gates: "+BootstrapTest, alpha
	}
	names := classNames(base, nw)
	rows := slices.Clone(defaultRows)
	for _, g := range opt.Gates {
		if !slices.Contains(rows, g.Metric) {
			rows = append(rows, g.Metric)
		}
	}
	tot := newSameClassTotals(base, nw)
	for _, n := range names {
		b, w := tot.class(base, 0, n), tot.class(nw, 1, n)
		cd := ClassDeltas{Class: n}
		for _, name := range rows {
			ref, err := resolveMetric(name)
			if err != nil {
				return nil, err // defaultRows are valid; gates were resolved
			}
			md, ok := delta(ref, b, w)
			if !ok {
				continue
			}
			if mixedLatency(base, nw, n, ref.lat) {
				cd.Note = MixedTotalsNote
			}
			if n == TotalClass && ref.lat != nil {
				md.Note = joinNote(tot.note(ref.lat), failedOneSideNote(base, nw))
			}
			if sloRow(ref.name) {
				md.Note = joinNote(md.Note, finishedOnlyNote(base, nw))
				md.Note = joinNote(md.Note, overContextNote(base, nw, n))
			}
			if withTest && ref.lat != nil {
				xa, xb := tot.samples(opt.BaseSamples, base, 0, n, ref.lat), tot.samples(opt.NewSamples, nw, 1, n, ref.lat)
				if len(xa) > 0 && len(xb) > 0 {
					_, p := MannWhitney(xa, xb)
					p = roundSig(p)
					sig := p < alpha
					md.P, md.NBase, md.NNew, md.Significant = &p, len(xa), len(xb), &sig
				}
			}
			cd.Rows = append(cd.Rows, md)
		}
		cmp.Classes = append(cmp.Classes, cd)
	}
	for _, g := range opt.Gates {
		targets := names
		if g.Class != "" {
			if !slices.Contains(names, g.Class) {
				return nil, fmt.Errorf("gate %q: no class %q in either result (classes: %v, and %q for the totals)", g.Raw, g.Class, names[:len(names)-1], TotalClass)
			}
			targets = []string{g.Class}
		}
		applied := false
		for _, n := range targets {
			gr, ok := g.judge(n, tot.class(base, 0, n), tot.class(nw, 1, n))
			if !ok {
				continue
			}
			if withTest && g.ref.lat != nil {
				g.significance(&gr, tot.samples(opt.BaseSamples, base, 0, n, g.ref.lat), tot.samples(opt.NewSamples, nw, 1, n, g.ref.lat), alpha)
			} else if !withTest {
				g.bandCheck(&gr, base, n)
			}
			if n == TotalClass && g.ref.lat != nil {
				mixGate(&gr, g, base, nw)
			}
			if sloRow(g.ref.name) {
				gr.Note = joinNote(gr.Note, finishedOnlyNote(base, nw))
				gr.Note = joinNote(gr.Note, overContextNote(base, nw, n))
			}
			applied = true
			cmp.Gates = append(cmp.Gates, gr)
			cmp.Failed = cmp.Failed || gr.Failed
		}
		if !applied {
			if m := g.ref.lat; m != nil && m.ClientOnly(base) && m.ClientOnly(nw) {
				return nil, fmt.Errorf("gate %q: %s is measured by a load generator's client; sim results do not have it (gate on the results of fleetbench run)", g.Raw, g.Metric)
			}
			return nil, fmt.Errorf("gate %q: metric %s is in neither result for %s (was the cost model applied? is the class of that kind?)", g.Raw, g.Metric, whichClasses(g))
		}
	}
	return cmp, nil
}

// sloRow says whether a compare row is judged against the SLOs (over
// the finished requests only after an interruption).
func sloRow(name string) bool { return name == "slo_attainment" || name == "goodput_rps" }

// finishedOnlyNote says which side was interrupted: its SLO figures are
// over the requests that finished before the stop ("" if neither).
func finishedOnlyNote(base, nw *Result) string {
	side := ""
	switch {
	case base.Interrupted() && nw.Interrupted():
		side = "both"
	case base.Interrupted():
		side = "BASE"
	case nw.Interrupted():
		side = "NEW"
	default:
		return ""
	}
	return "finished requests only: " + side + " interrupted"
}

// failedOneSideNote names the classes whose requests are in one side's
// totals' latencies only (failedOneSide): the totals then pool different
// request mixes, so a totals row moves with the class set, not the fleet
// ("" if none).
func failedOneSideNote(base, nw *Result) string {
	failed := failedOneSide(base, nw)
	if len(failed) == 0 {
		return ""
	}
	return failedOneSideText(failed) + ": that side's totals leave it out"
}

// oneSideFailure is a class that completed requests on one side only; why
// says what it did on side ("completed nothing", "sent no request", "is
// not").
type oneSideFailure struct{ class, side, why string }

// failedOneSide lists, by name, the classes that completed requests on one
// side only: on the other they all failed (ClassFailedWhole), none was
// sent, or the class is not in that result.
func failedOneSide(base, nw *Result) []oneSideFailure {
	var out []oneSideFailure
	for _, n := range classNames(base, nw) {
		cb, cn := base.Classes[n], nw.Classes[n]
		kb, kn := cb != nil && cb.Completed > 0, cn != nil && cn.Completed > 0
		if kb == kn {
			continue
		}
		side, c := "NEW", cn
		if kn {
			side, c = "BASE", cb
		}
		why := "completed nothing in"
		switch {
		case c == nil:
			why = "is not in"
		case c.Requests == 0:
			why = "sent no request in"
		}
		out = append(out, oneSideFailure{n, side, why})
	}
	return out
}

func failedOneSideText(failed []oneSideFailure) string {
	parts := make([]string, len(failed))
	for i, f := range failed {
		parts[i] = "class " + f.class + " " + f.why + " " + f.side
	}
	return strings.Join(parts, ", ")
}

// NotJudged begins the note of a gate that failed because its figures
// could not be compared (mixGate).
const NotJudged = "not judged: "

// mixGate fails a totals latency gate when a class completed nothing on
// one side only: that side's totals leave the class out, so the two
// totals are latencies of different request mixes and their change (NEW
// "faster" for having lost its slow class) is no figure. It does not
// pass silently: the gate fails, without a change, naming the class and
// the per-class gates that can be judged (docs/metrics.md).
func mixGate(gr *GateResult, g Gate, base, nw *Result) {
	failed := failedOneSide(base, nw)
	if len(failed) == 0 {
		return
	}
	var alt, names []string
	for _, n := range sortedKeys(base.Classes) {
		if cb, cn := base.Classes[n], nw.Classes[n]; cb != nil && cn != nil && cb.Completed > 0 && cn.Completed > 0 {
			alt = append(alt, n+":"+g.Metric)
		}
	}
	for _, f := range failed {
		var fix string
		switch f.why {
		case "sent no request in":
			fix = "lengthen the " + f.side + " run so class " + f.class + " sends requests"
		case "is not in":
			fix = "compare results with the same classes"
		default:
			fix = "fix class " + f.class + "'s errors (its errors row; fleetbench report shows them)"
		}
		if !slices.Contains(names, fix) {
			names = append(names, fix)
		}
	}
	todo := strings.Join(names, ", or ")
	if len(alt) > 0 {
		todo = "gate on the classes both sides completed instead (" + strings.Join(alt, ", ") + ") or " + todo
	}
	gr.Failed, gr.Change, gr.Interval, gr.P, gr.Significant = true, nil, nil, nil, nil
	gr.Note = NotJudged + failedOneSideText(failed) + ", so the totals compare different request mixes: " + todo
}

// overContextNote says which side's class n (any class for the totals)
// served requests over the model's context: its SLO figures count
// requests a real server refuses ("" if neither).
func overContextNote(base, nw *Result, n string) string {
	over := func(r *Result) bool {
		if n != TotalClass {
			c := r.Classes[n]
			return c != nil && c.OverContext != nil
		}
		for _, c := range r.Classes {
			if c != nil && c.OverContext != nil {
				return true
			}
		}
		return false
	}
	side := ""
	switch b, w := over(base), over(nw); {
	case b && w:
		side = "both"
	case b:
		side = "BASE"
	case w:
		side = "NEW"
	default:
		return ""
	}
	return "includes requests over the model's context, which a real server refuses: " + side
}

func joinNote(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

func whichClasses(g Gate) string {
	if g.Class != "" {
		return "class " + g.Class
	}
	return "any class"
}

func runInfo(r *Result) RunInfo {
	ri := RunInfo{Scenario: r.Scenario.Name, Seed: r.Scenario.Seed, Backend: r.Backend, WindowS: r.Window.DurationS,
		Warnings: slices.Clone(r.Warnings)}
	if r.Fleet != nil {
		ri.Fleet = r.Fleet.Spec
	}
	return ri
}

// classNames is the union of both sides' classes, sorted, then "total".
func classNames(a, b *Result) []string {
	var out []string
	for _, r := range []*Result{a, b} {
		for n, c := range r.Classes {
			if c != nil && n != TotalClass && !slices.Contains(out, n) {
				out = append(out, n)
			}
		}
	}
	slices.Sort(out)
	return append(out, TotalClass)
}

func classOf(r *Result, n string) *ClassResult {
	if n == TotalClass {
		return r.Totals
	}
	return r.Classes[n]
}

// delta builds one row; false when neither side has the metric.
func delta(ref metricRef, b, w *ClassResult) (MetricDelta, bool) {
	md := MetricDelta{Metric: ref.name, Unit: ref.unit(), Fraction: ref.fraction, Points: ref.points}
	vb, hasB := ref.value(b)
	vn, hasN := ref.value(w)
	if !hasB && !hasN {
		return md, false
	}
	if hasB {
		md.Base = &vb
	}
	if hasN {
		md.New = &vn
	}
	if hasB && hasN {
		d := roundSig(vn - vb)
		md.Delta = &d
		if pct := relChange(vb, vn); !math.IsInf(pct, 0) && !ref.points {
			pct = roundDec(pct, 4)
			md.DeltaPct = &pct
		}
	}
	return md, true
}

// scenarioMismatch warns when the two results come from different
// scenarios (by name, or by content hash where both files have one): a
// baseline not recorded again after the scenario changed compares two
// workloads, and every delta and gate with it. "" when they match.
func scenarioMismatch(base, nw *Result) string {
	b, n := base.Scenario, nw.Scenario
	if b.Name == n.Name && (b.Hash == "" || n.Hash == "" || b.Hash == n.Hash) {
		return ""
	}
	side := func(s ScenarioInfo) string {
		if s.Hash == "" {
			return orDash(s.Name)
		}
		return orDash(s.Name) + " " + s.Hash
	}
	return "the two results come from different scenarios (base " + side(b) + ", new " + side(n) +
		"): every delta compares two workloads; record the baseline again from the scenario the new run used"
}

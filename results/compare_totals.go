package results

import (
	"slices"
	"strings"
)

// sameClassTotals is what compare reads as each side's totals: the
// result's, except that a ZeroUnknown metric (queue) covers only the
// classes both sides measured it for when a class present on both is
// measured on one side only (the simulator sees every class's queue, an
// endpoint only those it reports: compared as they are, the totals row
// would set every class's waits against video's alone).
type sameClassTotals struct {
	base, new *ClassResult
	// over is, per metric name whose totals were recomputed, the classes
	// each side's figure and samples cover.
	over map[string][2][]string
}

func newSameClassTotals(base, nw *Result) sameClassTotals {
	t := sameClassTotals{base: base.Totals, new: nw.Totals}
	for i := range Metrics {
		m := &Metrics[i]
		if !m.ZeroUnknown {
			continue
		}
		var mixed []string // on both sides, measured on one only
		for n, cb := range base.Classes {
			if cn := nw.Classes[n]; cb != nil && cn != nil && (m.Of(cb) == nil) != (m.Of(cn) == nil) {
				mixed = append(mixed, n)
			}
		}
		if len(mixed) == 0 {
			continue
		}
		kb, kn := base.classesWith(m, mixed), nw.classesWith(m, mixed)
		pb, okb := base.totalOver(m, kb)
		pn, okn := nw.totalOver(m, kn)
		if !okb || !okn {
			continue // a histogram that does not decode: keep the files' totals
		}
		if t.over == nil {
			b, w := *t.base, *t.new
			t.base, t.new, t.over = &b, &w, map[string][2][]string{}
		}
		*m.field(t.base), *m.field(t.new) = pb, pn
		t.over[m.Name] = [2][]string{kb, kn}
	}
	return t
}

// class returns side's class n (0 base, 1 new), the adjusted totals for
// TotalClass.
func (t sameClassTotals) class(r *Result, side int, n string) *ClassResult {
	if n != TotalClass {
		return r.Classes[n]
	}
	if side == 0 {
		return t.base
	}
	return t.new
}

// note says which classes a recomputed totals row covers.
func (t sameClassTotals) note(m *Metric) string {
	o, ok := t.over[m.Name]
	if !ok {
		return ""
	}
	both := slices.Compact(slices.Sorted(slices.Values(append(slices.Clone(o[0]), o[1]...))))
	return "totals over the classes both sides measured: " + strings.Join(both, ", ")
}

// classesWith lists, sorted, r's classes that carry m, but those in skip.
func (r *Result) classesWith(m *Metric, skip []string) []string {
	var out []string
	for n, c := range r.Classes {
		if c != nil && m.Of(c) != nil && !slices.Contains(skip, n) {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// totalOver merges metric m's histograms of classes into percentiles (nil
// for none); false when a histogram is missing or does not decode.
func (r *Result) totalOver(m *Metric, classes []string) (*Percentiles, bool) {
	h := newHist()
	for _, n := range classes {
		ch, err := decodeHist(r.Histograms[n][m.Key])
		if err != nil {
			return nil, false
		}
		h.Merge(ch)
	}
	if h.TotalCount() == 0 {
		return nil, true
	}
	return summarize(h), true
}

// samples are the values side's figure of class n and metric m was
// computed from (Samples.valuesIn), over a recomputed totals row's classes.
func (t sameClassTotals) samples(s *Samples, r *Result, side int, n string, m *Metric) []float64 {
	o, ok := t.over[m.Name]
	if !ok || n != TotalClass {
		return s.valuesIn(r, n, m)
	}
	if s == nil {
		return nil
	}
	var out []float64
	for _, c := range o[side] {
		out = append(out, s.Values(c, m.Name)...)
	}
	return out
}

package results

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Gate is one --fail-on condition: the change of a metric from BASE to NEW
// that fails the comparison. "ttft.p99>+10%" fails when p99 TTFT rose by
// more than 10%; "cache_hit_rate<-0.02" when the hit rate fell by more
// than 0.02 (absolute). A "class:" prefix limits the gate to one class
// ("total" is the totals); without it the gate applies to every class and
// the totals, and fails if any of them does.
type Gate struct {
	Raw       string  `json:"gate"`
	Class     string  `json:"class,omitempty"`
	Metric    string  `json:"metric"` // canonical name
	Op        string  `json:"op"`     // ">" or "<"
	Threshold float64 `json:"threshold"`
	Relative  bool    `json:"relative"` // threshold in percent of BASE
	ref       metricRef
}

// TotalClass names the totals in compare output and gates.
const TotalClass = "total"

// ParseGates parses a comma-separated list of gates:
// [class:]metric[.stat](>|<)[+|-]N[%].
func ParseGates(s string) ([]Gate, error) {
	var out []Gate
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		g, err := ParseGate(item)
		if err != nil {
			return nil, err
		}
		out = append(out, g)
	}
	return out, nil
}

// ParseGate parses one gate (see ParseGates).
func ParseGate(s string) (Gate, error) {
	g := Gate{Raw: strings.TrimSpace(s)}
	const form = "write [class:]metric[.stat](>|<)[+|-]N[%], e.g. ttft.p99>+10% or chat:cache_hit_rate<-0.02"
	i := strings.IndexAny(g.Raw, "<>")
	if i < 0 {
		return g, fmt.Errorf("gate %q: no > or <: %s", g.Raw, form)
	}
	g.Op = g.Raw[i : i+1]
	lhs, rhs := strings.TrimSpace(g.Raw[:i]), strings.TrimSpace(g.Raw[i+1:])
	if strings.HasPrefix(rhs, "=") {
		return g, fmt.Errorf("gate %q: >= and <= are not supported (the bound is exclusive): %s", g.Raw, form)
	}
	if j := strings.LastIndex(lhs, ":"); j >= 0 {
		g.Class = strings.TrimSpace(lhs[:j])
		lhs = strings.TrimSpace(lhs[j+1:])
		if g.Class == "" {
			return g, fmt.Errorf("gate %q: empty class before ':': %s", g.Raw, form)
		}
	}
	if lhs == "" {
		return g, fmt.Errorf("gate %q: no metric: %s", g.Raw, form)
	}
	ref, err := resolveMetric(lhs)
	if err != nil {
		return g, fmt.Errorf("gate %q: %w", g.Raw, err)
	}
	g.ref, g.Metric = ref, ref.name
	num := rhs
	if strings.HasSuffix(num, "%") {
		g.Relative = true
		num = strings.TrimSpace(strings.TrimSuffix(num, "%"))
	}
	v, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) || num == "" || strings.ContainsAny(num, "xXpP_") {
		return g, fmt.Errorf("gate %q: threshold %q is not a number: %s", g.Raw, rhs, form)
	}
	g.Threshold = v
	return g, nil
}

// String is the gate in canonical form ("chat:ttft.p99>+10%").
func (g Gate) String() string {
	prefix := ""
	if g.Class != "" {
		prefix = g.Class + ":"
	}
	num := strconv.FormatFloat(g.Threshold, 'f', -1, 64)
	if !math.Signbit(g.Threshold) {
		num = "+" + num
	}
	if g.Relative {
		num += "%"
	}
	return prefix + g.Metric + g.Op + num
}

// GateResult is one gate judged on one class.
type GateResult struct {
	Gate   string   `json:"gate"`
	Class  string   `json:"class"`
	Base   *float64 `json:"base"`
	New    *float64 `json:"new"`
	Change *float64 `json:"change"` // percent when the gate is relative, else absolute
	Failed bool     `json:"failed"`
	// Interval is the (1-alpha) bootstrap interval of Change when records
	// were given (BootstrapTest); P is the Mann-Whitney p-value for
	// statistics the bootstrap does not estimate (min, max).
	Interval *[2]float64 `json:"interval,omitempty"`
	P        *float64    `json:"p,omitempty"`
	// Significant says whether the change is significant at alpha; a gate
	// whose threshold was crossed by a change that is not significant
	// passes (Note says so).
	Significant *bool  `json:"significant,omitempty"`
	Note        string `json:"note,omitempty"`
	Relative    bool   `json:"relative"`
	// Points: the metric is a percentage and an absolute Change is in
	// percentage points.
	Points bool `json:"points,omitempty"`
}

// judge evaluates g on one class. ok is false when neither side has the
// metric (the gate does not apply there).
func (g Gate) judge(class string, base, nw *ClassResult) (GateResult, bool) {
	res := GateResult{Gate: g.String(), Class: class, Relative: g.Relative, Points: g.ref.points && !g.Relative}
	b, hasB := g.ref.value(base)
	n, hasN := g.ref.value(nw)
	switch {
	case !hasB && !hasN:
		return res, false
	case !hasN:
		res.Base, res.Failed = &b, true
		res.Note = "missing in NEW"
		return res, true
	case !hasB:
		res.New = &n
		res.Note = "not in BASE: nothing to compare"
		return res, true
	}
	res.Base, res.New = &b, &n
	change := n - b
	if g.Relative {
		change = relChange(b, n)
	}
	res.Change = &change
	if math.IsInf(change, 0) {
		res.Change = nil
		res.Note = "BASE is 0"
	}
	if g.Op == ">" {
		res.Failed = change > g.Threshold
	} else {
		res.Failed = change < g.Threshold
	}
	return res, true
}

// relChange is (n-b)/b in percent; 0 when both are 0, ±Inf when only b is.
func relChange(b, n float64) float64 {
	if b == 0 {
		switch {
		case n > 0:
			return math.Inf(1)
		case n < 0:
			return math.Inf(-1)
		}
		return 0
	}
	return (n - b) / math.Abs(b) * 100
}

// significance judges, with per-request samples of both sides, whether
// a crossed gate's change is significant at alpha, and lets the gate pass
// when it is not: seed-to-seed noise (TTFT p99 moves ~9% between two
// seeds of one configuration) must not fail a gate. Quantiles and the
// mean use a bootstrap interval of the change (BootstrapChange): the
// change is significant when the interval lies wholly on the gate's side
// of zero. Other statistics use the Mann-Whitney test of the whole
// distribution.
func (g Gate) significance(gr *GateResult, xa, xb []float64, alpha float64) {
	if len(xa) == 0 || len(xb) == 0 || gr.Change == nil {
		return
	}
	var sig bool
	if lo, hi, ok := BootstrapChange(xa, xb, g.ref.stat, g.Relative, alpha); ok {
		lo, hi = roundSig(lo), roundSig(hi)
		gr.Interval = &[2]float64{lo, hi}
		sig = (g.Op == ">" && lo > 0) || (g.Op == "<" && hi < 0)
	} else {
		_, p := MannWhitney(xa, xb)
		p = roundSig(p)
		gr.P = &p
		sig = p < alpha
	}
	gr.Significant = &sig
	if gr.Failed && !sig {
		gr.Failed = false
		unit := ""
		if g.Relative {
			unit = "%"
		}
		if gr.Interval != nil {
			gr.Note = fmt.Sprintf("crossed but not significant: the %g%% interval of the change, %+.4g%s..%+.4g%s, includes 0", 100*(1-alpha), gr.Interval[0], unit, gr.Interval[1], unit)
		} else {
			gr.Note = fmt.Sprintf("crossed but not significant (Mann-Whitney p=%.3g >= %g)", *gr.P, alpha)
		}
	}
}

package results

import (
	"fmt"
	"slices"
	"strings"
)

// latencyStats are the statistics a latency metric may be gated on.
var latencyStats = []string{"mean", "min", "p50", "p90", "p95", "p99", "p999", "max"}

// scale says how a scalar metric's change reads.
type scale int

const (
	plain    scale = iota // a count, rate or cost: the relative change
	fraction              // a ratio in [0,1]: the absolute change
	points                // a percentage: the change in percentage points
)

// scalarMetrics are the per-class numbers compare knows. A change of a
// figure that is itself a ratio or a percentage is the difference, never
// a percentage of it (a margin going 10% -> 12% moved 2 points, not 20%).
var scalarMetrics = []struct {
	name  string
	scale scale
	get   func(*ClassResult) (float64, bool)
}{
	{"requests", plain, func(c *ClassResult) (float64, bool) { return float64(c.Requests), true }},
	{"completed", plain, func(c *ClassResult) (float64, bool) { return float64(c.Completed), true }},
	{"errors", plain, func(c *ClassResult) (float64, bool) { return float64(c.Errors), true }},
	{"error_rate", fraction, func(c *ClassResult) (float64, bool) {
		if c.Requests == 0 {
			return 0, false
		}
		return roundSig(float64(c.Errors) / float64(c.Requests)), true
	}},
	{"tasks", plain, func(c *ClassResult) (float64, bool) { return float64(c.Tasks), true }},
	// A video class has no tokens: its token figures are absent.
	{"input_tokens", plain, func(c *ClassResult) (float64, bool) { return Count(c.InputTokens) }},
	{"cached_tokens", plain, func(c *ClassResult) (float64, bool) { return Count(c.CachedTokens) }},
	{"output_tokens", plain, func(c *ClassResult) (float64, bool) { return Count(c.OutputTokens) }},
	{"cache_hit_rate", fraction, func(c *ClassResult) (float64, bool) { return Ratio(c.CacheHitRate) }},
	{"output_tokens_per_s", plain, func(c *ClassResult) (float64, bool) { return Ratio(c.OutputTokensPerS) }},
	{"requests_per_s", plain, func(c *ClassResult) (float64, bool) { return Ratio(c.RequestsPerS) }},
	{"tasks_per_s", plain, func(c *ClassResult) (float64, bool) { return Ratio(c.TasksPerS) }},
	{"slo_attainment", fraction, func(c *ClassResult) (float64, bool) { return Ratio(c.SLOAttainment) }},
	{"goodput_rps", plain, func(c *ClassResult) (float64, bool) { return Ratio(c.GoodputRPS) }},
	{"preemptions", plain, func(c *ClassResult) (float64, bool) { return float64(c.Preemptions), true }},
	{"clips", plain, func(c *ClassResult) (float64, bool) { return float64(c.Clips), c.Kind == "video" || c.Clips > 0 }},
	{"video_seconds", plain, func(c *ClassResult) (float64, bool) { return c.VideoSeconds, c.Kind == "video" || c.Clips > 0 }},
	{"cost.usd", plain, costGet(func(cc *ClassCost) float64 { return cc.USD })},
	{"cost.per_task_usd", plain, costGet(func(cc *ClassCost) float64 { return cc.PerTaskUSD })},
	{"cost.usd_per_mtok_input", plain, costGet(func(cc *ClassCost) float64 { return cc.USDPerMTokInput })},
	{"cost.usd_per_mtok_cached_input", plain, costGet(func(cc *ClassCost) float64 { return cc.USDPerMTokCached })},
	{"cost.usd_per_mtok_output", plain, costGet(func(cc *ClassCost) float64 { return cc.USDPerMTokOutput })},
	{"cost.usd_per_clip", plain, costGet(func(cc *ClassCost) float64 { return cc.USDPerClip })},
	{"cost.usd_per_video_second", plain, costGet(func(cc *ClassCost) float64 { return cc.USDPerVideoSecond })},
	{"cost.j_per_output_token", plain, costGet(func(cc *ClassCost) float64 { return cc.JPerOutTok })},
	// A class's own; the totals' are the fleet's (results.Cost).
	{"cost.margin_pct", points, pctGet(func(rv *Revenue) *float64 { return rv.MarginPct }, func(f *Cost) *float64 { return f.MarginPct })},
	{"cost.markup_pct", points, pctGet(func(rv *Revenue) *float64 { return rv.MarkupPct }, func(f *Cost) *float64 { return f.MarkupPct })},
}

// pctGet reads a margin percentage: a priced class's from its revenue, the
// totals' from the fleet's cost; absent where undefined.
func pctGet(class func(*Revenue) *float64, fleet func(*Cost) *float64) func(*ClassResult) (float64, bool) {
	return func(c *ClassResult) (float64, bool) {
		switch {
		case c.Cost == nil:
			return 0, false
		case c.Cost.Revenue != nil:
			return deref(class(c.Cost.Revenue))
		case c.Cost.fleet != nil:
			return deref(fleet(c.Cost.fleet))
		}
		return 0, false
	}
}

// costGet reads a cost field; absent when the result was not priced, and
// zero per-unit figures (no such units) count as absent too.
func costGet(f func(*ClassCost) float64) func(*ClassResult) (float64, bool) {
	return func(c *ClassResult) (float64, bool) {
		if c.Cost == nil {
			return 0, false
		}
		v := f(c.Cost)
		return v, v != 0
	}
}

// defaultRows are the metrics compare shows for every class (when either
// side has them): counts, each latency metric's CompareStats, then rates,
// SLO and cost; gated metrics are added.
var defaultRows = func() []string {
	rows := []string{"requests", "errors", "error_rate"}
	for _, m := range Metrics {
		for _, st := range m.CompareStats {
			rows = append(rows, m.Name+"."+st)
		}
	}
	return append(rows, "cache_hit_rate", "output_tokens_per_s", "tasks_per_s", "slo_attainment", "goodput_rps",
		"cost.per_task_usd", "cost.usd_per_mtok_input", "cost.usd_per_mtok_output", "cost.margin_pct")
}()

// metricRef is a resolved metric name.
type metricRef struct {
	name     string  // canonical, e.g. "ttft.p99" or "cache_hit_rate"
	lat      *Metric // a latency metric, or nil
	stat     string  // for latency metrics
	scalar   int     // index into scalarMetrics, or -1
	fraction bool    // a ratio in [0,1]
	points   bool    // a percentage
}

// resolveMetric parses a metric name: a latency metric with an optional
// statistic (default p50, the median benchstat compares) or a scalar.
func resolveMetric(s string) (metricRef, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, m := range scalarMetrics {
		if s == m.name {
			return metricRef{name: m.name, scalar: i, fraction: m.scale == fraction, points: m.scale == points}, nil
		}
	}
	base, stat, hasStat := strings.Cut(s, ".")
	if !hasStat {
		stat = "p50"
	}
	if m, ok := MetricByName(base); ok {
		if !slices.Contains(latencyStats, stat) {
			return metricRef{}, fmt.Errorf("metric %q: unknown statistic %q (want one of %s)", s, stat, strings.Join(latencyStats, ", "))
		}
		return metricRef{name: m.Name + "." + stat, lat: m, stat: stat, scalar: -1}, nil
	}
	return metricRef{}, fmt.Errorf("unknown metric %q: want a latency metric (%s) with an optional .p50/.p90/.p99/.mean/... or one of %s",
		s, MetricNames(), scalarNames())
}

// MetricNames lists the latency metrics' names for messages and help
// ("ttft, ttft_intended, tpot, ...").
func MetricNames() string {
	n := make([]string, len(Metrics))
	for i, m := range Metrics {
		n[i] = m.Name
	}
	return strings.Join(n, ", ")
}

func scalarNames() string {
	n := make([]string, len(scalarMetrics))
	for i, m := range scalarMetrics {
		n[i] = m.name
	}
	return strings.Join(n, ", ")
}

// value reads the metric from c; false when c lacks it.
func (m metricRef) value(c *ClassResult) (float64, bool) {
	if c == nil {
		return 0, false
	}
	if m.scalar >= 0 {
		return scalarMetrics[m.scalar].get(c)
	}
	return m.lat.Stat(c, m.stat)
}

// unit is shown after latency metric names.
func (m metricRef) unit() string {
	if m.lat != nil {
		return m.lat.Unit
	}
	return ""
}

package results

import (
	"fmt"
	"slices"
	"strings"
)

// latencyStats are the statistics a latency metric may be gated on.
var latencyStats = []string{"mean", "min", "p50", "p90", "p95", "p99", "p999", "max"}

// scalarMetrics are the per-class numbers compare knows. fraction marks
// metrics in [0,1], whose deltas read best as absolute differences.
var scalarMetrics = []struct {
	name     string
	fraction bool
	get      func(*ClassResult) (float64, bool)
}{
	{"requests", false, func(c *ClassResult) (float64, bool) { return float64(c.Requests), true }},
	{"completed", false, func(c *ClassResult) (float64, bool) { return float64(c.Completed), true }},
	{"errors", false, func(c *ClassResult) (float64, bool) { return float64(c.Errors), true }},
	{"error_rate", true, func(c *ClassResult) (float64, bool) {
		if c.Requests == 0 {
			return 0, false
		}
		return roundSig(float64(c.Errors) / float64(c.Requests)), true
	}},
	{"tasks", false, func(c *ClassResult) (float64, bool) { return float64(c.Tasks), true }},
	// A video class has no tokens: its token figures are absent.
	{"input_tokens", false, func(c *ClassResult) (float64, bool) { return float64(c.InputTokens), c.HasTokens() }},
	{"cached_tokens", false, func(c *ClassResult) (float64, bool) { return float64(c.CachedTokens), c.HasTokens() }},
	{"output_tokens", false, func(c *ClassResult) (float64, bool) { return float64(c.OutputTokens), c.HasTokens() }},
	{"cache_hit_rate", true, func(c *ClassResult) (float64, bool) { return Ratio(c.CacheHitRate) }},
	{"output_tokens_per_s", false, func(c *ClassResult) (float64, bool) { return c.OutputTokensPerS, c.HasTokens() }},
	{"requests_per_s", false, func(c *ClassResult) (float64, bool) { return c.RequestsPerS, true }},
	{"tasks_per_s", false, func(c *ClassResult) (float64, bool) { return c.TasksPerS, true }},
	{"slo_attainment", true, func(c *ClassResult) (float64, bool) { return Ratio(c.SLOAttainment) }},
	{"goodput_rps", false, func(c *ClassResult) (float64, bool) { return c.GoodputRPS, true }},
	{"preemptions", false, func(c *ClassResult) (float64, bool) { return float64(c.Preemptions), true }},
	{"clips", false, func(c *ClassResult) (float64, bool) { return float64(c.Clips), c.Kind == "video" || c.Clips > 0 }},
	{"video_seconds", false, func(c *ClassResult) (float64, bool) { return c.VideoSeconds, c.Kind == "video" || c.Clips > 0 }},
	{"cost.usd", false, costGet(func(cc *ClassCost) float64 { return cc.USD })},
	{"cost.per_task_usd", false, costGet(func(cc *ClassCost) float64 { return cc.PerTaskUSD })},
	{"cost.usd_per_mtok_input", false, costGet(func(cc *ClassCost) float64 { return cc.USDPerMTokInput })},
	{"cost.usd_per_mtok_cached_input", false, costGet(func(cc *ClassCost) float64 { return cc.USDPerMTokCached })},
	{"cost.usd_per_mtok_output", false, costGet(func(cc *ClassCost) float64 { return cc.USDPerMTokOutput })},
	{"cost.usd_per_clip", false, costGet(func(cc *ClassCost) float64 { return cc.USDPerClip })},
	{"cost.usd_per_video_second", false, costGet(func(cc *ClassCost) float64 { return cc.USDPerVideoSecond })},
	{"cost.j_per_output_token", false, costGet(func(cc *ClassCost) float64 { return cc.JPerOutTok })},
	{"cost.margin_pct", false, func(c *ClassResult) (float64, bool) {
		if c.Cost == nil || c.Cost.Revenue == nil || c.Cost.Revenue.MarginPct == nil {
			return 0, false
		}
		return *c.Cost.Revenue.MarginPct, true
	}},
	{"cost.markup_pct", false, func(c *ClassResult) (float64, bool) {
		if c.Cost == nil || c.Cost.Revenue == nil || c.Cost.Revenue.MarkupPct == nil {
			return 0, false
		}
		return *c.Cost.Revenue.MarkupPct, true
	}},
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
	fraction bool
}

// resolveMetric parses a metric name: a latency metric with an optional
// statistic (default p50, the median benchstat compares) or a scalar.
func resolveMetric(s string) (metricRef, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	for i, m := range scalarMetrics {
		if s == m.name {
			return metricRef{name: m.name, scalar: i, fraction: m.fraction}, nil
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
		return " " + m.lat.Unit
	}
	return ""
}

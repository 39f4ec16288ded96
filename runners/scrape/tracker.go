package scrape

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"

	"github.com/fleetbench/fleetbench/results"
)

// Metric names as vLLM and SGLang expose them. Each list is tried in order
// and the first family present in a scrape is used, so a server exposing a
// deprecated alias next to the new name is not counted twice.
//
// Sources: vLLM docs "Production Metrics" / design "Metrics" (V1 names;
// gpu_cache_usage_perc and gpu_prefix_cache_* are the pre-V1 spellings);
// SGLang docs "Production Metrics" and python/sglang/srt/metrics/collector.py.
var (
	kvUsageNames = []string{"vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc", "sglang:token_usage"}
	runningNames = []string{"vllm:num_requests_running", "sglang:num_running_reqs"}
	waitingNames = []string{"vllm:num_requests_waiting", "sglang:num_queue_reqs"}
	// Hit-rate gauges are only a fallback when no hit/query counters exist.
	hitRateNames = []string{"sglang:cache_hit_rate", "vllm:gpu_prefix_cache_hit_rate"}

	// Counters (token counts for the prefix cache). SGLang has no
	// "queries" counter: cached_tokens/prompt_tokens is its token hit rate.
	hitsNames        = []string{"vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total", "sglang:cached_tokens_total"}
	queriesNames     = []string{"vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total", "sglang:prompt_tokens_total"}
	preemptionNames  = []string{"vllm:num_preemptions_total", "sglang:num_retracted_requests_total"}
	promptTokenNames = []string{"vllm:prompt_tokens_total", "sglang:prompt_tokens_total"}
	genTokenNames    = []string{"vllm:generation_tokens_total", "sglang:generation_tokens_total"}
)

// maxCounterSeries bounds the per-series counter state, so an endpoint
// with exploding label sets cannot grow memory without bound.
const maxCounterSeries = 4096

// counterKind indexes the tracked counters.
type counterKind int

const (
	cHits counterKind = iota
	cQueries
	cPreemptions
	cPromptTokens
	cGenTokens
	numCounters
)

var counterNames = [numCounters][]string{hitsNames, queriesNames, preemptionNames, promptTokenNames, genTokenNames}

// tracker turns successive expositions of one endpoint into a timeline and
// a summary. It does no I/O and is not safe for concurrent use.
type tracker struct {
	m      results.EndpointMetrics
	series *results.SeriesRecorder
	vllm   bool
	sglang bool

	// last holds each counter series' previous value; lastT is the time of
	// the previous successful scrape (valid when m.Scrapes > 0).
	last  map[string]float64
	lastT int64
}

func newTracker(url string, intervalS float64) *tracker {
	return &tracker{
		m:      results.EndpointMetrics{URL: url, ScrapeIntervalS: intervalS},
		series: results.NewSeriesRecorder(),
		last:   map[string]float64{},
	}
}

// parse reads a Prometheus text exposition. A body that does not parse is
// rejected whole: a truncated body would otherwise look like vanished
// counters.
func parse(r io.Reader) (map[string]*dto.MetricFamily, error) {
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(r)
	if err != nil {
		return nil, fmt.Errorf("not a Prometheus text exposition: %w", err)
	}
	return fams, nil
}

// ingest parses one exposition scraped at tNs (ns since run start) and
// records it; a parse error is recorded as a failed scrape and returned.
func (t *tracker) ingest(tNs int64, r io.Reader) error {
	fams, err := parse(r)
	if err != nil {
		t.fail(tNs, err)
		return err
	}
	t.observe(tNs, fams)
	return nil
}

// fail records a failed scrape.
func (t *tracker) fail(tNs int64, err error) { t.m.AddError(tNs, err.Error()) }

// observe records one successfully parsed exposition.
func (t *tracker) observe(tNs int64, fams map[string]*dto.MetricFamily) {
	for name := range fams {
		t.vllm = t.vllm || strings.HasPrefix(name, "vllm:")
		t.sglang = t.sglang || strings.HasPrefix(name, "sglang:")
	}
	first := t.m.Scrapes == 0
	s := &t.m.Summary

	if v, ok := gauge(fams, kvUsageNames, false); ok {
		s.KVUsage.Add(v)
		t.series.Observe(tNs, results.SeriesKVUsage, v)
	}
	if v, ok := gauge(fams, runningNames, true); ok {
		s.Running.Add(v)
		t.series.Observe(tNs, results.SeriesRunning, v)
	}
	if v, ok := gauge(fams, waitingNames, true); ok {
		s.Waiting.Add(v)
		t.series.Observe(tNs, results.SeriesWaiting, v)
	}
	hitGauge, hasHitGauge := gauge(fams, hitRateNames, false)
	if hasHitGauge {
		s.PrefixCacheHitRateGauge.Add(hitGauge)
	}

	var d [numCounters]float64
	var seen [numCounters]bool
	for k := range numCounters {
		d[k], seen[k] = t.counterDelta(fams, counterNames[k], first)
	}
	if !first {
		s.PrefixCacheHits += d[cHits]
		s.PrefixCacheQueries += d[cQueries]
		s.Preemptions += d[cPreemptions]
		s.PromptTokens += d[cPromptTokens]
		s.GenerationTokens += d[cGenTokens]
		if dt := float64(tNs-t.lastT) / 1e9; dt > 0 {
			if seen[cPreemptions] {
				t.series.Observe(tNs, results.SeriesPreemptionsPerS, d[cPreemptions]/dt)
			}
			if seen[cPromptTokens] {
				t.series.Observe(tNs, results.SeriesPromptTokensPerS, d[cPromptTokens]/dt)
			}
			if seen[cGenTokens] {
				t.series.Observe(tNs, results.SeriesGenTokensPerS, d[cGenTokens]/dt)
			}
		}
		switch {
		case seen[cQueries] && d[cQueries] > 0:
			t.series.Observe(tNs, results.SeriesPrefixHitRate, min(1, d[cHits]/d[cQueries]))
		case !seen[cQueries] && hasHitGauge:
			t.series.Observe(tNs, results.SeriesPrefixHitRate, hitGauge)
		}
	}
	if first {
		t.m.FirstS = float64(tNs) / 1e9
	}
	t.m.LastS = float64(tNs) / 1e9
	t.m.Scrapes++
	t.lastT = tNs
}

// counterDelta returns the increase of the first present counter family in
// names since the previous scrape, summed over its series. A series whose
// value went down was reset (server restart) and counts from zero; a
// series first seen after the first scrape also counts from zero.
func (t *tracker) counterDelta(fams map[string]*dto.MetricFamily, names []string, first bool) (float64, bool) {
	mf := family(fams, names)
	if mf == nil {
		return 0, false
	}
	total := 0.0
	for _, m := range mf.GetMetric() {
		v := value(m)
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			continue
		}
		key := seriesKey(mf.GetName(), m)
		prev, ok := t.last[key]
		if !ok && len(t.last) >= maxCounterSeries {
			continue
		}
		t.last[key] = v
		switch {
		case first:
		case !ok || v < prev:
			total += v
		default:
			total += v - prev
		}
	}
	return total, true
}

// gauge returns the first present family in names, summed over its series
// (sum) or averaged over them (a fraction such as KV usage).
func gauge(fams map[string]*dto.MetricFamily, names []string, sum bool) (float64, bool) {
	mf := family(fams, names)
	if mf == nil {
		return 0, false
	}
	total, n := 0.0, 0
	for _, m := range mf.GetMetric() {
		v := value(m)
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		total += v
		n++
	}
	if n == 0 {
		return 0, false
	}
	if sum {
		return total, true
	}
	return total / float64(n), true
}

// family finds the first of names among fams. Counters are also looked up
// without their _total suffix, as some exporters name the family that way.
func family(fams map[string]*dto.MetricFamily, names []string) *dto.MetricFamily {
	for _, n := range names {
		if mf := fams[n]; mf != nil && len(mf.GetMetric()) > 0 {
			return mf
		}
		if base, ok := strings.CutSuffix(n, "_total"); ok {
			if mf := fams[base]; mf != nil && len(mf.GetMetric()) > 0 {
				return mf
			}
		}
	}
	return nil
}

// value is a sample's value for the metric types a gauge or counter can
// be exposed as; NaN otherwise.
func value(m *dto.Metric) float64 {
	switch {
	case m.GetGauge() != nil:
		return m.GetGauge().GetValue()
	case m.GetCounter() != nil:
		return m.GetCounter().GetValue()
	case m.GetUntyped() != nil:
		return m.GetUntyped().GetValue()
	}
	return math.NaN()
}

// seriesKey identifies one series: family name and sorted label pairs.
func seriesKey(name string, m *dto.Metric) string {
	lp := m.GetLabel()
	pairs := make([]string, 0, len(lp))
	for _, l := range lp {
		pairs = append(pairs, l.GetName()+"\x00"+l.GetValue())
	}
	sort.Strings(pairs)
	return name + "\xff" + strings.Join(pairs, "\xfe")
}

// result renders the endpoint's metrics.
func (t *tracker) result() *results.EndpointMetrics {
	e := t.m
	e.Errors = append([]results.ScrapeError(nil), t.m.Errors...)
	switch {
	case t.vllm && t.sglang:
		e.Engine = "vllm+sglang"
	case t.vllm:
		e.Engine = "vllm"
	case t.sglang:
		e.Engine = "sglang"
	default:
		e.Engine = "unknown"
	}
	e.FirstS, e.LastS = roundMs(e.FirstS), roundMs(e.LastS)
	e.Timeline = t.series.Timeline()
	e.Summary.Finish()
	return &e
}

func roundMs(s float64) float64 { return math.Round(s*1e3) / 1e3 }

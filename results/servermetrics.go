package results

import (
	"fmt"
	"math"
	"sort"
	"strings"
)

// Engine-neutral series names in a MetricTimeline. The scraper maps vLLM
// and SGLang metric names onto these so that reports and comparisons do not
// care which server produced them.
const (
	SeriesKVUsage          = "kv_usage"                // KV-cache usage fraction, 0-1
	SeriesRunning          = "running"                 // requests running on the server
	SeriesWaiting          = "waiting"                 // requests queued on the server
	SeriesPrefixHitRate    = "prefix_cache_hit_rate"   // hits/queries over one scrape interval, 0-1
	SeriesPreemptionsPerS  = "preemptions_per_s"       // preemptions (SGLang: retractions) per second
	SeriesPromptTokensPerS = "prompt_tokens_per_s"     // prefill tokens processed per second
	SeriesGenTokensPerS    = "generation_tokens_per_s" // decode tokens produced per second
)

// maxScrapeErrors bounds the scrape errors kept per endpoint: the first ones
// say what went wrong; the count says how often.
const maxScrapeErrors = 20

// ServerMetrics is what was scraped from the servers' Prometheus endpoints
// during a real run: one entry per endpoint (sorted by URL) and a summary
// over all of them.
type ServerMetrics struct {
	Summary   ServerMetricsSummary `json:"summary"`
	Endpoints []*EndpointMetrics   `json:"endpoints"`
}

// EndpointMetrics is one scraped endpoint: its timeline and summary, and
// how the scraping went. Times are seconds since the run started.
type EndpointMetrics struct {
	URL             string  `json:"url"`
	Engine          string  `json:"engine"`            // vllm | sglang | vllm+sglang | unknown
	ScrapeIntervalS float64 `json:"scrape_interval_s"` // requested interval
	Scrapes         int64   `json:"scrapes"`           // successful scrapes
	ScrapeErrors    int64   `json:"scrape_errors"`     // failed scrapes
	// Errors holds the first failed scrapes (at most 20); ScrapeErrors
	// counts all of them.
	Errors   []ScrapeError        `json:"errors,omitempty"`
	FirstS   float64              `json:"first_s"` // first successful scrape
	LastS    float64              `json:"last_s"`  // last successful scrape
	Summary  ServerMetricsSummary `json:"summary"`
	Timeline *MetricTimeline      `json:"timeline,omitempty"`
}

// ScrapeError is one failed scrape.
type ScrapeError struct {
	AtS   float64 `json:"at_s"` // seconds since run start
	Error string  `json:"error"`
}

// AddError records a failed scrape at tNs (ns since run start), keeping the
// first few messages.
func (e *EndpointMetrics) AddError(tNs int64, msg string) {
	e.ScrapeErrors++
	if len(e.Errors) < maxScrapeErrors {
		e.Errors = append(e.Errors, ScrapeError{AtS: roundSig(float64(tNs) / 1e9), Error: msg})
	}
}

// ServerMetricsSummary summarises scraped metrics over the run. Counter
// fields are increases over the run (resets handled), in the counter's
// unit (tokens, preemptions).
//
// A gauge no scrape sampled (the server does not export it) is absent
// from the JSON (omitzero: N 0), never a mean and max of 0.
type ServerMetricsSummary struct {
	KVUsage GaugeStat `json:"kv_usage,omitzero"` // fraction 0-1
	Running GaugeStat `json:"running,omitzero"`  // requests running, per endpoint
	Waiting GaugeStat `json:"waiting,omitzero"`  // requests queued, per endpoint

	// PrefixCacheHits and PrefixCacheQueries are token counts (vLLM
	// prefix_cache_hits/queries; SGLang cached_tokens/prompt_tokens).
	PrefixCacheHits    float64 `json:"prefix_cache_hits"`
	PrefixCacheQueries float64 `json:"prefix_cache_queries"`
	// PrefixCacheHitRate is hits/queries over the run when counters were
	// seen ("counters"), else the mean of a hit-rate gauge ("gauge", SGLang
	// cache_hit_rate), else 0 with an empty source.
	PrefixCacheHitRate       float64   `json:"prefix_cache_hit_rate"`
	PrefixCacheHitRateSource string    `json:"prefix_cache_hit_rate_source,omitempty"`
	PrefixCacheHitRateGauge  GaugeStat `json:"prefix_cache_hit_rate_gauge,omitzero"`

	Preemptions      float64 `json:"preemptions"`
	PromptTokens     float64 `json:"prompt_tokens"`
	GenerationTokens float64 `json:"generation_tokens"`
}

// GaugeStat is the mean and max of N samples of a gauge. N makes it
// mergeable: means combine weighted by N.
type GaugeStat struct {
	Mean float64 `json:"mean"`
	Max  float64 `json:"max"`
	N    int64   `json:"n"`
}

// Add adds one sample; NaN and infinities are ignored.
func (g *GaugeStat) Add(v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	g.Merge(GaugeStat{Mean: v, Max: v, N: 1})
}

// Merge adds the samples of o.
func (g *GaugeStat) Merge(o GaugeStat) {
	if o.N <= 0 {
		return
	}
	if g.N <= 0 {
		*g = o
		return
	}
	n := g.N + o.N
	g.Mean = g.Mean*(float64(g.N)/float64(n)) + o.Mean*(float64(o.N)/float64(n))
	g.Max = max(g.Max, o.Max)
	g.N = n
}

func (g GaugeStat) rounded() GaugeStat {
	return GaugeStat{Mean: roundSig(g.Mean), Max: roundSig(g.Max), N: g.N}
}

// Finish computes the derived hit rate and rounds to the file precision
// (6 significant digits) so that output is stable.
func (s *ServerMetricsSummary) Finish() {
	s.PrefixCacheHitRate, s.PrefixCacheHitRateSource = 0, ""
	switch {
	case s.PrefixCacheQueries > 0:
		s.PrefixCacheHitRate = min(1, max(0, s.PrefixCacheHits/s.PrefixCacheQueries))
		s.PrefixCacheHitRateSource = "counters"
	case s.PrefixCacheHitRateGauge.N > 0:
		s.PrefixCacheHitRate = s.PrefixCacheHitRateGauge.Mean
		s.PrefixCacheHitRateSource = "gauge"
	}
	s.PrefixCacheHitRate = roundSig(s.PrefixCacheHitRate)
	s.KVUsage, s.Running, s.Waiting = s.KVUsage.rounded(), s.Running.rounded(), s.Waiting.rounded()
	s.PrefixCacheHitRateGauge = s.PrefixCacheHitRateGauge.rounded()
	s.PrefixCacheHits, s.PrefixCacheQueries = roundSig(s.PrefixCacheHits), roundSig(s.PrefixCacheQueries)
	s.Preemptions = roundSig(s.Preemptions)
	s.PromptTokens, s.GenerationTokens = roundSig(s.PromptTokens), roundSig(s.GenerationTokens)
}

// mergeSummary adds o into s. sameServer says both describe the same
// server (one endpoint scraped by two load shards): counter increases then
// overlap, so the larger is kept instead of the sum.
func (s *ServerMetricsSummary) mergeSummary(o ServerMetricsSummary, sameServer bool) {
	s.KVUsage.Merge(o.KVUsage)
	s.Running.Merge(o.Running)
	s.Waiting.Merge(o.Waiting)
	s.PrefixCacheHitRateGauge.Merge(o.PrefixCacheHitRateGauge)
	add := func(a *float64, b float64) {
		if sameServer {
			*a = max(*a, b)
		} else {
			*a += b
		}
	}
	if sameServer && o.PrefixCacheQueries > s.PrefixCacheQueries {
		// Keep hits and queries from the same observation window.
		s.PrefixCacheHits, s.PrefixCacheQueries = o.PrefixCacheHits, o.PrefixCacheQueries
	} else if !sameServer {
		s.PrefixCacheHits += o.PrefixCacheHits
		s.PrefixCacheQueries += o.PrefixCacheQueries
	}
	add(&s.Preemptions, o.Preemptions)
	add(&s.PromptTokens, o.PromptTokens)
	add(&s.GenerationTokens, o.GenerationTokens)
}

// MetricTimeline is a bounded, mergeable timeline of named series
// (Series* names) in fixed-width buckets from run time 0, built on the same
// bucketing as Timeline: widths double past 600 buckets.
type MetricTimeline struct {
	IntervalNs int64                   `json:"interval_ns"`
	IntervalS  float64                 `json:"interval_s"`
	Series     map[string]*GaugeSeries `json:"series"`
}

// SeriesRecorder builds a MetricTimeline sample by sample in bounded
// memory. Not safe for concurrent use.
type SeriesRecorder struct{ acc *timelineAcc }

// NewSeriesRecorder returns an empty recorder.
func NewSeriesRecorder() *SeriesRecorder { return &SeriesRecorder{acc: newTimelineAcc()} }

// Observe records value v of series name at tNs (ns since run start).
// NaN and infinities are ignored.
func (s *SeriesRecorder) Observe(tNs int64, name string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	s.acc.observe(tNs, name, v)
}

// Timeline renders the recorded series; nil when nothing was recorded.
func (s *SeriesRecorder) Timeline() *MetricTimeline { return exportSeries(s.acc) }

func exportSeries(acc *timelineAcc) *MetricTimeline {
	t := acc.export()
	if t == nil || len(t.Gauges) == 0 {
		return nil
	}
	return &MetricTimeline{IntervalNs: t.IntervalNs, IntervalS: t.IntervalS, Series: t.Gauges}
}

func mergeTimelines(a, b *MetricTimeline) *MetricTimeline {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	acc := importTimeline(&Timeline{IntervalNs: a.IntervalNs, Gauges: a.Series})
	acc.mergeFrom(importTimeline(&Timeline{IntervalNs: b.IntervalNs, Gauges: b.Series}))
	return exportSeries(acc)
}

// Finish sorts the endpoints, finishes each endpoint summary and
// recomputes the overall summary from them. Call it after filling
// Endpoints; MergeServerMetrics calls it itself.
func (m *ServerMetrics) Finish() {
	sort.SliceStable(m.Endpoints, func(i, j int) bool { return m.Endpoints[i].URL < m.Endpoints[j].URL })
	var total ServerMetricsSummary
	for _, e := range m.Endpoints {
		e.Summary.Finish()
		total.mergeSummary(e.Summary, false)
	}
	total.Finish()
	m.Summary = total
}

// MergeServerMetrics combines the server metrics of two result files (for
// `fleetbench merge`). Endpoints with the same URL are one server scraped
// by two load shards: their samples combine, counter increases keep the
// larger (they overlap), scrape counts add. Other endpoints are kept side
// by side. Either argument may be nil; the inputs are not modified.
func MergeServerMetrics(a, b *ServerMetrics) *ServerMetrics {
	if a == nil && b == nil {
		return nil
	}
	out := &ServerMetrics{}
	byURL := map[string]*EndpointMetrics{}
	for _, m := range []*ServerMetrics{a, b} {
		if m == nil {
			continue
		}
		for _, e := range m.Endpoints {
			if e == nil {
				continue
			}
			if d, ok := byURL[e.URL]; ok {
				mergeEndpoint(d, e)
				continue
			}
			c := *e
			c.Errors = append([]ScrapeError(nil), e.Errors...)
			byURL[e.URL] = &c
			out.Endpoints = append(out.Endpoints, &c)
		}
	}
	out.Finish()
	return out
}

func mergeEndpoint(d, e *EndpointMetrics) {
	if d.Engine != e.Engine {
		switch {
		case d.Engine == "" || d.Engine == "unknown":
			d.Engine = e.Engine
		case e.Engine == "" || e.Engine == "unknown":
		default:
			d.Engine = "vllm+sglang"
		}
	}
	if d.Scrapes == 0 || (e.Scrapes > 0 && e.FirstS < d.FirstS) {
		d.FirstS = e.FirstS
	}
	d.LastS = max(d.LastS, e.LastS)
	d.Scrapes += e.Scrapes
	d.ScrapeErrors += e.ScrapeErrors
	for _, x := range e.Errors {
		if len(d.Errors) >= maxScrapeErrors {
			break
		}
		d.Errors = append(d.Errors, x)
	}
	d.Summary.mergeSummary(e.Summary, true)
	d.Timeline = mergeTimelines(d.Timeline, e.Timeline)
}

// Describe renders the server metrics as short report lines: the overall
// summary, then one line per endpoint when there are several.
func (m *ServerMetrics) Describe() []string {
	if m == nil || len(m.Endpoints) == 0 {
		return nil
	}
	var scrapes, failed int64
	for _, e := range m.Endpoints {
		scrapes += e.Scrapes
		failed += e.ScrapeErrors
	}
	lines := []string{"server metrics: " + m.Summary.describe() + fmt.Sprintf("; %d scrapes, %d failed", scrapes, failed)}
	if len(m.Endpoints) > 1 {
		for _, e := range m.Endpoints {
			lines = append(lines, fmt.Sprintf("  %s (%s): %s", e.URL, e.Engine, e.Summary.describe()))
		}
	}
	if failed > 0 && scrapes == 0 {
		lines = append(lines, "  no scrape succeeded: first error: "+firstError(m))
	}
	return lines
}

func firstError(m *ServerMetrics) string {
	for _, e := range m.Endpoints {
		if len(e.Errors) > 0 {
			return e.Errors[0].Error
		}
	}
	return "unknown"
}

func (s ServerMetricsSummary) describe() string {
	parts := []string{}
	if s.KVUsage.N > 0 {
		parts = append(parts, fmt.Sprintf("KV usage mean %.1f%% max %.1f%%", 100*s.KVUsage.Mean, 100*s.KVUsage.Max))
	}
	if s.PrefixCacheHitRateSource != "" {
		parts = append(parts, fmt.Sprintf("prefix-cache hit %.1f%% (%s)", 100*s.PrefixCacheHitRate, s.PrefixCacheHitRateSource))
	}
	if s.Running.N > 0 {
		parts = append(parts, fmt.Sprintf("running max %g", s.Running.Max))
	}
	if s.Waiting.N > 0 {
		parts = append(parts, fmt.Sprintf("queued max %g", s.Waiting.Max))
	}
	parts = append(parts, fmt.Sprintf("preemptions %g", s.Preemptions))
	return strings.Join(parts, ", ")
}

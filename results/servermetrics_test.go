package results

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestGaugeStat(t *testing.T) {
	tests := []struct {
		name    string
		samples []float64
		mean    float64
		max     float64
		n       int64
	}{
		{"empty", nil, 0, 0, 0},
		{"one", []float64{3}, 3, 3, 1},
		{"several", []float64{1, 2, 3, 6}, 3, 6, 4},
		{"negative max", []float64{-5, -1}, -3, -1, 2},
		{"non-finite ignored", []float64{1, math.NaN(), math.Inf(1), 3}, 2, 3, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var g GaugeStat
			for _, v := range tc.samples {
				g.Add(v)
			}
			require.InDelta(t, tc.mean, g.Mean, 1e-12)
			require.Equal(t, tc.max, g.Max)
			require.Equal(t, tc.n, g.N)
		})
	}
	// Merging split halves equals adding everything.
	var a, b, all GaugeStat
	for i, v := range []float64{0.1, 0.9, 0.4, 0.3, 0.8} {
		all.Add(v)
		if i < 2 {
			a.Add(v)
		} else {
			b.Add(v)
		}
	}
	a.Merge(b)
	require.InDelta(t, all.Mean, a.Mean, 1e-12)
	require.Equal(t, all.Max, a.Max)
	require.Equal(t, all.N, a.N)
}

// testEndpoint builds an endpoint with a KV-usage series and counters.
func testEndpoint(url string, kv []float64, hits, queries, preempt float64) *EndpointMetrics {
	e := &EndpointMetrics{URL: url, Engine: "vllm", ScrapeIntervalS: 1}
	rec := NewSeriesRecorder()
	for i, v := range kv {
		rec.Observe(int64(i)*1e9, SeriesKVUsage, v)
		e.Summary.KVUsage.Add(v)
		e.Scrapes++
	}
	e.LastS = float64(len(kv) - 1)
	e.Summary.PrefixCacheHits, e.Summary.PrefixCacheQueries, e.Summary.Preemptions = hits, queries, preempt
	e.Timeline = rec.Timeline()
	return e
}

func TestMergeServerMetrics(t *testing.T) {
	a := &ServerMetrics{Endpoints: []*EndpointMetrics{testEndpoint("http://b/metrics", []float64{0.2, 0.4}, 30, 100, 2)}}
	a.Finish()
	b := &ServerMetrics{Endpoints: []*EndpointMetrics{
		testEndpoint("http://b/metrics", []float64{0.6, 0.8}, 50, 200, 1), // same server, other shard
		testEndpoint("http://a/metrics", []float64{0.1}, 10, 10, 4),
	}}
	b.Endpoints[0].AddError(5e8, "HTTP 500")
	b.Finish()
	aJSON, _ := json.Marshal(a)

	m := MergeServerMetrics(a, b)
	require.Len(t, m.Endpoints, 2)
	require.Equal(t, "http://a/metrics", m.Endpoints[0].URL, "sorted by URL")
	sb := m.Endpoints[1]
	require.Equal(t, int64(4), sb.Scrapes)
	require.Equal(t, int64(1), sb.ScrapeErrors)
	require.InDelta(t, 0.5, sb.Summary.KVUsage.Mean, 1e-9)
	require.Equal(t, 0.8, sb.Summary.KVUsage.Max)
	// Same server: counters overlap, the larger window wins (not the sum).
	require.Equal(t, 50.0, sb.Summary.PrefixCacheHits)
	require.Equal(t, 200.0, sb.Summary.PrefixCacheQueries)
	require.Equal(t, 2.0, sb.Summary.Preemptions)
	require.InDelta(t, 0.25, sb.Summary.PrefixCacheHitRate, 1e-9)
	// Timelines merge bucket by bucket: bucket 0 holds 0.2 and 0.6.
	kv := sb.Timeline.Series[SeriesKVUsage]
	require.Equal(t, []int64{2, 2}, kv.N)
	require.InDelta(t, 0.4, kv.Mean[0], 1e-9)
	require.Equal(t, 0.8, kv.Max[1])

	// Different servers add up in the overall summary.
	require.Equal(t, 60.0, m.Summary.PrefixCacheHits)
	require.Equal(t, 210.0, m.Summary.PrefixCacheQueries)
	require.Equal(t, 6.0, m.Summary.Preemptions)
	require.Equal(t, int64(5), m.Summary.KVUsage.N)

	after, _ := json.Marshal(a)
	require.Equal(t, string(aJSON), string(after), "inputs are not modified")

	require.Nil(t, MergeServerMetrics(nil, nil))
	one := MergeServerMetrics(nil, a)
	require.Len(t, one.Endpoints, 1)
	require.Equal(t, a.Summary, one.Summary)
}

func TestServerMetricsFinishHitRateSource(t *testing.T) {
	tests := []struct {
		name   string
		s      ServerMetricsSummary
		rate   float64
		source string
	}{
		{"counters", ServerMetricsSummary{PrefixCacheHits: 1, PrefixCacheQueries: 4}, 0.25, "counters"},
		{"counters win over gauge", ServerMetricsSummary{PrefixCacheHits: 1, PrefixCacheQueries: 2, PrefixCacheHitRateGauge: GaugeStat{Mean: 0.9, Max: 0.9, N: 1}}, 0.5, "counters"},
		{"gauge fallback", ServerMetricsSummary{PrefixCacheHitRateGauge: GaugeStat{Mean: 0.3, Max: 0.5, N: 3}}, 0.3, "gauge"},
		{"clamped", ServerMetricsSummary{PrefixCacheHits: 5, PrefixCacheQueries: 4}, 1, "counters"},
		{"nothing", ServerMetricsSummary{}, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := tc.s
			s.Finish()
			require.InDelta(t, tc.rate, s.PrefixCacheHitRate, 1e-12)
			require.Equal(t, tc.source, s.PrefixCacheHitRateSource)
		})
	}
}

// The server-metrics section survives a result file round trip.
func TestServerMetricsJSONRoundTrip(t *testing.T) {
	m := &ServerMetrics{Endpoints: []*EndpointMetrics{testEndpoint("http://x/metrics", []float64{0.1, 0.2, 0.3}, 1, 3, 0)}}
	m.Finish()
	b, err := json.Marshal(m)
	require.NoError(t, err)
	var back ServerMetrics
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, *m, back)
	require.Contains(t, string(b), `"prefix_cache_hit_rate_source":"counters"`)
	require.Contains(t, string(b), `"series":{"kv_usage"`)
}

func TestServerMetricsDescribe(t *testing.T) {
	var none *ServerMetrics
	require.Nil(t, none.Describe())
	one := &ServerMetrics{Endpoints: []*EndpointMetrics{testEndpoint("http://x/metrics", []float64{0.2, 0.6}, 1, 4, 3)}}
	one.Finish()
	require.Equal(t, []string{"server metrics: KV usage mean 40.0% max 60.0%, prefix-cache hit 25.0% (counters), preemptions 3; 2 scrapes, 0 failed"}, one.Describe())

	dead := &ServerMetrics{Endpoints: []*EndpointMetrics{{URL: "http://a/metrics", Engine: "unknown"}, {URL: "http://b/metrics", Engine: "unknown"}}}
	dead.Endpoints[1].AddError(0, "connection refused")
	dead.Finish()
	require.Equal(t, []string{
		"server metrics: preemptions 0; 0 scrapes, 1 failed",
		"  http://a/metrics (unknown): preemptions 0",
		"  http://b/metrics (unknown): preemptions 0",
		"  no scrape succeeded: first error: connection refused",
	}, dead.Describe())
}

// A gauge the server does not export (vLLM v1 has no hit-rate gauge; a
// server without a KV gauge) was written as {"mean": 0, "max": 0, "n": 0}:
// a measured-looking 0. What was not sampled is absent.
func TestServerMetricsUnsampledGaugesAbsent(t *testing.T) {
	var s ServerMetricsSummary
	s.Running.Add(3)
	s.PrefixCacheQueries, s.PrefixCacheHits = 100, 25
	s.Finish()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	for _, key := range []string{`"kv_usage"`, `"waiting"`, `"prefix_cache_hit_rate_gauge"`} {
		require.NotContains(t, string(b), key)
	}
	require.Contains(t, string(b), `"running":{"mean":3,"max":3,"n":1}`)
	var back ServerMetricsSummary
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, s, back)
}

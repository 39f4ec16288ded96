package scrape

import (
	"bytes"
	"fmt"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// vllmState is one scripted vLLM exposition.
type vllmState struct {
	kv, running, waiting                float64
	hits, queries, preempt, prompt, gen float64
	engines                             int // series per metric (engine label); 0 = 1
	legacyKV                            bool
}

func (s vllmState) text() string {
	var b strings.Builder
	n := max(s.engines, 1)
	kvName := "vllm:kv_cache_usage_perc"
	if s.legacyKV {
		kvName = "vllm:gpu_cache_usage_perc"
	}
	g := func(name, typ string, v float64) {
		fmt.Fprintf(&b, "# HELP %s x\n# TYPE %s %s\n", name, name, typ)
		for e := range n {
			// Counters split evenly; gauges repeat per engine (sum
			// metrics then add up, fractions average).
			val := v
			if typ == "counter" || name == "vllm:num_requests_running" || name == "vllm:num_requests_waiting" {
				val = v / float64(n)
			}
			fmt.Fprintf(&b, "%s{engine=\"%d\",model_name=\"m\"} %g\n", name, e, val)
		}
	}
	g(kvName, "gauge", s.kv)
	g("vllm:num_requests_running", "gauge", s.running)
	g("vllm:num_requests_waiting", "gauge", s.waiting)
	g("vllm:prefix_cache_hits_total", "counter", s.hits)
	g("vllm:prefix_cache_queries_total", "counter", s.queries)
	g("vllm:num_preemptions_total", "counter", s.preempt)
	g("vllm:prompt_tokens_total", "counter", s.prompt)
	g("vllm:generation_tokens_total", "counter", s.gen)
	return b.String()
}

func ingestAll(t *testing.T, states []string, stepNs int64) *results.EndpointMetrics {
	t.Helper()
	tr := newTracker("http://x/metrics", float64(stepNs)/1e9)
	for i, s := range states {
		require.NoError(t, tr.ingest(int64(i)*stepNs, strings.NewReader(s)), "state %d", i)
	}
	return tr.result()
}

func TestTrackerVLLM(t *testing.T) {
	tests := []struct {
		name                   string
		states                 []vllmState
		kvMean, kvMax          float64
		hitRate                float64
		hits, queries          float64
		preempt, prompt, gen   float64
		runningMax, waitingMax float64
		lastHitRate            float64 // last interval's hit-rate sample
	}{{
		name: "steady counters",
		states: []vllmState{
			{kv: 0.2, running: 4, waiting: 0, hits: 1000, queries: 5000, preempt: 3, prompt: 5000, gen: 100},
			{kv: 0.4, running: 8, waiting: 2, hits: 1500, queries: 6000, preempt: 3, prompt: 6000, gen: 300},
			{kv: 0.6, running: 8, waiting: 5, hits: 2500, queries: 8000, preempt: 5, prompt: 8000, gen: 700},
		},
		kvMean: 0.4, kvMax: 0.6, hits: 1500, queries: 3000, hitRate: 0.5,
		preempt: 2, prompt: 3000, gen: 600, runningMax: 8, waitingMax: 5, lastHitRate: 0.5,
	}, {
		name: "counter reset counts from zero",
		states: []vllmState{
			{kv: 0.5, hits: 900, queries: 1000, preempt: 10, prompt: 1000, gen: 10},
			{kv: 0.5, hits: 950, queries: 1100, preempt: 12, prompt: 1100, gen: 20},
			{kv: 0.5, hits: 10, queries: 100, preempt: 1, prompt: 100, gen: 5}, // restart
		},
		kvMean: 0.5, kvMax: 0.5, hits: 60, queries: 200, hitRate: 0.3,
		preempt: 3, prompt: 200, gen: 15, lastHitRate: 0.1,
	}, {
		name: "two engines: gauges per engine, counters summed",
		states: []vllmState{
			{engines: 2, kv: 0.3, running: 10, waiting: 4, hits: 0, queries: 0},
			{engines: 2, kv: 0.5, running: 20, waiting: 6, hits: 400, queries: 1000, gen: 50},
		},
		kvMean: 0.4, kvMax: 0.5, hits: 400, queries: 1000, hitRate: 0.4,
		gen: 50, runningMax: 20, waitingMax: 6, lastHitRate: 0.4,
	}, {
		name: "legacy gpu_cache_usage_perc",
		states: []vllmState{
			{legacyKV: true, kv: 0.1},
			{legacyKV: true, kv: 0.3},
		},
		kvMean: 0.2, kvMax: 0.3,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var texts []string
			for _, s := range tc.states {
				texts = append(texts, s.text())
			}
			e := ingestAll(t, texts, 1e9)
			s := e.Summary
			require.Equal(t, "vllm", e.Engine)
			require.Equal(t, int64(len(tc.states)), e.Scrapes)
			require.Zero(t, e.ScrapeErrors)
			require.InDelta(t, tc.kvMean, s.KVUsage.Mean, 1e-9)
			require.InDelta(t, tc.kvMax, s.KVUsage.Max, 1e-9)
			require.Equal(t, int64(len(tc.states)), s.KVUsage.N)
			require.InDelta(t, tc.hits, s.PrefixCacheHits, 1e-6)
			require.InDelta(t, tc.queries, s.PrefixCacheQueries, 1e-6)
			require.InDelta(t, tc.hitRate, s.PrefixCacheHitRate, 1e-9)
			require.InDelta(t, tc.preempt, s.Preemptions, 1e-9)
			require.InDelta(t, tc.prompt, s.PromptTokens, 1e-9)
			require.InDelta(t, tc.gen, s.GenerationTokens, 1e-9)
			require.InDelta(t, tc.runningMax, s.Running.Max, 1e-9)
			require.InDelta(t, tc.waitingMax, s.Waiting.Max, 1e-9)
			if tc.queries > 0 {
				require.Equal(t, "counters", s.PrefixCacheHitRateSource)
				hr := e.Timeline.Series[results.SeriesPrefixHitRate]
				require.NotNil(t, hr)
				require.InDelta(t, tc.lastHitRate, hr.Last[len(tc.states)-1], 1e-9)
			}
			// Rates: the generation-token series per second equals the
			// per-interval delta here (1 s interval).
			require.NotNil(t, e.Timeline)
			require.Equal(t, int64(1e9), e.Timeline.IntervalNs)
			require.Len(t, e.Timeline.Series[results.SeriesKVUsage].N, len(tc.states))
		})
	}
}

func TestTrackerSGLang(t *testing.T) {
	base, err := os.ReadFile("testdata/sglang.txt")
	require.NoError(t, err)
	// Second scrape: prompt +2000, cached device +1200, host +300, one
	// more retraction, usage 0.42, queue 1.
	next := string(base)
	for prefix, v := range map[string]string{
		"sglang:prompt_tokens_total{":                      "12000",
		"sglang:generation_tokens_total{":                  "5600",
		`sglang:cached_tokens_total{cache_source="device"`: "5200",
		`sglang:cached_tokens_total{cache_source="host"`:   "1300",
		"sglang:token_usage{":                              "0.42",
		"sglang:num_queue_reqs{":                           "1",
		"sglang:num_retracted_requests_total{":             "2",
	} {
		next = setValue(t, next, prefix, v)
	}
	e := ingestAll(t, []string{string(base), next}, 2e9)
	s := e.Summary
	require.Equal(t, "sglang", e.Engine)
	require.InDelta(t, 0.35, s.KVUsage.Mean, 1e-9)
	require.InDelta(t, 1500, s.PrefixCacheHits, 1e-9)
	require.InDelta(t, 2000, s.PrefixCacheQueries, 1e-9)
	require.InDelta(t, 0.75, s.PrefixCacheHitRate, 1e-9)
	require.Equal(t, "counters", s.PrefixCacheHitRateSource)
	require.InDelta(t, 1, s.Preemptions, 1e-9)
	require.InDelta(t, 600, s.GenerationTokens, 1e-9)
	require.InDelta(t, 7, s.Running.Max, 1e-9)
	require.InDelta(t, 9, s.Waiting.Max, 1e-9)
	require.InDelta(t, 0.5, s.PrefixCacheHitRateGauge.Mean, 1e-9)
	gen := e.Timeline.Series[results.SeriesGenTokensPerS]
	require.InDelta(t, 300, gen.Last[2], 1e-9, "600 tokens over 2 s (bucket 2 is t=2s)")
}

// setValue replaces the value of the one sample line starting with prefix.
func setValue(t *testing.T, text, prefix, v string) string {
	t.Helper()
	lines := strings.Split(text, "\n")
	n := 0
	for i, l := range lines {
		if strings.HasPrefix(l, prefix) {
			lines[i] = l[:strings.LastIndexByte(l, ' ')+1] + v
			n++
		}
	}
	require.Equal(t, 1, n, "prefix %q", prefix)
	return strings.Join(lines, "\n")
}

// Without hit/query counters, the SGLang cache_hit_rate gauge is used.
func TestTrackerHitRateGaugeFallback(t *testing.T) {
	expo := func(v float64) string {
		return fmt.Sprintf("# TYPE sglang:cache_hit_rate gauge\nsglang:cache_hit_rate{model_name=\"m\"} %g\n", v)
	}
	e := ingestAll(t, []string{expo(0.2), expo(0.4), expo(0.6)}, 1e9)
	require.Equal(t, "gauge", e.Summary.PrefixCacheHitRateSource)
	require.InDelta(t, 0.4, e.Summary.PrefixCacheHitRate, 1e-9)
	require.InDelta(t, 0.6, e.Timeline.Series[results.SeriesPrefixHitRate].Last[2], 1e-9)
}

func TestTrackerErrorsRecordedNotFatal(t *testing.T) {
	tr := newTracker("u", 1)
	good := vllmState{kv: 0.5, hits: 10, queries: 20}.text()
	require.NoError(t, tr.ingest(0, strings.NewReader(good)))
	err := tr.ingest(1e9, strings.NewReader("vllm:kv_cache_usage_perc{engine=\"0\" 0.5\n"))
	require.ErrorContains(t, err, "not a Prometheus text exposition")
	good2 := vllmState{kv: 0.7, hits: 30, queries: 40}.text()
	require.NoError(t, tr.ingest(2e9, strings.NewReader(good2)))
	e := tr.result()
	require.Equal(t, int64(2), e.Scrapes)
	require.Equal(t, int64(1), e.ScrapeErrors)
	require.Len(t, e.Errors, 1)
	require.InDelta(t, 1.0, e.Errors[0].AtS, 1e-9)
	require.InDelta(t, 1.0, e.Summary.PrefixCacheHitRate, 1e-9) // 20 hits / 20 queries
	require.InDelta(t, 2.0, e.LastS, 1e-9)

	for i := range 100 {
		tr.fail(int64(i), fmt.Errorf("boom %d", i))
	}
	e = tr.result()
	require.Equal(t, int64(101), e.ScrapeErrors)
	require.Len(t, e.Errors, 20, "messages are bounded, the count is not")
}

func TestTrackerTestdataVLLM(t *testing.T) {
	b, err := os.ReadFile("testdata/vllm.txt")
	require.NoError(t, err)
	e := ingestAll(t, []string{string(b), string(b)}, 1e9)
	require.Equal(t, "vllm", e.Engine)
	require.InDelta(t, 0.4375, e.Summary.KVUsage.Mean, 1e-9)
	require.InDelta(t, 12, e.Summary.Running.Mean, 1e-9)
	require.InDelta(t, 3, e.Summary.Waiting.Max, 1e-9)
	require.Zero(t, e.Summary.Preemptions)
	require.Equal(t, "", e.Summary.PrefixCacheHitRateSource, "no queries in the run: no rate")
}

// The series map is bounded: label-set explosions do not grow memory.
func TestTrackerSeriesBound(t *testing.T) {
	tr := newTracker("u", 1)
	var b strings.Builder
	b.WriteString("# TYPE vllm:generation_tokens_total counter\n")
	for i := range maxCounterSeries + 100 {
		fmt.Fprintf(&b, "vllm:generation_tokens_total{id=\"%d\"} 1\n", i)
	}
	require.NoError(t, tr.ingest(0, strings.NewReader(b.String())))
	require.Len(t, tr.last, maxCounterSeries)
}

func FuzzIngest(f *testing.F) {
	for _, p := range []string{"testdata/vllm.txt", "testdata/sglang.txt"} {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(b, b)
	}
	f.Add([]byte(vllmState{kv: 0.1, hits: 5, queries: 10}.text()), []byte(vllmState{kv: 0.1, hits: 1, queries: 1}.text()))
	f.Add([]byte("vllm:num_preemptions_total NaN\n"), []byte("vllm:num_preemptions_total +Inf\n"))
	f.Add([]byte("# TYPE a histogram\na_bucket{le=\"1\"} 1\n"), []byte("\x00\xff{"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		tr := newTracker("u", 1)
		_ = tr.ingest(0, bytes.NewReader(a))
		_ = tr.ingest(1e9, bytes.NewReader(b))
		e := tr.result()
		require.Equal(t, int64(2), e.Scrapes+e.ScrapeErrors)
		s := e.Summary
		for _, v := range []float64{s.KVUsage.Mean, s.PrefixCacheHitRate, s.Preemptions, s.PrefixCacheHits, s.PrefixCacheQueries, s.GenerationTokens} {
			require.False(t, math.IsNaN(v) || math.IsInf(v, 0), "summary must stay finite: %+v", s)
		}
		require.GreaterOrEqual(t, s.Preemptions, 0.0)
		require.LessOrEqual(t, s.PrefixCacheHitRate, 1.0)
	})
}

func BenchmarkIngestVLLM(b *testing.B) {
	body, err := os.ReadFile("testdata/vllm.txt")
	require.NoError(b, err)
	tr := newTracker("u", 1)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; b.Loop(); i++ {
		_ = tr.ingest(int64(i)*1e9, bytes.NewReader(body))
	}
}

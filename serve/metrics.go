package serve

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sim"
)

// vLLM's histogram buckets (vLLM v0.10 and v0.11, v1 engine, vllm/v1/metrics/loggers.py),
// copied so that dashboards and recording rules written for vLLM read
// serve's histograms with the same resolution.
var (
	ttftBuckets = []float64{0.001, 0.005, 0.01, 0.02, 0.04, 0.06, 0.08, 0.1, 0.25, 0.5, 0.75,
		1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0, 160.0, 640.0, 2560.0}
	itlBuckets = []float64{0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75,
		1.0, 2.5, 5.0, 7.5, 10.0, 20.0, 40.0, 80.0}
	requestLatencyBuckets = []float64{0.3, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 5.0, 10.0, 15.0, 20.0,
		30.0, 40.0, 50.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1920.0, 7680.0}
)

// tokenBuckets is vLLM's build_1_2_5_buckets(max_model_len): 1, 2, 5, 10,
// 20, 50, ... up to limit.
func tokenBuckets(limit int) []float64 {
	var b []float64
	for base := 1; base <= limit; base *= 10 {
		for _, m := range []int{1, 2, 5} {
			if v := base * m; v <= limit {
				b = append(b, float64(v))
			}
		}
	}
	return b
}

// metrics is serve's Prometheus registry: vLLM's names (v1 engine, v0.10,
// with the deprecated names v0.10 still exports, plus v0.11's
// inter_token_latency_seconds) for what a vLLM server exports,
// fleetbench_* for serve's own. Every
// series carries vLLM's labels model_name and engine. Token counters move
// per token (from the engine's token hook), not when a request ends, so a
// scrape mid-stream sees the throughput of that moment.
type metrics struct {
	reg *prometheus.Registry

	promptTok, genTok prometheus.Counter
	stop, length      prometheus.Counter
	failed            prometheus.Counter
	videosDone        prometheus.Counter

	ttft, itl, tpot, e2e, queue prometheus.Histogram
	prefill, decode, inference  prometheus.Histogram
	promptHist, genHist         prometheus.Histogram
}

// newMetrics registers serve's series for model; maxTokens (the model's
// context length) bounds the token-count buckets as vLLM's max_model_len does.
func newMetrics(model string, maxTokens int, live func() (sim.LiveGauges, bool)) *metrics {
	labels := prometheus.Labels{"model_name": model, "engine": "0"}
	m := &metrics{reg: prometheus.NewRegistry()}
	counter := func(name, help string, extra prometheus.Labels) prometheus.Counter {
		l := prometheus.Labels{}
		for k, v := range labels {
			l[k] = v
		}
		for k, v := range extra {
			l[k] = v
		}
		c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help, ConstLabels: l})
		m.reg.MustRegister(c)
		return c
	}
	histogram := func(name, help string, buckets []float64) prometheus.Histogram {
		h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets, ConstLabels: labels})
		m.reg.MustRegister(h)
		return h
	}
	m.promptTok = counter("vllm:prompt_tokens_total", "Number of prefill tokens processed.", nil)
	m.genTok = counter("vllm:generation_tokens_total", "Number of generation tokens processed.", nil)
	// One metric with two label values: client_golang merges the two
	// const-label variants into one family.
	m.stop = counter("vllm:request_success_total", "Count of successfully processed requests.", prometheus.Labels{"finished_reason": "stop"})
	m.length = counter("vllm:request_success_total", "Count of successfully processed requests.", prometheus.Labels{"finished_reason": "length"})
	m.failed = counter("fleetbench_request_failure_total", "Requests the simulated engine failed (prompt too long, shutdown).", nil)
	m.videosDone = counter("fleetbench_video_success_total", "Video jobs completed.", nil)

	m.ttft = histogram("vllm:time_to_first_token_seconds", "Histogram of time to first token in seconds.", ttftBuckets)
	m.itl = histogram("vllm:inter_token_latency_seconds", "Histogram of inter-token latency in seconds.", itlBuckets)
	// v0.10's name for the same per-token gaps (v0.11 renamed it and
	// still exports both): dashboards written for v0.10, vLLM's own
	// Grafana example among them, read this one.
	m.tpot = histogram("vllm:time_per_output_token_seconds", "Histogram of time per output token in seconds.", itlBuckets)
	m.e2e = histogram("vllm:e2e_request_latency_seconds", "Histogram of e2e request latency in seconds.", requestLatencyBuckets)
	m.queue = histogram("vllm:request_queue_time_seconds", "Histogram of time spent in WAITING phase for request.", requestLatencyBuckets)
	m.inference = histogram("vllm:request_inference_time_seconds", "Histogram of time spent in RUNNING phase for request.", requestLatencyBuckets)
	m.prefill = histogram("vllm:request_prefill_time_seconds", "Histogram of time spent in PREFILL phase for request.", requestLatencyBuckets)
	m.decode = histogram("vllm:request_decode_time_seconds", "Histogram of time spent in DECODE phase for request.", requestLatencyBuckets)
	tb := tokenBuckets(maxTokens)
	m.promptHist = histogram("vllm:request_prompt_tokens", "Number of prefill tokens processed.", tb)
	m.genHist = histogram("vllm:request_generation_tokens", "Number of generation tokens processed.", tb)

	m.reg.MustRegister(&liveCollector{labels: labels, live: live})
	return m
}

// observeDone records a finished LLM request's whole-request histograms
// (TTFT and ITL were observed as the tokens came).
// arrival is when serve received the request (virtual ns), the start of
// vLLM's end-to-end latency.
// The phases split as vLLM's do: queue (arrival to first scheduled),
// then inference = prefill (to the first token) + decode (to the last).
func (m *metrics) observeDone(rec *results.Record, arrival int64) {
	m.e2e.Observe(float64(rec.LastToken-arrival) / 1e9)
	m.queue.Observe(float64(rec.QueueNs) / 1e9)
	// A request retried after a failure may count waits after its first
	// token as queue time: no phase is negative.
	scheduled := min(arrival+rec.QueueNs, rec.FirstToken)
	m.inference.Observe(float64(rec.LastToken-scheduled) / 1e9)
	m.prefill.Observe(float64(rec.FirstToken-scheduled) / 1e9)
	m.decode.Observe(float64(rec.LastToken-rec.FirstToken) / 1e9)
	m.promptHist.Observe(float64(rec.InputTokens))
	m.genHist.Observe(float64(rec.OutputTokens))
}

// liveCollector reads the engine's gauges once per scrape.
type liveCollector struct {
	labels prometheus.Labels
	live   func() (sim.LiveGauges, bool)
}

type liveDesc struct {
	desc  *prometheus.Desc
	typ   prometheus.ValueType
	value func(*sim.LiveGauges) float64
}

func (c *liveCollector) descs() []liveDesc {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, c.labels) }
	g, ctr := prometheus.GaugeValue, prometheus.CounterValue
	return []liveDesc{
		{d("vllm:num_requests_running", "Number of requests in model execution batches."), g, func(l *sim.LiveGauges) float64 { return float64(l.Running) }},
		{d("vllm:num_requests_waiting", "Number of requests waiting to be processed."), g, func(l *sim.LiveGauges) float64 { return float64(l.Waiting) }},
		{d("vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage."), g, func(l *sim.LiveGauges) float64 { return l.KVUsage }},
		{d("vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage. DEPRECATED: Use vllm:kv_cache_usage_perc instead."), g, func(l *sim.LiveGauges) float64 { return l.KVUsage }},
		{d("vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens."), ctr, func(l *sim.LiveGauges) float64 { return float64(l.PrefixQueryTokens) }},
		{d("vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens."), ctr, func(l *sim.LiveGauges) float64 { return float64(l.PrefixHitTokens) }},
		// v0.10 still exports the v0.9 names (deprecated) beside the new ones.
		{d("vllm:gpu_prefix_cache_queries_total", "GPU prefix cache queries, in terms of number of queried tokens. DEPRECATED: Use vllm:prefix_cache_queries instead."), ctr, func(l *sim.LiveGauges) float64 { return float64(l.PrefixQueryTokens) }},
		{d("vllm:gpu_prefix_cache_hits_total", "GPU prefix cache hits, in terms of number of cached tokens. DEPRECATED: Use vllm:prefix_cache_hits instead."), ctr, func(l *sim.LiveGauges) float64 { return float64(l.PrefixHitTokens) }},
		{d("vllm:num_preemptions_total", "Cumulative number of preemption from the engine."), ctr, func(l *sim.LiveGauges) float64 { return float64(l.Preemptions) }},
		{d("fleetbench_video_queue_length", "Video jobs waiting for a free video instance."), g, func(l *sim.LiveGauges) float64 { return float64(l.VideoQueue) }},
		{d("fleetbench_video_instances_busy", "Video instances generating a clip."), g, func(l *sim.LiveGauges) float64 { return float64(l.Videos) }},
	}
}

// Describe implements prometheus.Collector.
func (c *liveCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs() {
		ch <- d.desc
	}
}

// Collect implements prometheus.Collector.
func (c *liveCollector) Collect(ch chan<- prometheus.Metric) {
	g, ok := c.live()
	if !ok {
		return
	}
	for _, d := range c.descs() {
		ch <- prometheus.MustNewConstMetric(d.desc, d.typ, d.value(&g))
	}
}

// handleMetrics exports serve's registry in the Prometheus text format,
// or OpenMetrics when the scraper asks for it (Prometheus asks for it
// first, and vLLM's Python client answers it), so dashboards,
// autoscalers and fleetbench's own scraper read serve like a vLLM server.
// Prefix-cache hits and queries count tokens, as vLLM's do; KV usage is a
// fraction (1 = full) despite the name.
func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	if err := s.lp.query(func(*sim.Live) {}); err != nil {
		writeError(w, http.StatusServiceUnavailable, errServer, "", err.Error())
		return
	}
	promhttp.HandlerFor(s.metrics.reg, promhttp.HandlerOpts{EnableOpenMetrics: true}).ServeHTTP(w, r)
}

// liveGauges reads the engine's gauges for a scrape; false when the
// engine stopped.
func (s *Server) liveGauges() (sim.LiveGauges, bool) {
	var g sim.LiveGauges
	err := s.lp.query(func(l *sim.Live) { g = l.Gauges() })
	return g, err == nil
}

// handleResult answers the engine's own summary (fleetbench.result/v1
// JSON): what the simulator says about the load serve received, for
// checking a client's measurements against it.
func (s *Server) handleResult(w http.ResponseWriter, _ *http.Request) {
	res, err := s.Result()
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, errServer, "", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = results.WriteJSON(w, res)
}

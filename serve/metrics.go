package serve

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sim"
)

// metric is one sample in the Prometheus text exposition format.
type metric struct {
	name, help, typ string
	labels          string // extra labels after model_name, e.g. `finished_reason="stop"`
	value           float64
}

// handleMetrics exports the engine's gauges and the server's counters
// under vLLM's metric names (v1 engine), so dashboards, autoscalers and
// fleetbench's own scraper read serve like a vLLM server. Prefix-cache
// hits and queries count tokens, as vLLM's do; KV usage is a fraction
// (1 = full) despite the name.
func (s *Server) handleMetrics(w http.ResponseWriter, _ *http.Request) {
	var g sim.LiveGauges
	if err := s.lp.query(func(l *sim.Live) { g = l.Gauges() }); err != nil {
		writeError(w, http.StatusServiceUnavailable, "server_error", "", err.Error())
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	_, _ = w.Write(s.exposition(g))
}

func (s *Server) exposition(g sim.LiveGauges) []byte {
	st := &s.stats
	ms := []metric{
		{"vllm:num_requests_running", "Number of requests in model execution batches.", "gauge", "", float64(g.Running)},
		{"vllm:num_requests_waiting", "Number of requests waiting to be processed.", "gauge", "", float64(g.Waiting)},
		{"vllm:kv_cache_usage_perc", "KV-cache usage. 1 means 100 percent usage.", "gauge", "", g.KVUsage},
		{"vllm:gpu_cache_usage_perc", "GPU KV-cache usage. 1 means 100 percent usage (pre-v0.10 name).", "gauge", "", g.KVUsage},
		{"vllm:prefix_cache_queries_total", "Prefix cache queries, in terms of number of queried tokens.", "counter", "", float64(g.PrefixQueryTokens)},
		{"vllm:prefix_cache_hits_total", "Prefix cache hits, in terms of number of cached tokens.", "counter", "", float64(g.PrefixHitTokens)},
		{"vllm:num_preemptions_total", "Cumulative number of preemption from the engine.", "counter", "", float64(g.Preemptions)},
		{"vllm:prompt_tokens_total", "Number of prefill tokens processed.", "counter", "", float64(st.promptTok.Load())},
		{"vllm:generation_tokens_total", "Number of generation tokens processed.", "counter", "", float64(st.genTok.Load())},
		{"vllm:request_success_total", "Count of successfully processed requests.", "counter", `finished_reason="stop"`, float64(st.stop.Load())},
		{"vllm:request_success_total", "", "", `finished_reason="length"`, float64(st.length.Load())},
		{"fleetbench:request_failure_total", "Requests the simulated engine failed (prompt too long, shutdown).", "counter", "", float64(st.failed.Load())},
		{"fleetbench:video_queue_length", "Video jobs waiting for a free video instance.", "gauge", "", float64(g.VideoQueue)},
		{"fleetbench:video_instances_busy", "Video instances generating a clip.", "gauge", "", float64(g.Videos)},
		{"fleetbench:video_success_total", "Video jobs completed.", "counter", "", float64(s.lp.videosDone.Load())},
	}
	var b bytes.Buffer
	for _, m := range ms {
		if m.help != "" {
			b.WriteString("# HELP " + m.name + " " + m.help + "\n# TYPE " + m.name + " " + m.typ + "\n")
		}
		b.WriteString(m.name)
		b.WriteString(`{engine="0",model_name=`)
		b.WriteString(strconv.Quote(s.model))
		if m.labels != "" {
			b.WriteByte(',')
			b.WriteString(m.labels)
		}
		b.WriteString("} ")
		b.WriteString(strconv.FormatFloat(m.value, 'g', -1, 64))
		b.WriteByte('\n')
	}
	return b.Bytes()
}

// handleResult answers the engine's own summary (fleetbench.result/v1
// JSON): what the simulator says about the load serve received, for
// checking a client's measurements against it.
func (s *Server) handleResult(w http.ResponseWriter, _ *http.Request) {
	res, err := s.Result()
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "server_error", "", err.Error())
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = results.WriteJSON(w, res)
}

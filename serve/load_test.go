package serve

import (
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// burstScenario opens 1,000 streams within half a second against one
// instance that runs at most 256 at a time: most of them wait, all of
// them stay open together.
const burstScenario = `
name: burst
seed: 3
requests: 1000
classes:
  - name: chat
    kind: chat
    arrival: {process: constant, rate: 2000}
    system_prompts:
      count: 4
      tokens: {dist: fixed, value: 400}
    input: {dist: fixed, value: 200}
    output: {dist: fixed, value: 60}
`

// Under 1,000 concurrent streams on loopback serve stays responsive
// (/metrics answers quickly throughout) and the TTFT and ITL its clients
// measure match the simulator's prediction for that load within 5%.
func TestThousandConcurrentStreams(t *testing.T) {
	realtimeOnly(t, "1,000 streams")
	sc, err := scenarios.Parse("burst.yaml", []byte(burstScenario), "")
	require.NoError(t, err)
	cfg := sim.Config{Fleet: "1C", Model: "llama-3.1-8b", GPU: "h100", TP: 1}
	simRes := simulate(t, sc, cfg)

	s, url := startServer(t, sc, cfg)

	// Probe /metrics every 50 ms while the load runs.
	stop := make(chan struct{})
	var worst atomic.Int64
	var sawWaiting atomic.Bool
	probeDone := make(chan struct{})
	go func() {
		defer close(probeDone)
		for {
			select {
			case <-stop:
				return
			case <-time.After(50 * time.Millisecond):
			}
			t0 := time.Now()
			resp, err := http.Get(url + "/metrics")
			if err != nil {
				continue
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if d := int64(time.Since(t0)); d > worst.Load() {
				worst.Store(d)
			}
			if containsGauge(string(body), "vllm:num_requests_waiting", 1) {
				sawWaiting.Store(true)
			}
		}
	}()
	ep := runEndpoint(t, sc, url, s.Model())
	close(stop)
	<-probeDone

	cs := compare(t, simRes, ep, "chat")
	t.Logf("1,000 streams, sim vs serve:\n%s/metrics worst latency %v", table(cs), time.Duration(worst.Load()))
	require.True(t, sawWaiting.Load(), "the load should queue requests")
	require.Less(t, time.Duration(worst.Load()), 500*time.Millisecond, "serve stopped answering /metrics under load")
	assertAgree(t, cs, "requests", "errors", "ttft p50 ms", "ttft p99 ms", "itl p50 ms", "tpot p50 ms", "tpot p99 ms", "cache hit rate")
}

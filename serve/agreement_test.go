package serve

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// agreementScenario (testdata/agreement.yaml) is shared with scripts/agreement.sh.
const agreementScenario = "testdata/agreement.yaml"

// The same scenario through the simulator and through serve on loopback
// (played by an open-loop streaming client) agrees: TTFT and TPOT p50/p99
// and ITL p50 within 5%, cache hit rate within 0.02, equal request counts.
func TestAgreementSimVsServe(t *testing.T) {
	realtimeOnly(t, "a 25 s scenario")
	sc, err := scenarios.Load(agreementScenario)
	require.NoError(t, err)
	cfg := sim.Config{Fleet: "1C", Model: "llama-3.1-8b", GPU: "h100", TP: 1}
	simRes := simulate(t, sc, cfg)

	s, url := startServer(t, sc, cfg)
	ep := runEndpoint(t, sc, url, s.Model())

	eng, err := s.Result()
	require.NoError(t, err)
	t.Logf("the engine's own view of the load it received:\n%s", table(compare(t, simRes, eng, "chat")))
	cs := compare(t, simRes, ep, "chat")
	t.Logf("sim vs fleetbench run against serve:\n%s", table(cs))
	// The criteria, and ITL p50 (the simulator's ITL now comes
	// from its records, as the runner's: measured 10.45 vs 10.37 ms). ITL
	// p99 is shown, not gated: it is set by the few steps that mix long
	// prefill chunks, which loopback jitter in arrival times legitimately
	// reshuffles (184 vs 193 ms measured).
	assertAgree(t, cs, "requests", "errors", "ttft p50 ms", "ttft p99 ms", "tpot p50 ms", "tpot p99 ms", "itl p50 ms", "cache hit rate")
	// The runner counted what it sent and received with a real tokenizer
	// and believed serve's usage for every request: no mismatches.
	tc := ep.Extra["token_counts"].(map[string]any)
	require.Equal(t, int64(0), tc["mismatches"], "token counts: %v", tc)
	require.Equal(t, ep.Totals.Requests, tc["from_usage"], "token counts: %v", tc)
}

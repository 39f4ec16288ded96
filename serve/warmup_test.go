package serve

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
)

// TestResultWarmupFromFirstRequest: /fleetbench/result measures from the
// first request the server receives plus Options.Warmup (the run's
// warm-up), not the scenario's. Before, `serve chat` applied chat's 30 s
// warm-up from the server's start, so a short run against it (run chat
// --requests 60: a 1.09 s warm-up, 11 s of arrivals) measured nothing.
func TestResultWarmupFromFirstRequest(t *testing.T) {
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	require.Equal(t, 30*time.Second, sc.Warmup)
	send := func(url string, n int) {
		for range n {
			status, out := post(t, url+"/v1/chat/completions", map[string]any{
				"messages": []map[string]string{{"role": "user", "content": "hello there"}}, "max_tokens": 2})
			require.Equal(t, 200, status, string(out))
		}
	}
	s, url := startServer(t, sc, testConfig())
	time.Sleep(100 * time.Millisecond) // the server idles before the client starts
	send(url, 3)
	res, err := s.Result()
	require.NoError(t, err)
	require.Equal(t, int64(3), res.Totals.Requests, "no warm-up given: every request counts")
	require.GreaterOrEqual(t, res.Window.StartS, 0.1, "the window starts at the first request, not at the server's start")

	s, err = New(Options{Scenario: sc, Config: testConfig(), Warmup: 300 * time.Millisecond})
	require.NoError(t, err)
	url = serveHTTP(t, s)
	send(url, 2) // inside the warm-up
	time.Sleep(400 * time.Millisecond)
	send(url, 2)
	res, err = s.Result()
	require.NoError(t, err)
	require.Equal(t, int64(2), res.Totals.Requests, "the two requests after the run's warm-up")
}

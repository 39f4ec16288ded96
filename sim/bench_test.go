package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
)

// benchChat simulates n chat requests of the built-in chat scenario on a
// fleet, with the arrival rate scaled so the fleet runs loaded but stable.
func benchChat(b *testing.B, fleet string, n int, rateScale float64) {
	sc, err := scenarios.Builtin("chat")
	require.NoError(b, err)
	cfg := ConfigFromScenario(sc)
	cfg.Fleet = fleet
	b.ReportAllocs()
	var st Stats
	var virt time.Duration
	start := time.Now()
	for i := 0; i < b.N; i++ {
		_, s, err := Run(sc, cfg, scenarios.WorkloadOptions{Requests: n, Duration: 1000 * time.Hour, RateScale: rateScale})
		require.NoError(b, err)
		st = s
		virt = time.Duration(s.EndNs)
	}
	wall := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(float64(st.Requests)/wall, "req/s")
	b.ReportMetric(float64(st.Events+st.Spans)/wall, "events/s")
	b.ReportMetric(wall*1e9/float64(st.Requests), "ns/req")
	b.ReportMetric(virt.Seconds()/wall, "x-realtime")
}

// BenchmarkSimChat64 is the speed goal at a bench-friendly size:
// 64 instances (16P48D of llama-3.1-70b TP4 on H100), chat at ~30x the
// scenario's rate. `make bench-sim` runs the full 1,000,000 requests.
func BenchmarkSimChat64(b *testing.B) { benchChat(b, "16P48D", 20000, 30) }

// BenchmarkSimChat200k is the steady-state check between the two.
func BenchmarkSimChat200k(b *testing.B) { benchChat(b, "16P48D", 200_000, 30) }

// BenchmarkSimChat1M is the full speed goal: 1,000,000 chat
// requests on a 64-instance fleet (`make bench-sim`).
func BenchmarkSimChat1M(b *testing.B) { benchChat(b, "16P48D", 1_000_000, 30) }

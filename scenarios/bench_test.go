package scenarios

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/require"
)

const benchChat = `name: bench-chat
duration: 1000000
classes:
  - kind: chat
    arrival: {process: poisson, rate: 1000}
    system_prompts: {count: 64, tokens: {dist: uniform, min: 200, max: 600}, zipf: 1.1}
    input: {dist: lognormal, mean: 755, median: 620}
    output: {dist: lognormal, mean: 211, median: 129}
`

const benchVideo = `name: bench-video
duration: 1000000
classes:
  - kind: video
    arrival: {process: bursts, rate: 10, burst_rate: 100, burst_s: 60, period_s: 300}
    video: {mix: [{weight: 3, resolution: 720p}, {weight: 1, resolution: 480p}]}
`

// benchNext measures Workload.Next per request, restarting the workload
// when a bounded one (a trace) runs out.
func benchNext(b *testing.B, s *Scenario) {
	b.ReportAllocs()
	w, err := s.NewWorkload(WorkloadOptions{})
	require.NoError(b, err)
	for b.Loop() {
		if _, ok := w.Next(); !ok {
			w.Close()
			w, err = s.NewWorkload(WorkloadOptions{})
			require.NoError(b, err)
		}
	}
	w.Close()
}

func BenchmarkGenerateChat(b *testing.B) { benchNext(b, mustParse(b, benchChat)) }

func BenchmarkGenerateVideo(b *testing.B) { benchNext(b, mustParse(b, benchVideo)) }

func BenchmarkGenerateTrace(b *testing.B) {
	s, err := Builtin("mooncake-conversation")
	require.NoError(b, err)
	benchNext(b, s)
}

// BenchmarkGenerateAgent measures one agent request (a turn, a sub-agent's
// turn or a session start) including its Complete through Drive.
func BenchmarkGenerateAgent(b *testing.B) {
	s, err := Builtin("agent-research")
	require.NoError(b, err)
	b.ReportAllocs()
	n := 0
	for n < b.N {
		w, err := s.NewWorkload(WorkloadOptions{Duration: 1 << 62, Requests: 1 << 30})
		require.NoError(b, err)
		require.NoError(b, Drive(w, b.N-n, func(*Request) { n++ }))
		w.Close()
	}
}

// TestChatAllocsPerRequest: a chat request is one allocation (request and
// prompt together), so generation cost and garbage are flat in the number
// of requests.
func TestChatAllocsPerRequest(t *testing.T) {
	w := mustWorkload(t, mustParse(t, benchChat), WorkloadOptions{})
	allocs := testing.AllocsPerRun(10000, func() {
		_, ok := w.Next()
		require.True(t, ok)
	})
	require.LessOrEqual(t, allocs, 1.0)
}

// TestGenerationConstantMemory: the live heap after generating 200k chat
// requests is no larger than after 10k (nothing per request is retained).
func TestGenerationConstantMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("heap measurement")
	}
	heapAfter := func(n int) uint64 {
		w := mustWorkload(t, mustParse(t, benchChat), WorkloadOptions{})
		for range n {
			_, ok := w.Next()
			require.True(t, ok)
		}
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		runtime.KeepAlive(w)
		return m.HeapAlloc
	}
	small := heapAfter(10_000)
	large := heapAfter(200_000)
	require.Less(t, float64(large), float64(small)*1.5+1<<20, "heap grew with requests: %d -> %d", small, large)

	// Agent sessions: allocations per request stay bounded (the context
	// array is shared across turns, not copied).
	s, err := Builtin("agent-coding")
	require.NoError(t, err)
	w := mustWorkload(t, s, WorkloadOptions{})
	var ms0, ms1 runtime.MemStats
	runtime.ReadMemStats(&ms0)
	n := 0
	require.NoError(t, Drive(w, 20000, func(*Request) { n++ }))
	runtime.ReadMemStats(&ms1)
	perReq := float64(ms1.Mallocs-ms0.Mallocs) / float64(n)
	require.Less(t, perReq, 8.0, "allocations per agent request")
}

package perf

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestTRTLLMBenchSched(t *testing.T) {
	p := mustModel(t, "llama-3.1-8b", "h100", Config{DType: "fp8", MemFraction: 0.95})
	kv := p.KVCapacityTokens()
	cases := []struct {
		in, out int
	}{{128, 128}, {128, 2048}, {2048, 128}, {20000, 2000}}
	for _, c := range cases {
		s := TRTLLMBenchSched(p, c.in, c.out)
		bs := min(float64(kv)/float64(c.in+c.out), 4096)
		require.GreaterOrEqual(t, float64(s.MaxSeqs), bs, "%v rounds up", c)
		require.GreaterOrEqual(t, s.MaxSeqs, 64)
		require.GreaterOrEqual(t, s.MaxBatchTokens, 2048)
		require.LessOrEqual(t, s.MaxBatchTokens, 32768)
	}
	require.Equal(t, 4096, TRTLLMBenchSched(p, 128, 128).MaxSeqs, "capped at 4096")
}

func TestOfflineThroughput(t *testing.T) {
	p := mustModel(t, "llama-3.1-8b", "h100", Config{DType: "fp8"})
	s := Sched{MaxBatchTokens: 8192, MaxSeqs: 256}
	a := OfflineThroughput(p, 1000, 1000, 500, s)
	require.Positive(t, a)
	require.Equal(t, a, OfflineThroughput(p, 1000, 1000, 500, s), "deterministic")
	// A larger batch gives more throughput in the decode-bound regime.
	require.Greater(t, OfflineThroughput(p, 1000, 1000, 500, Sched{MaxSeqs: 512}), OfflineThroughput(p, 1000, 1000, 500, Sched{MaxSeqs: 16}))
	// Single request: throughput = output / (prefill + decode steps).
	one := OfflineThroughput(p, 100, 10, 1, Sched{})
	var ns int64 = p.StepTime(Step{PrefillTokens: 100, PrefillAttn: 100 * 101 / 2})
	for g := 1; g < 10; g++ {
		ns += p.StepTime(Step{DecodeSeqs: 1, DecodeCtx: int64(100 + g)})
	}
	require.InEpsilon(t, 10/(float64(ns)/1e9), one, 1e-12)
	// Chunked prefill: a 20k prompt under a 2048 budget still completes.
	require.Positive(t, OfflineThroughput(p, 20000, 10, 2, Sched{MaxBatchTokens: 2048}))
	// Invalid inputs.
	require.Zero(t, OfflineThroughput(nil, 1, 1, 1, s))
	require.Zero(t, OfflineThroughput(p, 0, 1, 1, s))
	require.Zero(t, OfflineThroughput(p, 1, 1, 0, s))
	require.Zero(t, OfflineThroughput(p, 1<<30, 1, 1, s), "prompt larger than the KV cache")
}

func TestPrefillChunkAttn(t *testing.T) {
	var st Step
	q := offlineSeq{}
	require.Equal(t, 3, prefillChunk(&q, 5, 3, &st))
	require.Equal(t, int64(6), st.PrefillAttn) // positions 1,2,3
	require.False(t, q.stepped)
	require.Equal(t, 2, prefillChunk(&q, 5, 10, &st))
	require.Equal(t, int64(6+2*3+3), st.PrefillAttn) // c·p + c(c+1)/2 = 6+3
	require.True(t, q.stepped)
	require.Equal(t, 5, st.PrefillTokens)
}

package results

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/slo"
)

// sim mixed-platform --requests 300 --slo-gate exited 1 with "class t2v:
// SLO not measured queue_s p99, completion_s p99": no word that no t2v
// clip arrived in the window (its bursts come every 5 minutes) nor what to
// do. The failure now says why and what to do when the class had no
// request.
func TestSLOGateSaysAClassHadNoRequest(t *testing.T) {
	r := idleClassResult()
	fails := Check(r, Limits{MaxErrorRate: 0.01, SLOGate: true})
	require.Len(t, fails, 1)
	require.Equal(t, CheckSLO, fails[0].Check)
	require.Equal(t, "class idle: SLO not measured ttft_ms p99: no request of the class arrived in the window 0.000-1.000 s; lengthen the run (--duration, --requests) or raise --rate-scale", fails[0].Message)
}

// sim mixed-platform --duration 30s printed t2v's "SLO attainment -" above
// "goodput req/s 0.00", and wrote goodput_rps: 0: a class with no request
// has no request that met its SLO or missed it (its targets are
// not_measured), so its goodput is absent as its attainment is
// (ClassResult.GoodputRPS; docs/metrics.md). Its completion rate, a count
// over a window that was measured, stays 0.
func TestGoodputAbsentForAClassWithNoRequest(t *testing.T) {
	r := idleClassResult()
	idle := r.Classes["idle"]
	require.Nil(t, idle.SLOAttainment)
	require.Nil(t, idle.GoodputRPS)
	require.NotNil(t, idle.RequestsPerS)
	require.NotNil(t, r.Classes["chat"].GoodputRPS)
	require.NotNil(t, r.Totals.GoodputRPS)

	// An older file that wrote it as 0 reads the same.
	zero := 0.0
	idle.GoodputRPS = &zero
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, r))
	old, err := Decode(&b, "old.json")
	require.NoError(t, err)
	require.Nil(t, old.Classes["idle"].GoodputRPS)
}

// idleClassResult is a sim result over 0-1 s with ten chat requests and a
// class "idle" (same TTFT SLO) that sent none.
func idleClassResult() *Result {
	spec := slo.Spec{TTFTms: &slo.Targets{P99: 500}}
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat", SLO: spec}, {Name: "idle", Kind: "chat", SLO: spec}}, 0)
	for i := range int64(10) {
		at := i * 1e8
		s.Add(&Record{Class: "chat", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 5e7, LastToken: at + 6e7, OutputTokens: 2, TaskDone: true})
	}
	return s.Result(Meta{Backend: "sim", StartNs: 0, EndNs: 1e9})
}

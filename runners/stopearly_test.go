package runners

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

// --stop-early: a run whose error rate is far over --max-error-rate ends
// soon after StopEarlyMin requests, with the partial result and the
// reason; a clean run is not stopped.
func TestStopEarly(t *testing.T) {
	var n atomic.Int64
	failing := func(*openaitest.Request) openaitest.Reply {
		if n.Add(1)%5 == 0 {
			return openaitest.Reply{Status: 500, Body: "boom"}
		}
		return openaitest.Steady(2, time.Millisecond, time.Millisecond)
	}
	srv := openaitest.New(failing)
	defer srv.Close()
	cfg := baseConfig(srv)
	lim := results.DefaultLimits
	cfg.StopEarly = &lim
	const total = 4000 // 4 s at 1000/s if nothing stopped it
	c := runCollect(t, context.Background(), chatScenario(t, 1000, total, 10, 2), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Contains(t, c.st.StoppedEarly, "more than --max-error-rate 0.01")
	require.False(t, c.st.Interrupted)
	require.GreaterOrEqual(t, c.res.Totals.Requests, int64(StopEarlyMin))
	t.Logf("stopped after %d records (%d measured requests): %s", len(c.recs), c.res.Totals.Requests, c.st.StoppedEarly)
	require.Less(t, len(c.recs), total, "stopped before the workload ended")
	require.Equal(t, c.st.StoppedEarly, c.res.Extra["stopped_early"])
	require.Contains(t, c.res.Warnings[len(c.res.Warnings)-1], "stopped early (--stop-early)")

	clean := openaitest.New(func(*openaitest.Request) openaitest.Reply {
		return openaitest.Steady(2, time.Millisecond, time.Millisecond)
	})
	defer clean.Close()
	cfg = baseConfig(clean)
	cfg.StopEarly = &lim
	c = runCollect(t, context.Background(), chatScenario(t, 1000, 300, 10, 2), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Empty(t, c.st.StoppedEarly)
	require.Len(t, c.recs, 300)
}

// Fewer than StopEarlyMin measured requests never stop a run, and SLO
// verdicts are left to the end.
func TestEarlyReasonNeedsEnoughRequests(t *testing.T) {
	res := &results.Result{Totals: &results.ClassResult{Requests: StopEarlyMin - 1, Completed: 50, Errors: 49}}
	require.Empty(t, earlyReason(res, results.DefaultLimits))
	res.Totals = &results.ClassResult{Requests: StopEarlyMin, Completed: 50, Errors: 50}
	require.Contains(t, earlyReason(res, results.DefaultLimits), "50 of 100 requests failed")
}

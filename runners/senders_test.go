package runners

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

// TestSendersLateNotDropped: with fewer senders than the load needs, every
// arrival is still sent (late, never dropped or failed), the lateness is the
// record's schedule delay, and no more than the cap is ever on the wire.
func TestSendersLateNotDropped(t *testing.T) {
	var open, peak atomic.Int64
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply {
		n := open.Add(1)
		for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
		}
		time.Sleep(40 * time.Millisecond)
		open.Add(-1)
		return openaitest.Steady(2, 0, 0)
	})
	defer srv.Close()
	cfg := baseConfig(srv)
	cfg.Senders = 2
	// 30 arrivals at 200/s, each 40 ms long: 2 senders carry 50/s, so the
	// last ones go out about 30/50 - 30/200 = 0.45 s late.
	c := runCollect(t, context.Background(), chatScenario(t, 200, 30, 10, 2), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Len(t, c.recs, 30)
	var late int64
	for _, r := range c.recs {
		require.True(t, r.OK(), r.Error)
		d, ok := r.ScheduleDelay()
		require.True(t, ok)
		late = max(late, d)
	}
	require.Greater(t, late, int64(200*time.Millisecond), "the backlog shows as schedule delay")
	require.LessOrEqual(t, peak.Load(), int64(2))
	require.Equal(t, 2, c.st.Senders)
	require.Zero(t, c.st.Dropped)
	require.NotNil(t, c.res.Totals.ScheduleDelay)
	require.Greater(t, c.res.Totals.ScheduleDelay.P99, 200.0)
}

// TestStreamsReuseConnections: sequential streaming requests share one
// keep-alive connection (the body is read to its end after [DONE]), and a
// burst never opens more connections than there are senders.
func TestStreamsReuseConnections(t *testing.T) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return openaitest.Steady(3, 0, time.Millisecond) })
	defer srv.Close()
	conns := func() int {
		seen := map[string]bool{}
		for _, q := range srv.Requests() {
			seen[q.Remote] = true
		}
		return len(seen)
	}
	cfg := baseConfig(srv)
	cfg.Senders = 1
	c := runCollect(t, context.Background(), chatScenario(t, 50, 20, 10, 3), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Len(t, c.recs, 20)
	require.Equal(t, 1, conns(), "20 requests one after the other: one connection")

	srv2 := openaitest.New(func(*openaitest.Request) openaitest.Reply {
		return openaitest.Steady(3, 20*time.Millisecond, time.Millisecond)
	})
	defer srv2.Close()
	srv = srv2
	cfg = baseConfig(srv)
	cfg.Senders = 4
	c = runCollect(t, context.Background(), chatScenario(t, 2000, 200, 10, 3), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Len(t, c.recs, 200)
	require.LessOrEqual(t, conns(), 4)
}

// TestInterruptWithBacklog: Ctrl-C while arrivals wait for a sender ends the
// run promptly with what was sent; nothing is reported as a connection error.
func TestInterruptWithBacklog(t *testing.T) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return openaitest.Steady(2, 50*time.Millisecond, 0) })
	defer srv.Close()
	cfg := baseConfig(srv)
	cfg.Senders = 1
	ctx, cancel := context.WithCancel(context.Background())
	var once sync.Once
	cfg.Progress = nil
	time.AfterFunc(300*time.Millisecond, func() { once.Do(cancel) })
	start := time.Now()
	c := runCollect(t, ctx, chatScenario(t, 1000, 2000, 10, 2), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.True(t, c.st.Interrupted)
	require.Less(t, time.Since(start), 3*time.Second)
	require.NotEmpty(t, c.recs)
	for _, r := range c.recs {
		require.True(t, r.OK() || r.ErrorClass == ClassCancelled, "%s: %s", r.ErrorClass, r.Error)
	}
}

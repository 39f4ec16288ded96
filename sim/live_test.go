package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// Driving the engine live, request by request, gives exactly the timings
// of a batch run of the same requests, and every token surfaces through
// the hook at the time the record reports.
func TestLiveMatchesBatch(t *testing.T) {
	mk := func() []*scenarios.Request {
		var rs []*scenarios.Request
		for i := uint64(1); i <= 30; i++ {
			rs = append(rs, req(i, int64(i)*40e6, 50+int(i%7)*20,
				scenarios.Block{ID: 1000 + i%3, Tokens: 600}, scenarios.Block{ID: 5000 + i, Tokens: int32(200 + 30*i)}))
		}
		return rs
	}
	batch, _, _ := run(t, unitCfg, mk()...)

	live := map[uint64]results.Record{}
	tokens := map[uint64][]int64{}
	l, err := NewLive(oneClass(), unitCfg, LiveHooks{
		Token: func(id uint64, at int64) { tokens[id] = append(tokens[id], at) },
		Done:  func(r *results.Record) { live[r.ID] = *r },
	})
	require.NoError(t, err)
	for _, r := range mk() {
		require.NoError(t, l.AdvanceTo(r.Arrival-1))
		require.NoError(t, l.Submit(r))
	}
	for {
		at, ok := l.NextEvent()
		if !ok {
			break
		}
		require.NoError(t, l.AdvanceTo(at))
	}
	require.Len(t, live, len(batch))
	for id, b := range batch {
		lr := live[id]
		require.Equal(t, b.FirstToken, lr.FirstToken, "request %d", id)
		require.Equal(t, b.LastToken, lr.LastToken, "request %d", id)
		require.Equal(t, b.CachedTokens, lr.CachedTokens)
		ts := tokens[id]
		require.Len(t, ts, b.OutputTokens)
		require.Equal(t, b.FirstToken, ts[0])
		require.Equal(t, b.LastToken, ts[len(ts)-1])
	}
	g := l.Gauges()
	require.Positive(t, g.PrefixHitTokens)
	require.EqualValues(t, 30, g.RequestsDone)
	require.Error(t, l.Submit(req(99, 0, 5, scenarios.Block{ID: 1, Tokens: 10})), "in the past")
}

// A live engine (serve) keeps its autoscaler ticking while idle: its
// ticks were rescheduled only while requests were in flight or due, and
// a live engine has no arrivals due, so a serve that idled through one
// tick never scaled again. Here the fleet idles through the 10 s tick,
// then a burst at 30 s must scale it up.
func TestLiveAutoscalerTicksWhileIdle(t *testing.T) {
	l, err := NewLive(parse(t, burstYAML), burstConfig(), LiveHooks{})
	require.NoError(t, err)
	id := uint64(0)
	submit := func(at int64, n, out int) {
		require.NoError(t, l.AdvanceTo(at))
		for range n {
			id++
			r := req(id, at, out, scenarios.Block{ID: id, Tokens: 800})
			r.Class = "chat"
			require.NoError(t, l.Submit(r))
		}
	}
	submit(0, 3, 200)
	submit(30e9, 200, 4000)
	require.NoError(t, l.AdvanceTo(45e9))
	events, _ := l.Result().Extra["scale_events"].([]map[string]any)
	require.NotEmpty(t, events, "the burst at 30 s was never seen by the autoscaler")
	require.GreaterOrEqual(t, events[0]["t_s"].(float64), 30.0)
	require.Greater(t, events[0]["to"].(int), events[0]["from"].(int))
}

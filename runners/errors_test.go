package runners

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

// TestErrorClasses: each server misbehaviour becomes a classified error on
// every request, never a panic, and the result file is complete and valid.
func TestErrorClasses(t *testing.T) {
	two := func(rep openaitest.Reply) openaitest.Reply {
		rep.Chunks = openaitest.Steady(2, time.Millisecond, time.Millisecond).Chunks
		return rep
	}
	cases := []struct {
		name  string
		reply openaitest.Reply
		cfg   func(*Config)
		class string
	}{
		{"malformed SSE", two(openaitest.Reply{Malformed: true}), nil, ClassMalformedSSE},
		{"stall before first token", openaitest.Reply{Stall: true}, func(c *Config) { c.FirstTokenTimeout = 100 * time.Millisecond }, ClassTimeoutFirstToken},
		{"stall mid-stream", two(openaitest.Reply{Stall: true}), func(c *Config) { c.Timeout = 150 * time.Millisecond }, ClassTimeout},
		{"429", openaitest.Reply{Status: 429, Body: `{"error":{"message":"slow down"}}`}, nil, ClassHTTP429},
		{"500", openaitest.Reply{Status: 500, Body: "boom"}, nil, ClassHTTP5xx},
		{"400", openaitest.Reply{Status: 400, Body: "context too long"}, nil, ClassHTTP4xx},
		{"mid-stream disconnect", two(openaitest.Reply{Disconnect: true}), nil, ClassDisconnect},
		{"truncated", two(openaitest.Reply{NoDone: true}), nil, ClassTruncated},
		{"error in stream", two(openaitest.Reply{StreamError: "engine died"}), nil, ClassStreamError},
		{"no text", openaitest.Reply{}, nil, ClassEmpty},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return tc.reply })
			defer srv.Close()
			cfg := baseConfig(srv)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			c := runCollect(t, context.Background(), chatScenario(t, 200, 4, 10, 2), cfg, scenarios.WorkloadOptions{})
			require.NoError(t, c.err)
			require.Len(t, c.recs, 4)
			for _, r := range c.recs {
				require.Equal(t, tc.class, r.ErrorClass, r.Error)
				require.NotEmpty(t, r.Error)
				require.Zero(t, r.OutputTokens)
				require.Positive(t, r.Sent)
			}
			cl := c.res.Classes["chat"]
			require.Equal(t, int64(4), cl.Requests)
			require.Equal(t, int64(4), cl.Errors)
			require.Equal(t, map[string]int64{tc.class: 4}, cl.ErrorsByClass)
			require.Contains(t, string(c.bytes), `"`+tc.class+`": 4`)
		})
	}
}

// TestConnectRefused: a target nobody listens on gives "connect" errors.
func TestConnectRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	cfg := Config{Target: "http://" + addr + "/v1", Model: "m"}
	c := runCollect(t, context.Background(), chatScenario(t, 100, 3, 10, 2), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	for _, r := range c.recs {
		require.Equal(t, ClassConnect, r.ErrorClass, r.Error)
	}
}

// TestInterrupt: cancelling the context (Ctrl-C) stops new sends, lets
// requests in flight finish for the grace period, cancels the rest and
// still yields a complete result.
func TestInterrupt(t *testing.T) {
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		if r.ID == "fleetbench-1" { // finishes within the grace period
			return openaitest.Steady(3, 50*time.Millisecond, 100*time.Millisecond)
		}
		return openaitest.Steady(3, 10*time.Millisecond, 10*time.Second)
	})
	defer srv.Close()
	cfg := baseConfig(srv)
	cfg.Grace = 400 * time.Millisecond
	cfg.Timeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(150*time.Millisecond, cancel)
	t0 := time.Now()
	c := runCollect(t, ctx, chatScenario(t, 50, 1000, 10, 3), cfg, scenarios.WorkloadOptions{})
	require.Less(t, time.Since(t0), 3*time.Second, "stops within the grace period")
	require.NoError(t, c.err)
	require.True(t, c.st.Interrupted)
	require.NotEmpty(t, c.recs)
	require.GreaterOrEqual(t, len(c.recs), len(srv.Requests()), "every request sent before the interrupt is recorded")
	require.Less(t, len(c.recs), 50, "no new sends after the interrupt")
	require.True(t, c.recs[0].OK(), "the first request finished in the grace period: %s", c.recs[0].Error)
	for _, r := range c.recs[1:] {
		require.Equal(t, ClassCancelled, r.ErrorClass, r.Error)
		require.Positive(t, r.Sent, "recorded even though cut off")
	}
	require.Equal(t, int64(len(c.recs)-1), c.st.Cancelled)
	require.Equal(t, true, c.res.Extra["interrupted"])
	// The cancelled requests count as errors and are missing from the
	// latencies: the warning says how many and what that does.
	n := c.res.Totals.ErrorsByClass[ClassCancelled]
	require.Positive(t, n)
	{
		w := strings.Join(c.res.Warnings, "\n")
		require.Contains(t, w, fmt.Sprintf("%d of its %d measured requests were still running when the grace period (--grace) ended and were cancelled", n, c.res.Totals.Requests))
		require.Contains(t, w, "SLO attainment")
	}
	require.NotEmpty(t, c.res.Warnings)
	cl := c.res.Classes["chat"]
	require.Equal(t, int64(len(c.recs)), cl.Requests)
	require.Equal(t, int64(1), cl.Completed)
}

// TestMaxInflightDrops: at the cap, open-loop arrivals are not sent and are
// counted as dropped; no more than the cap is ever on the wire.
func TestMaxInflightDrops(t *testing.T) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply {
		return openaitest.Steady(2, 100*time.Millisecond, time.Millisecond)
	})
	defer srv.Close()
	cfg := baseConfig(srv)
	cfg.MaxInflight = 3
	c := runCollect(t, context.Background(), chatScenario(t, 200, 40, 10, 2), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Len(t, c.recs, 40)
	dropped := 0
	for _, r := range c.recs {
		if r.ErrorClass == ClassDropped {
			dropped++
		} else {
			require.True(t, r.OK(), r.Error)
		}
	}
	require.Greater(t, dropped, 20)
	require.Equal(t, int64(dropped), c.st.Dropped)
	require.Len(t, srv.Requests(), 40-dropped)
	require.Equal(t, int64(dropped), c.res.Classes["chat"].ErrorsByClass[ClassDropped])
}

// Records of requests that are never sent (over --max-inflight, or video
// without a video client) carry the request's whole header: the copy for
// unsupported video used to drop Turn and InputTokens.
func TestUnsentRecordsKeepHeader(t *testing.T) {
	x := &run{cfg: &Config{}, caller: &caller{start: time.Now()}, sink: newSink(results.NewSummary(nil, 0), nil)}
	r := &scenarios.Request{ID: 9, Class: "v", Kind: scenarios.KindVideo, TaskID: 8, Turn: 2, InputTokens: 77}
	rec, _ := x.send(r, 5, nil)
	require.Equal(t, ClassUnsupported, rec.ErrorClass)
	require.Equal(t, 2, rec.Turn)
	require.Equal(t, 77, rec.InputTokens)
	require.Equal(t, int64(5), rec.Intended)

	x.cfg.MaxInflight = 1
	x.sink.write = func(r *results.Record) error { rec = r; return nil }
	r.Kind = scenarios.KindChat
	x.dropped(job{r, 6})
	require.Equal(t, ClassDropped, rec.ErrorClass)
	require.Equal(t, results.Record{ID: 9, Class: "v", Kind: "chat", TaskID: 8, Turn: 2, Intended: 6, Sent: rec.Sent, InputTokens: 77,
		ErrorClass: ClassDropped, Error: rec.Error, TaskStart: 6, TaskDone: true}, *rec)
}

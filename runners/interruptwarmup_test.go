package runners

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

// TestInterruptInWarmup: run chat --duration 2m (warm-up 12 s) stopped by
// Ctrl-C at 6 s wrote a result whose only warning was "the result holds
// the requests sent before the interruption" and a window 12.000-12.000 s:
// it holds none, and nothing was measured. The warning now says the stop
// came before the measurement window began, as sim's does.
func TestInterruptInWarmup(t *testing.T) {
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		return openaitest.Steady(3, 10*time.Millisecond, 10*time.Millisecond)
	})
	defer srv.Close()
	cfg := baseConfig(srv)
	cfg.Grace = 200 * time.Millisecond
	sc := scenario(t, `
name: t
seed: 7
duration: 10m
warmup: 5m
classes:
  - name: chat
    kind: chat
    arrival: {process: constant, rate: 20}
    input: 10
    output: 3
`)
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(300*time.Millisecond, cancel)
	c := runCollect(t, ctx, sc, cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.True(t, c.st.Interrupted)
	require.Zero(t, c.res.Totals.Requests)
	w := strings.Join(c.res.Warnings, "\n")
	require.Contains(t, w, "run interrupted before its measurement window began (warm-up 5m0s): nothing was measured")
	require.NotContains(t, w, "the result holds the requests sent before the interruption")
}

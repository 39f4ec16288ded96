package main

import (
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/openaitest"
)

// run --stop-early against a server failing a fifth of the requests
// exits 1 early and writes the partial result with the reason. The
// schedule is 20 s long while the stop comes within the first second or
// two: a client starved by a loaded host (it sends late arrivals at once)
// must not send the whole schedule before the first check (3,000 requests
// were all sent once at load 13 under -race).
func TestRunStopEarly(t *testing.T) {
	var n atomic.Int64
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply {
		if n.Add(1)%5 == 0 {
			return openaitest.Reply{Status: 500, Body: "boom"}
		}
		return openaitest.Steady(2, time.Millisecond, time.Millisecond)
	})
	defer srv.Close()
	dir := t.TempDir()
	scen := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(`
name: t
seed: 1
requests: 20000
classes:
  - name: chat
    kind: chat
    arrival: {process: constant, rate: 1000}
    input: 10
    output: 2
`), 0o644))
	out := filepath.Join(dir, "r.json")
	code, _, stderr := runCLI("run", scen, "--target", srv.BaseURL(), "--model", "m", "-o", out, "--quiet", "--stop-early", "--warmup", "0s")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "stopped early")
	res, err := results.ReadFile(out)
	require.NoError(t, err)
	t.Logf("%d of 20000 requests sent before the stop", res.Totals.Requests)
	require.Less(t, res.Totals.Requests, int64(20000))
	require.Contains(t, res.Extra["stopped_early"], "--max-error-rate")
}

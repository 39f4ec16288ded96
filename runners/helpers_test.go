package runners

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/internal/hostnoise"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

// scenario parses an inline scenario.
func scenario(t testing.TB, yaml string) *scenarios.Scenario {
	t.Helper()
	sc, err := scenarios.Parse("test.yaml", []byte(yaml), t.TempDir())
	require.NoError(t, err)
	return sc
}

// chatScenario is n chat requests at rate/s, fixed lengths.
func chatScenario(t testing.TB, rate float64, n, input, output int) *scenarios.Scenario {
	return scenario(t, `
name: t
seed: 7
requests: `+itoa(n)+`
classes:
  - name: chat
    kind: chat
    arrival: {process: constant, rate: `+ftoa(rate)+`}
    input: `+itoa(input)+`
    output: `+itoa(output)+`
`)
}

func itoa(n int) string     { return strconv.Itoa(n) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// collected is a Run's records and result.
type collected struct {
	res   *results.Result
	st    Stats
	err   error
	recs  []results.Record
	bytes []byte // the result file
}

// runCollect runs sc against srv and keeps every record.
func runCollect(t testing.TB, ctx context.Context, sc *scenarios.Scenario, cfg Config, wo scenarios.WorkloadOptions) collected {
	t.Helper()
	var mu sync.Mutex
	var c collected
	cfg.Records = func(r *results.Record) error {
		mu.Lock()
		c.recs = append(c.recs, *r)
		mu.Unlock()
		return nil
	}
	c.res, c.st, c.err = Run(ctx, sc, cfg, wo)
	if c.res != nil {
		var buf bytes.Buffer
		require.NoError(t, results.WriteJSON(&buf, c.res))
		c.bytes = buf.Bytes()
		_, err := results.Decode(bytes.NewReader(c.bytes), "result.json")
		require.NoError(t, err, "the result file must validate")
	}
	sort.Slice(c.recs, func(i, j int) bool { return c.recs[i].Intended < c.recs[j].Intended })
	return c
}

// baseConfig targets srv with short timeouts.
func baseConfig(srv *openaitest.Server) Config {
	return Config{Target: srv.BaseURL(), Model: "m", IgnoreEOS: true, Grace: 2 * time.Second,
		FirstTokenTimeout: 5 * time.Second, Timeout: 10 * time.Second}
}

// p99abs is the 99th percentile of |v|.
func p99abs(v []int64) time.Duration {
	a := make([]int64, len(v))
	for i, x := range v {
		a[i] = max(x, -x)
	}
	sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
	if len(a) == 0 {
		return 0
	}
	return time.Duration(a[(len(a)*99+99)/100-1])
}

// timingAttempts runs a timing measurement up to three times. The machine
// that runs the tests is shared (and -race slows everything): a process
// descheduled for milliseconds shows up as latency that is not the
// client's. A real timing bug fails every attempt; functional assertions
// inside f still fail at once.
//
// The wall-clock bounds f returns are gated always under `make
// test-realtime` (FLEETBENCH_REALTIME set), and otherwise only while the
// host is quiet (probeNoise finds no noise). On a busy host — `make test`
// on a loaded two-core machine — a missed bound is logged, not failed: a
// client descheduled for 3 ms misses a 1 ms bound whatever the code does.
func timingAttempts(t *testing.T, f func() error) {
	t.Helper()
	strict := hostnoise.Strict()
	var err error
	for i := range 3 {
		probeNoise(t)
		if err = f(); err == nil {
			return
		}
		t.Logf("attempt %d: %v", i+1, err)
		if !strict && hostNoise > 0 {
			t.Logf("busy host: wall-clock bounds are not gated here; make test-realtime gates them")
			return
		}
	}
	t.Fatal(err)
}

// under returns an error naming what is not below its bound plus the
// host's scheduling noise.
func under(what string, got, bound time.Duration) error {
	return underNoise(what, got, bound, hostNoise)
}

// underNoise is under with the noise measured for this attempt.
func underNoise(what string, got, bound, noise time.Duration) error {
	if got < bound+noise {
		return nil
	}
	return fmt.Errorf("%s: p99 %v, want < %v + host noise %v", what, got, bound, noise)
}

// hostNoise is the host's scheduling noise, measured by probeNoise before a
// timing attempt: 0 on a quiet machine (p99 timer overshoot under 500 µs),
// else that p99. A process that is runnable but not running for 5 ms
// (a shared two-core machine at load 8) delays the client and the server
// alike; the bounds then widen by what the host demonstrably adds, and the
// test logs it.
var hostNoise time.Duration

func probeNoise(t *testing.T) {
	hostNoise = hostnoise.Probe()
	if hostNoise > 0 {
		t.Logf("busy host: timer overshoot p99 %v; timing bounds widened by it", hostNoise)
	}
}

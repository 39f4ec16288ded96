package runners

import (
	"bytes"
	"context"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

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
func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

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

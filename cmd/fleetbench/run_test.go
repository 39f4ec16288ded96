package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/openaitest"
)

// cliScenario is 20 chat requests at 200/s (20 tokens in, 4 out) under
// name, with the SLO lines given (YAML under slo:, one per line).
func cliScenario(name string, slo ...string) string {
	return `
name: ` + name + `
seed: 2
requests: 20
classes:
  - name: chat
    kind: chat
    arrival: {process: poisson, rate: 200}
    input: 20
    output: 4
    slo:
      ` + strings.Join(slo, "\n      ") + "\n"
}

// runScenario is the CLI tests' endpoint scenario (a lax TTFT objective).
var runScenario = cliScenario("cli-run", "ttft_ms: {p99: 1000}")

// usageServer is an in-process endpoint answering 4 tokens with usage (20
// prompt, 4 completion, 10 cached), closed when the test ends.
func usageServer(t *testing.T) *openaitest.Server {
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		rep := openaitest.Steady(4, 2*time.Millisecond, time.Millisecond)
		rep.Usage = &openaitest.Usage{Prompt: 20, Completion: 4, Cached: 10}
		return rep
	})
	t.Cleanup(srv.Close)
	return srv
}

// TestRunEndToEnd: fleetbench run against an in-process server writes a
// result file and records that report, compare and merge accept.
func TestRunEndToEnd(t *testing.T) {
	srv := usageServer(t)
	scen := writeScenario(t, runScenario)
	dir := filepath.Dir(scen)
	a, b, recs := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json"), filepath.Join(dir, "r.jsonl")

	code, stdout, stderr := runCLI("run", scen, "--target", srv.BaseURL(), "--model", "m", "-o", a, "--records", recs)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "chat")
	require.Contains(t, stderr, "done 20", "plain progress lines when stderr is not a terminal")
	res, err := results.ReadFile(a)
	require.NoError(t, err)
	require.Equal(t, "endpoint", res.Backend)
	require.Equal(t, int64(20), res.Totals.Completed)
	require.InDelta(t, 0.5, *res.Totals.CacheHitRate, 1e-9)
	n := 0
	f, err := os.Open(recs)
	require.NoError(t, err)
	defer f.Close()
	require.NoError(t, results.ReadRecords(f, recs, func(r *results.Record) error { n++; return nil }))
	require.Equal(t, 20, n)

	code, _, stderr = runCLI("run", scen, "--target", srv.BaseURL(), "--model", "m", "-o", b, "--quiet", "--format", "json")
	require.Equal(t, 0, code, stderr)
	require.Empty(t, stderr, "--quiet")

	code, stdout, stderr = runCLI("report", a)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "chat")
	code, _, stderr = runCLI("compare", a, b)
	require.NotEqual(t, 2, code, stderr)
	code, _, stderr = runCLI("merge", a, b, "-o", filepath.Join(dir, "m.json"))
	require.Equal(t, 0, code, stderr)

	// Shards 0/2 and 1/2 merge into the unsharded request count.
	var parts []string
	for i := range 2 {
		p := filepath.Join(dir, "shard"+itoa(i)+".json")
		code, _, stderr = runCLI("run", scen, "--target", srv.BaseURL(), "--model", "m", "-o", p, "-q", "--shard", itoa(i)+"/2")
		require.Equal(t, 0, code, stderr)
		parts = append(parts, p)
	}
	merged := filepath.Join(dir, "merged.json")
	code, _, stderr = runCLI(append(append([]string{"merge"}, parts...), "-o", merged)...)
	require.Equal(t, 0, code, stderr)
	mres, err := results.ReadFile(merged)
	require.NoError(t, err)
	require.Equal(t, int64(20), mres.Totals.Requests)
}

func itoa(i int) string { return string(rune('0' + i)) }

// TestRunBadInput: bad flags exit 2 with a message naming the flag.
func TestRunBadInput(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"run", "chat"}, "--target is required"},
		{[]string{"run", "chat", "--target", "localhost:8000"}, "not an http(s) URL"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--shard", "2/2"}, "--shard"},
		// i+j/n names merged sweep shards; a run is one shard (issue 10).
		{[]string{"run", "chat", "--target", "http://x/v1", "--shard", "0+1/4"}, `--shard "0+1/4": give one shard i/n`},
		{[]string{"sweep", "chat", "--shard", "0+1/4"}, `--shard "0+1/4": give one shard i/n`},
		{[]string{"run", "chat", "--target", "http://x/v1", "--api", "embeddings"}, "--api"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--rate", "5", "--concurrency", "2"}, "--rate"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--concurrency", "2", "--max-inflight", "3"}, "--max-inflight"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--senders", "8", "--max-inflight", "3"}, "--senders"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--senders", "1000000"}, "--senders"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--header", "nocolon"}, "--header"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--api-key-env", "FLEETBENCH_TEST_UNSET_VAR"}, "FLEETBENCH_TEST_UNSET_VAR"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--gpu-telemetry", "yes"}, "--gpu-telemetry"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--scrape", "nope"}, "--scrape"},
		{[]string{"run", "no-such-scenario", "--target", "http://x/v1"}, "neither a built-in"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--tokenizer", "no-such-encoding"}, "--tokenizer no-such-encoding: not a built-in encoding"},
		{[]string{"run", "chat", "--target", "http://x/v1", "--api-key-env", "PATH", "--header", "Authorization: Bearer x"}, "both --api-key-env and an Authorization header"},
		{[]string{"run", "chat", "--target", "ftp://u:hunter2@x/v1"}, "ftp://REDACTED@x/v1"},
	}
	for _, tc := range cases {
		code, _, stderr := runCLI(tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, tc.args)
	}
}

// TestRunInterrupted: SIGINT during a run writes the result collected so
// far and exits 130.
func TestRunInterrupted(t *testing.T) {
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		return openaitest.Steady(2, time.Millisecond, 5*time.Second)
	})
	defer srv.Close()
	old := runSignals
	defer func() { runSignals = old }()
	runSignals = func(ctx context.Context) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(200*time.Millisecond, cancel)
		return ctx, cancel
	}
	scen := writeScenario(t, runScenario)
	out := filepath.Join(filepath.Dir(scen), "r.json")
	code, _, stderr := runCLI("run", scen, "--target", srv.BaseURL(), "--model", "m", "-o", out, "-q", "--grace", "100ms", "--rate", "50")
	require.Equal(t, 130, code, stderr)
	require.Contains(t, stderr, "interrupted")
	res, err := results.ReadFile(out)
	require.NoError(t, err)
	require.Positive(t, res.Totals.Requests)
	require.Equal(t, res.Totals.Requests, res.Totals.ErrorsByClass["cancelled"])
	require.True(t, strings.Contains(strings.Join(res.Warnings, "\n"), "interrupted"))
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// Issue 11's inputs that passed validation and then crashed, overflowed or
// were silently replaced: each now exits 2 with a message naming the limit.
func TestLimitsExit2(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	garbage := write("g.jsonl", "garbage\n")
	_ = write("e.jsonl", "")
	trace := func(file string) string {
		return write("t-"+filepath.Base(file)+".yaml", "name: t\nclasses:\n  - kind: trace\n    trace: {file: "+filepath.Base(file)+", format: mooncake}\n")
	}
	rate := write("rate.yaml", "name: r\nduration: 60s\nclasses:\n  - kind: chat\n    arrival: {process: poisson, rate: 1e9}\n    input: 100\n    output: 10\n")
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"scenario", "validate", rate}, "classes[0].arrival.rate: 1000000000 requests/s is above the limit"},
		{[]string{"sim", "chat", "--rate-scale", "1e12"}, `rate scale 1e+12 takes class "chat"`},
		{[]string{"run", "chat", "--target", "http://127.0.0.1:1/v1", "--rate-scale", "1e12", "-q"}, `rate scale 1e+12 takes class "chat"`},
		{[]string{"sim", "chat", "--requests", "2000000000"}, "--requests 2000000000 is above the limit"},
		{[]string{"sim", "chat", "--tp", "0"}, "--tp 0: must be in [1, 1024]"},
		{[]string{"sim", "chat", "--tp", "-3"}, "--tp -3: must be in [1, 1024]"},
		{[]string{"sim", "chat", "--max-seqs", "0"}, "--max-seqs 0: must be in [1, 65536]"},
		{[]string{"sim", "chat", "--block-tokens", "-16"}, "--block-tokens -16: must be in [1, 4096]"},
		{[]string{"sim", "chat", "--max-batch-tokens", "-1"}, "--max-batch-tokens -1: must be in [2, 16777216]"},
		{[]string{"serve", "--tp", "0"}, "--tp 0: must be in [1, 1024]"},
		{[]string{"scenario", "validate", trace(garbage)}, "g.jsonl:1: invalid JSON"},
		{[]string{"sim", trace(garbage), "--fleet", "1C", "--model", "llama-3.1-8b"}, "g.jsonl:1: invalid JSON"},
		{[]string{"sim", trace("e.jsonl"), "--fleet", "1C", "--model", "llama-3.1-8b"}, "e.jsonl holds no requests"},
		{[]string{"sweep", "chat", "--fleet", "2P4D,+", "--requests", "20"}, `fleet spec "+" names no pool`},
		{[]string{"sweep", "chat", "--fleet", "2P4D", "--scale", "1,1e12", "--requests", "20"}, `rate scale 1e+12 takes class "chat"`},
	}
	if _, err := os.Stat("/dev/zero"); err == nil {
		cases = append(cases, struct {
			args []string
			want string
		}{[]string{"scenario", "validate", "/dev/zero"}, "larger than 262144 bytes"})
	}
	for _, tc := range cases {
		code, _, stderr := runCLI(tc.args...)
		require.Equal(t, 2, code, "%v: %s", tc.args, stderr)
		require.Contains(t, stderr, tc.want, tc.args)
	}
}

// An explicit --rate-scale 0, --duration 0 or --requests 0 was read as
// "not given": 'sim chat --rate-scale 0' simulated chat at full rate and
// exited 0. Each is refused (exit 2) on every command that takes them.
func TestExplicitZeroWorkloadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"sim", "chat", "--duration", "10s", "--rate-scale", "0"},
		{"sim", "chat", "--duration", "0s"},
		{"sim", "chat", "--requests", "0"},
		{"scale", "chat", "--traffic", "1", "--duration", "0s"},
		{"sweep", "chat", "--fleet", "2P4D", "--requests", "0"},
		{"run", "chat", "--target", "http://127.0.0.1:1/v1", "--rate-scale", "0"},
	} {
		code, stdout, stderr := runCLI(args...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
		require.Empty(t, stdout, "%v", args)
		require.Contains(t, stderr, "must be more than 0", "%v", args)
	}
	// sweep's --rate-scale is a grid axis, not the workload flag.
	code, _, stderr := runCLI("sweep", "chat", "--fleet", "2P4D", "--rate-scale", "1,2", "--duration", "20s")
	require.Equal(t, 0, code, stderr)
}

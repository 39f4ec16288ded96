package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// chatWith is a one-class chat scenario with the given arrival and lengths.
func chatWith(arrival, input string) string {
	return fmt.Sprintf(`name: lim
requests: 50
classes:
  - name: c
    kind: chat
    arrival: %s
    input: %s
    output: 10
`, arrival, input)
}

func agentWith(agent string) string {
	return `name: lim
requests: 5
classes:
  - name: a
    kind: agent
    arrival: {process: poisson, rate: 1}
    input: 100
    output: 10
    agent: ` + agent + "\n"
}

// Every case issue 11 reproduced as passing validation and then crashing,
// overflowing or being silently changed is refused at validation, with
// the key's line:col and the limit.
func TestLimitsAtValidation(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"rate 1e9 (OOM before)", chatWith("{process: poisson, rate: 1000000000}", "100"),
			"lim.yaml:6:33: classes[0].arrival.rate: 1000000000 requests/s is above the limit of 1000000 per class"},
		{"rate 1e300 (wrong message before)", chatWith("{process: poisson, rate: 1e300}", "100"),
			"classes[0].arrival.rate: 1e+300 requests/s is above the limit"},
		{"rate 1e9 written with an exponent", chatWith("{process: poisson, rate: 1e9}", "100"),
			"classes[0].arrival.rate: 1000000000 requests/s"},
		{"sine peak", chatWith("{process: sine, rate: 900000, amplitude: 0.5, period_s: 60}", "100"),
			"classes[0].arrival.rate: 1350000 requests/s"},
		{"schedule step", chatWith("{process: schedule, steps: [{at_s: 0, rate: 1}, {at_s: 5, rate: 2e6}]}", "100"),
			"classes[0].arrival.steps[1].rate: 2000000 requests/s"},
		{"input 2e9 (OOM before)", chatWith("{process: poisson, rate: 5}", "2000000000"),
			"lim.yaml:7:5: classes[0].input: can be 2000000000 tokens; the limit is 10000000 tokens"},
		{"input 3e9 (int32 overflow before)", chatWith("{process: poisson, rate: 5}", "3000000000"),
			"classes[0].input: can be 3000000000 tokens"},
		{"input lognormal mean past the limit", chatWith("{process: poisson, rate: 5}", "{dist: lognormal, mean: 2e7, cv: 1}"),
			"classes[0].input: has a mean or median of 20000000 tokens"},
		{"shared_prefix 1e9 (OOM before)", agentWith("{turns: 3, append: 100, shared_prefix: 1000000000}"),
			"classes[0].agent.shared_prefix: can be 1000000000 tokens"},
		{"sub-agents 1000 x 1000 (hours before)", agentWith("{turns: 3, append: 100, subagents: {probability: 1, count: 1000, turns: 1000, task: 100}}"),
			"classes[0].agent.subagents.count: can be 1000 sub-agents; the limit is 64"},
		{"sub-agent fan-out over depths", agentWith("{turns: 50, append: 10, subagents: {probability: 1, count: 64, turns: 50, task: 10, max_depth: 2}}"),
			"classes[0].agent.subagents: one task is expected to send"},
		{"turns 1e8 (silently capped before)", agentWith("{turns: 100000000, append: 10}"),
			"classes[0].agent.turns: can be 100000000 turns; the limit is 1000 turns"},
		{"agent context", agentWith("{turns: 900, append: 100000}"),
			"classes[0].agent: the last turn's expected context is"},
		{"requests", strings.Replace(chatWith("{process: poisson, rate: 5}", "100"), "requests: 50", "requests: 2000000000", 1),
			"lim.yaml:2:1: requests: 2000000000 is above the limit of 1000000000"},
		{"expected arrivals", strings.Replace(chatWith("{process: poisson, rate: 900000}", "100"), "requests: 50", "duration: 2h", 1),
			"duration: 2h0m0s at 900000 requests/s is 6480000000 expected arrivals"},
		{"duration", strings.Replace(chatWith("{process: poisson, rate: 0.01}", "100"), "requests: 50", "duration: 1000h", 1),
			"duration: 1000h0m0s is above the limit of 720h0m0s"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("lim.yaml", []byte(tc.src), t.TempDir())
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
		})
	}
	// At the limits, files pass.
	for _, ok := range []string{
		chatWith("{process: poisson, rate: 1e6}", "10000000"),
		agentWith("{turns: 1000, append: 10, subagents: {probability: 0.01, count: 64, turns: 10, task: 100}}"),
	} {
		_, err := Parse("ok.yaml", []byte(ok), "")
		require.NoError(t, err)
	}
}

// Command-line overrides are held to the same limits.
func TestOverrideLimits(t *testing.T) {
	s := mustParse(t, chatWith("{process: poisson, rate: 5}", "100"))
	for _, o := range []WorkloadOptions{{RateScale: 1e12}, {Requests: 2_000_000_000}, {Duration: 800 * 3600e9}} {
		_, err := s.NewWorkload(o)
		require.Error(t, err, "%+v", o)
		require.Contains(t, err.Error(), "limit")
	}
	_, err := s.NewWorkload(WorkloadOptions{RateScale: 1e12, Requests: 10})
	require.ErrorContains(t, err, `rate scale 1e+12 takes class "c" to 5000000000000 requests/s`)
}

// Scenario files are read through a bounded reader: /dev/zero used to be
// read until the process ran out of memory (the size check used stat).
func TestLoadBoundedRead(t *testing.T) {
	if _, err := os.Stat("/dev/zero"); err == nil {
		_, err := Load("/dev/zero")
		require.ErrorContains(t, err, "larger than 262144 bytes")
	}
	big := filepath.Join(t.TempDir(), "big.yaml")
	require.NoError(t, os.WriteFile(big, []byte("name: x\n#"+strings.Repeat("x", MaxFileBytes)+"\n"), 0o644))
	_, err := Load(big)
	require.ErrorContains(t, err, "the limit for a scenario file")
}

// Traces are read through at validation: garbage, binary data and empty
// files used to pass `scenario validate` (and sim then exited 1, or 0 with
// nothing measured).
func TestTraceValidation(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	write("garbage.jsonl", "garbage line\n")
	write("binary.jsonl", "\x00\x01\xff\xfe{{\n")
	write("empty.jsonl", "")
	write("late.jsonl", `{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1]}`+"\nnot json\n")
	write("huge.jsonl", `{"timestamp": 0, "input_length": 3000000000, "output_length": 5, "hash_ids": [1]}`+"\n")
	write("big.jsonl", `{"timestamp": 0, "input_length": 10, "output_length": 20000000, "hash_ids": [1]}`+"\n")
	write("good.jsonl", `{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1]}`+"\n")
	for file, want := range map[string]string{
		"garbage.jsonl": "garbage.jsonl:1: invalid JSON",
		"binary.jsonl":  "binary.jsonl:1:",
		"empty.jsonl":   "empty.jsonl holds no requests",
		"late.jsonl":    "late.jsonl:2:",
		"huge.jsonl":    "huge.jsonl:1: input_length 3000000000 is outside",
		"big.jsonl":     "big.jsonl:1: 10 input and 20000000 output tokens",
		"good.jsonl":    "",
	} {
		src := "name: tr\nclasses:\n  - kind: trace\n    trace: {file: " + file + ", format: mooncake}\n"
		_, err := Parse("tr.yaml", []byte(src), dir)
		if want == "" {
			require.NoError(t, err)
			continue
		}
		require.Error(t, err, file)
		require.Contains(t, err.Error(), "tr.yaml:4:13: classes[0].trace.file: ")
		require.Contains(t, err.Error(), want)
	}
}

// The limits table in docs/scenarios.md names every limit with its value.
func TestLimitsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../docs/scenarios.md")
	require.NoError(t, err)
	d := string(doc)
	for _, want := range []string{"256 KiB", "1,000,000 requests/s", "1,000,000,000", "720 h", "10,000,000 tokens",
		"1,000 turns", "64 sub-agents", "100,000 requests", "86,400 s", "1,000×", "1,000,000×", "--tp", "--block-tokens",
		"--max-batch-tokens", "--max-seqs", "1,048,576", "overloaded", "1,000,000 instances"} {
		require.Contains(t, d, want)
	}
}

// TestEmpiricalFileTokenLimit: the values of an empirical table in a file
// are held to the token limit like inline values, with the table's own
// file:line:col (before: a file value of 2e9 passed validation, and every
// draw of it was clamped to 10M silently).
func TestEmpiricalFileTokenLimit(t *testing.T) {
	dir := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "lengths.csv"), []byte("tokens,count\n128,5\n# long tail\n  2000000000,1\n512,3\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ok.csv"), []byte("128\n10000000\n"), 0o644))
	_, err := Parse("lim.yaml", []byte(chatWith("{process: poisson, rate: 5}", "{dist: empirical, file: lengths.csv}")), dir)
	require.Error(t, err)
	require.Contains(t, err.Error(), "lim.yaml:7:5: classes[0].input: lengths.csv:4:3: value 2000000000 tokens is above the limit of 10000000 tokens")
	// A max clamp bounds the draws, so the table may hold larger values.
	_, err = Parse("lim.yaml", []byte(chatWith("{process: poisson, rate: 5}", "{dist: empirical, file: lengths.csv, max: 8192}")), dir)
	require.NoError(t, err)
	_, err = Parse("lim.yaml", []byte(chatWith("{process: poisson, rate: 5}", "{dist: empirical, file: ok.csv}")), dir)
	require.NoError(t, err)
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = execute(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestSimBadInputExits2(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown model", []string{"sim", "chat", "--model", "gpt-9"}, "gpt-9"},
		{"unknown gpu", []string{"sim", "chat", "--gpu", "v100"}, "v100"},
		{"model does not fit", []string{"sim", "chat", "--fleet", "1C", "--model", "deepseek-v3", "--tp", "1"}, "TP"},
		{"zero-size pool", []string{"sim", "chat", "--fleet", "0P4D"}, "positive"},
		{"half a PD fleet", []string{"sim", "chat", "--fleet", "4P"}, "decode"},
		{"unknown routing", []string{"sim", "chat", "--routing", "random"}, "routing"},
		{"unknown scenario", []string{"sim", "no-such-scenario"}, "no-such-scenario"},
		{"bad format", []string{"sim", "chat", "--format", "xml"}, "format"},
		{"impossible layout", []string{"sim", "chat", "--fleet", "1P:h800x32/ep32/dp5 1D:h800x144/ep144/dp144", "--model", "deepseek-v3"}, "DP 5 does not divide the instance's 32 GPUs"},
		{"unknown layout suffix", []string{"sim", "chat", "--fleet", "1P:h800x32/pp4 1D"}, "unknown layout suffix /pp4"},
		{"missing model config", []string{"sim", "chat", "--model-config", "no/such/config.json"}, "no/such/config.json"},
		{"int4 model config", []string{"sim", "chat", "--fleet", "1C:h200x8", "--model-config", "testdata/int4-config.json"}, "4-bit weights are not modelled"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(c.args...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, c.want)
		})
	}
}

func TestSimWritesResultAndRecords(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "r.json")
	recs := filepath.Join(dir, "r.jsonl")
	code, stdout, stderr := runCLI("sim", "chat", "--requests", "200", "-o", out, "--records", recs)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "cache hit rate")
	data, err := os.ReadFile(out)
	require.NoError(t, err)
	require.Contains(t, string(data), `"schema": "fleetbench.result/v1"`)
	lines, err := os.ReadFile(recs)
	require.NoError(t, err)
	require.Equal(t, 200, bytes.Count(lines, []byte("\n")))

	// report reprints the table from the file; identical runs are identical.
	code, again, stderr := runCLI("report", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, again, "cache hit rate")
	out2 := filepath.Join(dir, "r2.json")
	code, _, _ = runCLI("sim", "chat", "--requests", "200", "-o", out2)
	require.Equal(t, 0, code)
	data2, err := os.ReadFile(out2)
	require.NoError(t, err)
	require.Equal(t, string(data), string(data2))
}

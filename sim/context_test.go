package sim

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// TestOverContextIsCounted: the catalog had no context length, so a
// 300k-token prompt on llama-3.1-8b (131,072 tokens of context) was served
// as a completed request; a real server refuses it (400). The simulated
// figures are kept as they are (nothing refused, byte-identical when no
// request is over), but the result counts the requests over the model's
// context per class (over_context) and warns.
func TestOverContextIsCounted(t *testing.T) {
	sc := parse(t, `
name: long-prompts
seed: 1
duration: 60s
classes:
  - name: long
    kind: chat
    arrival: {process: poisson, rate: 1}
    input: {dist: uniform, min: 100000, max: 300000}
    output: 100
fleet:
  spec: 1C
  model: llama-3.1-8b
  gpu: h100
`)
	var over, longest int64
	cfg := Config{Fleet: "1C", Model: "llama-3.1-8b", Records: func(r *results.Record) error {
		if n := int64(r.InputTokens + r.OutputTokens); r.OK() && n > 131072 && r.ArrivalNs() >= int64(sc.Warmup) {
			over++
			longest = max(longest, n)
		}
		return nil
	}}
	res, _, err := Run(sc, cfg, scenarios.WorkloadOptions{Requests: 20})
	require.NoError(t, err)
	require.Positive(t, over, "the test needs requests over the context")
	oc := res.Classes["long"].OverContext
	require.NotNil(t, oc)
	require.Equal(t, over, oc.Requests)
	require.Equal(t, longest, oc.LongestTokens)
	require.Equal(t, int64(131072), oc.ContextTokens)
	w := strings.Join(res.Warnings, "\n")
	require.Contains(t, w, "class long")
	require.Contains(t, w, "131072-token context")
	require.Contains(t, w, "400")

	// Nothing over the context: no field, no warning.
	chat := mustBuiltin(t, "chat")
	res, _, err = Run(chat, ConfigFromScenario(chat), scenarios.WorkloadOptions{Requests: 200})
	require.NoError(t, err)
	for _, c := range res.Classes {
		require.Nil(t, c.OverContext)
	}
	require.NotContains(t, strings.Join(res.Warnings, "\n"), "context")
}

// A class whose every request is over the context of the model given on
// the command line (--model, over the scenario's own) is refused as a
// configuration error: no request of it could be served.
func TestWholeClassOverContextRefused(t *testing.T) {
	sc := parse(t, `
name: long-prompts
duration: 60s
classes:
  - name: long
    kind: agent
    arrival: {process: poisson, rate: 1}
    input: 100
    output: 100
    agent: {turns: 2, shared_prefix: 150000, append: 100, tool_s: 1}
fleet:
  spec: 1C
  model: deepseek-v3
  gpu: h200
`)
	_, _, err := Run(sc, Config{Fleet: "1C", Model: "llama-3.1-8b"}, scenarios.WorkloadOptions{Requests: 5})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	require.Contains(t, err.Error(), `class "long": every request has at least 150200 tokens (prompt + output), over the 131072-token context of model llama-3.1-8b`)
}

// A --model-config without max_position_embeddings leaves the context
// unknown: nothing is counted, and the result says so rather than reading
// as "no request over the context".
func TestUnknownContextIsSaid(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("models", "testdata", "hfconfig", "llama-3.1-8b.json"))
	require.NoError(t, err)
	data = []byte(strings.Replace(string(data), `"max_position_embeddings": 131072,`, "", 1))
	require.NotContains(t, string(data), "max_position_embeddings")
	path := filepath.Join(dir, "config.json")
	require.NoError(t, os.WriteFile(path, data, 0o644))
	chat := mustBuiltin(t, "chat")
	cfg := ConfigFromScenario(chat)
	cfg.Model, cfg.ModelConfig = "", path
	res, _, err := Run(chat, cfg, scenarios.WorkloadOptions{Requests: 50})
	require.NoError(t, err)
	require.Contains(t, strings.Join(res.Warnings, "\n"), "context length unknown")

	res, _, err = Run(chat, ConfigFromScenario(chat), scenarios.WorkloadOptions{Requests: 50})
	require.NoError(t, err)
	require.NotContains(t, strings.Join(res.Warnings, "\n"), "context length unknown")
}

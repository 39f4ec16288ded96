package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// allFailScenario's every request is refused (prompts of 30-35k tokens
// beside a one-h100 qwen3-32b instance's ~24k-token KV cache: too_long;
// within the model's 40,960-token context, which validation checks).
const allFailScenario = `name: allfail
seed: 1
duration: 30s
warmup: 5s
classes:
  - name: huge
    kind: chat
    arrival: {process: poisson, rate: 1}
    input: {dist: uniform, min: 30000, max: 35000}
    output: {dist: uniform, min: 1000, max: 2000}
    slo:
      ttft_ms: {p99: 2000}
fleet:
  spec: 1P1D
  model: qwen3-32b
  gpu: h100
  tp: 1
`

// TestSweepAndScaleSayNothingMeasured: a sweep whose every point ran but
// completed no request printed its MISSED rows and exited 0, and scale
// said "no fleet up to 4096 instances per pool meets every SLO" (a
// capacity answer) after 26 probes in which every request failed. Both now
// write their outputs and exit 1 saying nothing was measured, as sim does.
func TestSweepAndScaleSayNothingMeasured(t *testing.T) {
	scen := writeScenario(t, allFailScenario)
	out := filepath.Join(t.TempDir(), "sw.json")
	code, stdout, stderr := runCLI("sweep", scen, "--fleet", "1P1D,2P2D", "-o", out)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "nothing measured: no point of the sweep completed a request")
	require.Contains(t, stdout, "MISSED", "the table is still printed")
	_, err := os.Stat(out)
	require.NoError(t, err, "and the file written")

	code, stdout, stderr = runCLI("scale", scen, "--traffic", "1", "--max-instances", "2")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stdout, "nothing measured at 1x")
	require.NotContains(t, stdout, "meets every SLO at 1x")
	require.Contains(t, stderr, "nothing measured at 1x")

	// A sweep with one measured point is a result (exit 0).
	code, _, stderr = runCLI("sweep", "chat", "--fleet", "1P1D", "--requests", "50")
	require.Equal(t, 0, code, stderr)
}

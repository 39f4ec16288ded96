package main

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const autoscaleScenario = `name: as
seed: 3
duration: 2m
warmup: 10s
classes:
  - name: chat
    kind: chat
    arrival: {process: poisson, rate: 4}
    input: {dist: lognormal, mean: 1155, median: 1020, max: 8000}
    output: {dist: lognormal, mean: 211, median: 129, max: 2000}
fleet:
  spec: 1P2D
  model: llama-3.1-8b
  gpu: h100
  tp: 1
  autoscale:
    - {pool: POOL, metric: concurrency, target: 16, min: 1, max: 8}
`

// sim of a scenario whose autoscaler named pool "decod" (or "video")
// exited 0 with no autoscaling at all: the simulator matches autoscalers
// to pools by name and skipped the unknown one. The scenario is refused
// now at the pool's file:line:col; and an autoscaler for a pool the
// simulated fleet lacks (--fleet 2C with a decode autoscaler) is refused
// too (exit 2), not ignored.
func TestSimRefusesAnAutoscalerForNoPool(t *testing.T) {
	bad := writeScenario(t, strings.Replace(autoscaleScenario, "POOL", "decod", 1))
	code, _, stderr := runCLI("sim", bad)
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, `s.yaml:17:8: fleet.autoscale[0].pool`)
	require.Contains(t, stderr, `fleet.autoscale[0].pool: unknown pool "decod" (use prefill, decode or colocated)`)

	good := writeScenario(t, strings.Replace(autoscaleScenario, "POOL", "decode", 1))
	code, _, stderr = runCLI("sim", good)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI("sim", good, "--fleet", "2C")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, `autoscaler for the decode pool: fleet "2C" has no decode pool (its pools: colocated)`)
}

// A sweep's grid fleets take the scenario's autoscalers too: --fleet
// 2C,1P2D simulated 2C without the decode autoscaler, silently, beside
// 1P2D with it. Refused (exit 2) naming the fleet.
func TestSweepRefusesAnAutoscalerForNoPool(t *testing.T) {
	good := writeScenario(t, strings.Replace(autoscaleScenario, "POOL", "decode", 1))
	code, _, stderr := runCLI("sweep", good, "--fleet", "1P2D,2C", "-o", t.TempDir()+"/s.json")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, `autoscaler for the decode pool: fleet "2C" has no decode pool`)
}

// serve and scale took the scenario's autoscaler too and ran fleets
// without its pool silently (serve --fleet 2C; scale --kinds colocated):
// refused the same way.
func TestServeAndScaleRefuseAnAutoscalerForNoPool(t *testing.T) {
	good := writeScenario(t, strings.Replace(autoscaleScenario, "POOL", "decode", 1))
	_, err := serveConfig([]string{good}, serveFlags{fleet: "2C"})
	require.ErrorContains(t, err, `autoscaler for the decode pool: fleet "2C" has no decode pool`)
	_, err = serveConfig([]string{good}, serveFlags{})
	require.NoError(t, err)

	code, _, stderr := runCLI("scale", good, "--traffic", "1", "--kinds", "colocated", "--max-instances", "2")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, `--kinds colocated: autoscaler for the decode pool: fleet "1C" has no decode pool`)
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/elastic"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// A video class naming a model the simulator does not know passed
// `scenario validate` ("ok"); sim then simulated until the first clip
// started, and exited 1 with "class \"video\": unknown video model" and no
// place in the file. It is refused up front at the class's key (exit 2),
// unless fleet.video.model serves every clip with a model of its own.
func TestUnknownVideoModelRefusedAtItsKey(t *testing.T) {
	dir := t.TempDir()
	body := `name: t
duration: 60s
classes:
  - kind: video
    arrival: {process: poisson, rate: 0.05}
    video:
      mix:
        - {model: wan2.1-14b}
        - {model: nope}
fleet:
  spec: 1P1D
  model: llama-3.1-8b
  gpu: h100
  video: {gpu: h100, sp: 8, instances: 1}
`
	path := filepath.Join(dir, "v.yaml")
	require.NoError(t, os.WriteFile(path, []byte(body), 0o644))
	want := "v.yaml:9:12: classes[0].video.mix[1].model: unknown video model \"nope\""
	code, _, stderr := runCLI("scenario", "validate", path)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, want)
	code, _, stderr = runCLI("sim", path, "--duration", "5s")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, want)
	code, _, stderr = runCLI("price", path, "--duration", "5s")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, want)

	// The pool's own model serves every clip: the class's is not used.
	withModel := filepath.Join(dir, "w.yaml")
	require.NoError(t, os.WriteFile(withModel, []byte(body[:len(body)-len("instances: 1}\n")]+"instances: 1, model: wan2.1-14b}\n"), 0o644))
	code, _, stderr = runCLI("scenario", "validate", withModel)
	require.Equal(t, 0, code, stderr)
}

// scenarios checks fleet.block_tokens at its key with its own copy of
// the simulator's --block-tokens limit (it cannot import sim).
func TestFleetBlockTokensLimitMatchesSim(t *testing.T) {
	for _, l := range sim.IntLimits {
		if l.Flag == "--block-tokens" {
			require.Equal(t, scenarios.MaxFleetBlockTokens, l.Max)
			require.Equal(t, 1, l.Min)
			return
		}
	}
	t.Fatal("sim.IntLimits has no --block-tokens")
}

// A pool's max_batch_tokens below its max_seqs was placed at fleet.spec.
func TestPoolBatchLimitsPlacedAtTheirKey(t *testing.T) {
	path := filepath.Join(t.TempDir(), "b.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`name: t
duration: 60s
classes:
  - {kind: chat, arrival: {process: poisson, rate: 1}, input: 10, output: 10}
fleet:
  spec: 1C
  model: llama-3.1-8b
  gpu: h100
  pools:
    colocated: {max_batch_tokens: 100}
`), 0o644))
	code, _, stderr := runCLI("scenario", "validate", path)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "b.yaml:10:17: fleet.pools.colocated.max_batch_tokens: colocated pool: max batch tokens 100 must exceed max sequences 256")
}

// elastic bounds an autoscaler's max with its own copy of the simulator's
// fleet limit (it cannot import sim).
func TestAutoscaleMaxLimitMatchesSim(t *testing.T) {
	require.Equal(t, sim.MaxInstances, elastic.MaxInstances)
}

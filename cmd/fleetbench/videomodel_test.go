package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
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

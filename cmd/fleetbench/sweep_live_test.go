package main

import (
	"bytes"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/serve"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
)

const liveScenario = "../../livesweep/testdata/live.yaml"

// serveFleet runs fleetbench serve's engine for fleet on loopback and
// returns its API base URL.
func serveFleet(t *testing.T, fleet string) string {
	t.Helper()
	sc, err := scenarios.Load(liveScenario)
	require.NoError(t, err)
	s, err := serve.New(serve.Options{Scenario: sc, Config: sim.Config{Fleet: fleet, Model: "llama-3.1-8b", GPU: "h100", TP: 1}})
	require.NoError(t, err)
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		hs.Close()
		s.Close()
	})
	return hs.URL + "/v1"
}

// A max_load gate fails (exit 1) when the server under test has half the
// fleet of the baseline's: a live max-load search against serve with 2C,
// then against serve with 1C, then compare. Coarse (tolerance 0.5, 30
// requests a step, ~15 s of load) because only the gate is under test: the
// two fleets' max loads (simulated: 2C ~3×, 1C 1.5×) differ by about half,
// far more than host load moves them, and the HTML report and the table
// read the live files.
func TestLiveSweepMaxLoadGateHalfFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("~15 s of real load on loopback")
	}
	dir := t.TempDir()
	search := func(fleet, out string) *sweepfile.Sweep {
		var stdout, stderr bytes.Buffer
		code := execute([]string{"sweep", liveScenario, "--target", serveFleet(t, fleet), "--search", "max-load",
			"--requests", "30", "--tolerance", "0.5", "--predict", fleet, "--gpu", "h100", "--tp", "1", "-o", out}, &stdout, &stderr)
		require.Equal(t, 0, code, stderr.String())
		t.Logf("fleet %s:\n%s", fleet, stdout.String())
		require.Contains(t, stdout.String(), "measured max load")
		sw, err := sweepfile.Read(out)
		require.NoError(t, err)
		return sw
	}
	base, half := filepath.Join(dir, "base.json"), filepath.Join(dir, "half.json")
	sb, sh := search("2C", base), search("1C", half)
	lb, okB := sb.MaxLoad()
	lh, okH := sh.MaxLoad()
	require.True(t, okB && okH)
	require.Greater(t, lb, lh)

	var stdout, stderr bytes.Buffer
	code := execute([]string{"compare", base, half, "--fail-on", "max_load<-10%"}, &stdout, &stderr)
	t.Log(stdout.String())
	require.Equal(t, 1, code, "the half fleet's max load must fail the gate: %s %s", stdout.String(), stderr.String())
	require.Contains(t, stdout.String(), "FAILED")
	// The same file against itself passes.
	stdout.Reset()
	require.Equal(t, 0, execute([]string{"compare", base, base, "--fail-on", "max_load<-10%"}, &stdout, &stderr), stderr.String())
	// report --html reads live sweeps.
	stdout.Reset()
	html := filepath.Join(dir, "r.html")
	require.Equal(t, 0, execute([]string{"report", "--html", html, base}, &stdout, &stderr), stderr.String())
	// A max_load gate on result files is refused with the sweep form.
	stderr.Reset()
	require.Equal(t, 2, execute([]string{"compare", base, half, "--fail-on", "ttft.p99>+10%"}, &stdout, &stderr))
	require.Contains(t, stderr.String(), "max_load")
}

// sweep --target sends what run sends in each request's "model" field:
// --served-model (or --model) when given, else nothing the server could
// refuse. It sent the scenario's catalog id, which a server names
// differently (vLLM: the Hugging Face path), so the README's
// `sweep chat --target` against `fleetbench serve` (llama-3.1-8b; chat
// simulates llama-3.1-70b) had every request refused, model_not_found,
// while `run chat --target` against the same server completed them all.
func TestLiveSweepModelFieldAsRun(t *testing.T) {
	b, err := os.ReadFile(liveScenario)
	require.NoError(t, err)
	sc := filepath.Join(t.TempDir(), "other-model.yaml")
	require.NoError(t, os.WriteFile(sc, bytes.Replace(b, []byte("model: llama-3.1-8b"), []byte("model: llama-3.1-70b"), 1), 0o644))
	url := serveFleet(t, "1C")
	var stdout, stderr bytes.Buffer
	code := execute([]string{"sweep", sc, "--target", url, "--rate-scale", "1", "--requests", "8", "--warmup", "0s"}, &stdout, &stderr)
	require.Equal(t, 0, code, "%s\n%s", stdout.String(), stderr.String())
	// Named, it is sent as named: serve refuses a model it does not serve.
	stdout.Reset()
	stderr.Reset()
	code = execute([]string{"sweep", sc, "--target", url, "--rate-scale", "1", "--requests", "8", "--warmup", "0s", "--served-model", "llama-3.1-70b"}, &stdout, &stderr)
	require.Equal(t, 1, code, "%s\n%s", stdout.String(), stderr.String())
	require.Contains(t, stdout.String()+stderr.String(), "http_4xx")
}

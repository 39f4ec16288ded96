package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// mixFailScenario has a class whose every request is refused on any fleet
// (too_long) beside a class that is served.
const mixFailScenario = "../../sweep/testdata/mixfail.yaml"

// TestAClassFailedEverywhereExits1: sim exits 1 for a workload one of
// whose classes never completes a request, but sweep and scale over the
// same workload wrote their MISSED rows and exited 0 (their note said
// why). All three now exit 1 naming the class and its errors, sweep and
// scale after writing their outputs.
func TestAClassFailedEverywhereExits1(t *testing.T) {
	scen := mixFailScenario
	dir := t.TempDir()

	code, _, stderr := runCLI("sim", scen, "-o", filepath.Join(dir, "r.json"))
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "class huge: none of its")
	require.Contains(t, stderr, "too_long")

	out := filepath.Join(dir, "sw.json")
	code, stdout, stderr := runCLI("sweep", scen, "--fleet", "1C,2C", "-o", out)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "class huge: no request completed on any point of the sweep (2 of 2 ran")
	require.Contains(t, stderr, "too_long")
	require.Contains(t, stdout, "MISSED", "the table is still printed")
	b, err := os.ReadFile(out)
	require.NoError(t, err, "and the file written")
	var sw struct {
		Points []struct {
			FailedErrors map[string]map[string]int64 `json:"failed_errors"`
		} `json:"points"`
	}
	require.NoError(t, json.Unmarshal(b, &sw))
	require.Positive(t, sw.Points[0].FailedErrors["huge"]["too_long"])

	cout := filepath.Join(dir, "curve.json")
	code, stdout, stderr = runCLI("scale", scen, "--traffic", "1", "--kinds", "colocated", "--max-instances", "2", "-o", cout)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stdout, "every request of class huge failed on every probe")
	require.Contains(t, stderr, "class huge: no request completed on any probe at 1x")
	require.Contains(t, stderr, "too_long")
	_, err = os.Stat(cout)
	require.NoError(t, err, "the curve is written")
}

// A live sweep against an endpoint that refuses every request wrote its
// steps and exited 0; it now exits 1 naming the class, as run does.
func TestLiveSweepAllRefusedExits1(t *testing.T) {
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, `{"error":{"message":"no"}}`, http.StatusBadRequest)
	}))
	t.Cleanup(hs.Close)
	out := filepath.Join(t.TempDir(), "live.json")
	code, _, stderr := runCLI("sweep", liveScenario, "--target", hs.URL+"/v1", "--rate-scale", "1", "--requests", "10", "-o", out)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "no request completed on any step of the sweep")
	_, err := os.Stat(out)
	require.NoError(t, err, "the steps are written")
}

// report of a result none of whose requests completed (sim exits 1)
// printed its table, an empty markdown table and CSV, and exited 0; one
// of a result with a class that completed nothing likewise. Both print
// what they have and exit 1 with sim's message; JSON stays a readable
// conversion (exit 0), as for an empty window.
func TestReportSaysNothingCompleted(t *testing.T) {
	dir := t.TempDir()
	all, mix := filepath.Join(dir, "all.json"), filepath.Join(dir, "mix.json")
	code, _, stderr := runCLI("sim", writeScenario(t, allFailScenario), "-o", all)
	require.Equal(t, 1, code, stderr)
	code, _, stderr = runCLI("sim", mixFailScenario, "-o", mix)
	require.Equal(t, 1, code, stderr)
	for _, format := range []string{"table", "csv", "markdown"} {
		code, stdout, stderr := runCLI("report", all, "--format", format)
		require.Equal(t, 1, code, format)
		require.NotEmpty(t, stdout, format)
		require.Contains(t, stderr, "nothing measured: none of the", format)
		code, stdout, stderr = runCLI("report", mix, "--format", format)
		require.Equal(t, 1, code, format)
		require.NotEmpty(t, stdout, format)
		require.Contains(t, stderr, "class huge: none of its", format)
	}
	code, _, _ = runCLI("report", mix, "--format", "json")
	require.Equal(t, 0, code)
}

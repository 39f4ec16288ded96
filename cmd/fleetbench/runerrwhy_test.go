package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// run against serve with a model the server does not serve exited 1 with
// "nothing measured: none of the 3 requests ... completed (3 http_4xx)":
// what failed, not why, nor what to do (the server's body, which names the
// model it serves, was only in --records). The result now keeps the first
// error of each kind per class (error_examples), and the failure, the
// table and report quote it.
func TestRunFailureQuotesTheServersError(t *testing.T) {
	out := filepath.Join(t.TempDir(), "bad.json")
	code, stdout, stderr := runCLI("run", liveScenario, "--target", serveFleet(t, "1C"), "--model", "nope", "--requests", "3", "-q", "-o", out)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "fleetbench: nothing measured: none of the 3 requests in the window")
	require.Contains(t, stderr, "completed (3 http_4xx); first http_4xx: HTTP 404 from http://127.0.0.1:")
	require.Contains(t, stderr, "The model `nope` does not exist")
	require.Contains(t, stdout, "first error of each kind:\n  chat http_4xx: HTTP 404 from")

	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var res struct {
		Classes map[string]struct {
			ErrorExamples map[string]string `json:"error_examples"`
		} `json:"classes"`
	}
	require.NoError(t, json.Unmarshal(data, &res))
	require.Contains(t, res.Classes["chat"].ErrorExamples["http_4xx"], "model_not_found")

	code, rep, _ := runCLI("report", out)
	require.Equal(t, 1, code)
	require.Contains(t, rep, "first error of each kind:\n  chat http_4xx: HTTP 404 from")
}

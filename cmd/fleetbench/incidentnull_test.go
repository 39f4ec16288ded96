package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// lateFailScenario fails instance 0 at 10 s and instance 1 as the last
// request arrives: no request is sent while instance 1 is down.
const lateFailScenario = `name: latefail
seed: 1
duration: 30s
warmup: 2s
classes:
  - name: chat
    kind: chat
    arrival: {process: poisson, rate: 4}
    input: 500
    output: 100
fleet:
  spec: 2C
  model: qwen3-32b
  gpu: h100
  failures:
    repair_s: 600
    at:
      - {pool: colocated, instance: 0, at_s: 10}
      - {pool: colocated, instance: 1, at_s: 29.999}
`

// A failure event's figures over the requests sent while the instance
// was down are null in the JSON (the key kept: every event has the same
// fields, docs/metrics.md "What was not measured is absent") and "-" in
// the table when no request was sent then, never 0; its counts are 0.
func TestIncidentUnmeasuredFiguresAreNull(t *testing.T) {
	scen := writeScenario(t, lateFailScenario)
	out := filepath.Join(t.TempDir(), "r.json")
	code, stdout, stderr := runCLI("sim", scen, "-o", out)
	// Exit 1: the requests retried off instance 1 wait 580 s for its
	// repair, queue time in the window's tail (the keep-up check).
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "the fleet fell behind")
	require.Contains(t, stdout, "failure t=29.999s cache_hit_rate_during=- ")
	require.Contains(t, stdout, " requests_during=0 ")
	require.Contains(t, stdout, " slo_attainment_during=-\n")

	raw, err := os.ReadFile(out)
	require.NoError(t, err)
	var r struct {
		Extra struct {
			Incidents []map[string]any `json:"incidents"`
		} `json:"extra"`
	}
	require.NoError(t, json.Unmarshal(raw, &r))
	require.Len(t, r.Extra.Incidents, 2)
	first, last := r.Extra.Incidents[0], r.Extra.Incidents[1]
	require.NotNil(t, first["slo_attainment_during"])
	for _, k := range []string{"slo_attainment_during", "cache_hit_rate_during"} {
		v, ok := last[k]
		require.True(t, ok, "%s is kept, null", k)
		require.Nil(t, v, k)
	}
	require.EqualValues(t, 0, last["requests_during"])
}

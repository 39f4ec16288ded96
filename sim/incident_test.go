package sim

import (
	"testing"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/stretchr/testify/require"
)

// An instance that failed and was not repaired before the run ended has
// no repair time: repaired_s is null (the key kept, as every incident has
// the same fields), never 0, which read as repaired at the run's start.
func TestIncidentNotRepairedHasNullRepairTime(t *testing.T) {
	sc, err := scenarios.Parse("latefail.yaml", []byte(`name: latefail
seed: 1
duration: 30s
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
    repair_s: 5
    at:
      - {pool: colocated, instance: 0, at_s: 10}
      - {pool: colocated, instance: 1, at_s: 28}
`), ".")
	require.NoError(t, err)
	res, _, err := Run(sc, ConfigFromScenario(sc), scenarios.WorkloadOptions{})
	require.NoError(t, err)
	inc := res.Extra["incidents"].([]map[string]any)
	require.Len(t, inc, 2)
	require.Equal(t, 15.0, inc[0]["repaired_s"], "failed at 10 s, repaired 5 s later")
	v, ok := inc[1]["repaired_s"]
	require.True(t, ok, "repaired_s is kept")
	require.Nil(t, v, "failed at 28 s with a 5 s repair: not repaired when the run ended")
}

package sim

import (
	"testing"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/stretchr/testify/require"
)

// An instance that failed and was not repaired before the run ended has
// no repair time: repaired_s is null (the key kept, as every incident has
// the same fields), never 0, which read as repaired at the run's start.
func TestIncidentNotRepairedHasNullRepairTime(t *testing.T) {
	sc := twoFailures(t, "30s", "4", "5", "10", "28")
	res, _, err := Run(sc, ConfigFromScenario(sc), scenarios.WorkloadOptions{})
	require.NoError(t, err)
	inc := res.Extra["incidents"].([]map[string]any)
	require.Len(t, inc, 2)
	require.Equal(t, 15.0, inc[0]["repaired_s"], "failed at 10 s, repaired 5 s later")
	v, ok := inc[1]["repaired_s"]
	require.True(t, ok, "repaired_s is kept")
	require.Nil(t, v, "failed at 28 s with a 5 s repair: not repaired when the run ended")
}

// twoFailures is a chat scenario on 2C whose instances 0 and 1 fail at
// at0 and at1 s, each repaired repairS s later.
func twoFailures(t *testing.T, duration, rate, repairS, at0, at1 string) *scenarios.Scenario {
	sc, err := scenarios.Parse("failures.yaml", []byte(`name: failures
seed: 1
duration: `+duration+`
classes:
  - name: chat
    kind: chat
    arrival: {process: poisson, rate: `+rate+`}
    input: 500
    output: 100
fleet:
  spec: 2C
  model: qwen3-32b
  gpu: h100
  failures:
    repair_s: `+repairS+`
    at:
      - {pool: colocated, instance: 0, at_s: `+at0+`}
      - {pool: colocated, instance: 1, at_s: `+at1+`}
`), ".")
	require.NoError(t, err)
	return sc
}

// outage is a 60 s run of 2C whose two instances both fail at failAt s,
// repaired repairS s later.
func outage(t *testing.T, failAt, repairS string) *scenarios.Scenario {
	return twoFailures(t, "60s", "2", repairS, failAt, failAt)
}

// A request retried after its instance failed waits again: for a repair
// when every instance is down, then in a queue. That re-wait is queue time
// (rec.QueueNs, what the keep-up check reads): it was left out, keeping
// only the first wait, so an outage of the whole fleet at the end of the
// window showed in TTFT but not in the queue, and the run did not say it
// fell behind (exit 0).
func TestRetriedRequestQueueCountsItsReWait(t *testing.T) {
	sc := outage(t, "10", "30")
	cfg := ConfigFromScenario(sc)
	var retried []results.Record
	cfg.Records = func(r *results.Record) error {
		if r.Retries > 0 && r.Error == "" {
			retried = append(retried, *r)
		}
		return nil
	}
	res, _, err := Run(sc, cfg, scenarios.WorkloadOptions{})
	require.NoError(t, err)
	require.NotEmpty(t, retried, "requests in flight at 10 s are retried")
	for _, r := range retried {
		require.GreaterOrEqual(t, r.QueueNs, int64(30e9),
			"request sent at %.3f s, lost at 10 s, served after the 40 s repair: its queue time holds the re-wait", float64(r.Intended)/1e9)
		require.LessOrEqual(t, r.QueueNs, r.FirstToken-r.Sent, "queue time is part of TTFT")
	}
	behind, why := results.FellBehind(res, 0)
	require.False(t, behind, "the fleet caught up after the repair: the window's tail kept up (%s)", why)

	late := outage(t, "59.9", "300")
	res, _, err = Run(late, ConfigFromScenario(late), scenarios.WorkloadOptions{})
	require.NoError(t, err)
	behind, why = results.FellBehind(res, 0)
	require.True(t, behind, "down from 59.9 s to 359.9 s, with requests in flight: the window ends in a backlog")
	require.Contains(t, why, "to be admitted", "the re-wait is queue time")
}

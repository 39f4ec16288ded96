package results

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// Every run on a machine without NVML wrote telemetry {status: no_nvml,
// duration_s: 0, avg_utilization_pct: 0, peak_memory_used_bytes: 0,
// energy_j: 0, avg_power_w: 0, output_tokens: 2463}: figures of a sampler
// that never ran, as zeros. They are left out now (docs/metrics.md, What
// was not measured is absent); telemetry that sampled keeps its figures,
// a measured 0% utilization (an idle GPU on the load machine) included.
// And merge said "GPU telemetry of 2 input(s) is not merged" of two such
// inputs, which had none to merge.
func TestTelemetryNotRecordedHasNoFigures(t *testing.T) {
	none := &Telemetry{Status: TelemetryNoNVML, Error: "NVML unavailable", Source: "nvml", OutputTokens: 2463}
	none.Finish(2463)
	b, err := json.Marshal(none)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(b, &m))
	for _, k := range []string{"duration_s", "sample_interval_s", "avg_utilization_pct", "peak_memory_used_bytes", "energy_j", "avg_power_w", "output_tokens", "joules_per_output_token"} {
		require.NotContains(t, m, k, string(b))
	}
	require.Equal(t, "no_nvml", m["status"])

	ok := &Telemetry{Status: TelemetryOK, Rounds: 3, DurationS: 2, SampleIntervalS: 1, PeakMemoryUsedBytes: 1 << 30, EnergyJ: 200, AvgPowerW: 100}
	b, err = json.Marshal(ok)
	require.NoError(t, err)
	m = nil
	require.NoError(t, json.Unmarshal(b, &m))
	require.Equal(t, 0.0, m["avg_utilization_pct"], "a measured 0%% stays")
	require.Equal(t, 200.0, m["energy_j"])
	require.Equal(t, 1.0, m["sample_interval_s"])
	var back Telemetry
	require.NoError(t, json.Unmarshal(b, &back))
	require.Equal(t, *ok, back)

	mk := func(tl *Telemetry) *Result {
		r := synthSummary(synthRecords(20, 3)).Result(testMeta)
		r.Telemetry = tl
		return r
	}
	merged, err := Merge(mk(none), mk(&Telemetry{Status: TelemetryNoNVML}))
	require.NoError(t, err)
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, merged))
	require.NotContains(t, buf.String(), "is not merged")
	merged, err = Merge(mk(none), mk(ok))
	require.NoError(t, err)
	require.Contains(t, merged.Warnings, "GPU telemetry of 1 input(s) is not merged (per-host device samples): read it from the inputs")
}

package results

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// seedResult is a sim result of seed seed whose pools measured busy time.
func seedResult(t *testing.T, seed uint64, recs int, busy float64) *Result {
	t.Helper()
	m := testMeta
	m.Scenario.Seed = seed
	f := *testMeta.Fleet
	f.Pools = []PoolInfo{{Role: "prefill", Instances: 4, GPU: "h100", GPUsPerInstance: 4, GPUs: 16, BusySeconds: busy},
		{Role: "decode", Instances: 4, GPU: "h100", GPUsPerInstance: 4, GPUs: 16, BusySeconds: 2 * busy}}
	m.Fleet = &f
	return synthSummary(synthRecords(recs, seed)).Result(m)
}

// Two seeds of one simulation used to be refused as "different fleet"
// (merge compared the measured busy_seconds). The fleet is compared by
// configuration; measured seconds add.
func TestMergeTwoSeedsOfOneSim(t *testing.T) {
	a, b := seedResult(t, 1, 300, 100), seedResult(t, 2, 300, 150)
	m, err := Merge(a, b)
	require.NoError(t, err)
	require.Equal(t, a.Totals.Requests+b.Totals.Requests, m.Totals.Requests)
	require.Equal(t, 250.0, m.Fleet.Pools[0].BusySeconds)
	require.Equal(t, 500.0, m.Fleet.Pools[1].BusySeconds)
	want := roundSig(16*a.Window.DurationS + 16*b.Window.DurationS)
	require.Equal(t, want, m.Fleet.Pools[0].GPUSeconds, "separate simulated fleets: GPU time adds")
	require.Equal(t, []uint64{1, 2}, m.Extra["merged_seeds"])

	// A configuration difference is still a different fleet.
	c := seedResult(t, 3, 300, 100)
	c.Fleet.Pools[0].GPU = "h200"
	_, err = Merge(a, c)
	require.ErrorContains(t, err, "different fleet")
}

// `merge a.json a.json` used to double every count silently.
func TestMergeRefusesDuplicates(t *testing.T) {
	a, b := seedResult(t, 1, 100, 10), seedResult(t, 2, 100, 10)
	_, err := Merge(a, b, a)
	require.ErrorContains(t, err, "result 3 is identical to result 1: merging it would count every request twice")
	copyOfA := *a
	_, err = Merge(a, &copyOfA)
	require.ErrorContains(t, err, "identical")
}

// Histograms that disagree with the counters used to merge.
func TestMergeChecksConsistency(t *testing.T) {
	cases := []struct {
		name   string
		change func(r *Result)
		want   string
	}{
		{"percentile count vs histogram", func(r *Result) { r.Classes["chat"].TTFT.Count += 5 }, `class "chat": ttft_ms count`},
		{"more samples than completions", func(r *Result) {
			c := r.Classes["chat"]
			c.Completed, c.Errors = c.Completed-10, c.Errors+10
			c.ErrorsByClass["timeout"] += 10
			r.Totals.Completed, r.Totals.Errors = r.Totals.Completed-10, r.Totals.Errors+10
		}, "samples but only"},
		{"totals not the sum", func(r *Result) { r.Totals.Requests++; r.Totals.Completed++ }, "totals ("},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a, b := seedResult(t, 1, 300, 10), seedResult(t, 2, 300, 10)
			tc.change(b)
			_, err := Merge(a, b)
			require.ErrorContains(t, err, "result 2")
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// Every Extra key has a rule: equal values are kept; counters add;
// high-water marks take the largest; event lists concatenate; token
// counts add; anything else that differs is kept per input (never the
// first input's value alone).
func TestMergeExtraRules(t *testing.T) {
	a, b := seedResult(t, 1, 100, 10), seedResult(t, 2, 100, 10)
	a.Extra = map[string]any{"model": "m", "target": "http://a/v1", "events": 10.0, "virtual_end_s": 5.0,
		"incidents": []any{"x"}, "only_a": true,
		"token_counts": map[string]any{"tokenizer": "cl100k_base", "from_usage": 3.0, "mismatches": 1.0}}
	b.Extra = map[string]any{"model": "m", "target": "http://b/v1", "events": 32.0, "virtual_end_s": 9.0,
		"incidents":    []any{"y", "z"},
		"token_counts": map[string]any{"tokenizer": "cl100k_base", "from_usage": 4.0, "mismatches": 0.0}}
	m, err := Merge(a, b)
	require.NoError(t, err)
	require.Equal(t, "m", m.Extra["model"])
	require.Equal(t, []any{"http://a/v1", "http://b/v1"}, m.Extra["target"])
	require.Equal(t, 42.0, m.Extra["events"])
	require.Equal(t, 9.0, m.Extra["virtual_end_s"])
	require.Equal(t, []any{"x", "y", "z"}, m.Extra["incidents"])
	require.Equal(t, true, m.Extra["only_a"], "a key only one input has is kept")
	require.Equal(t, map[string]any{"tokenizer": "cl100k_base", "from_usage": 7.0, "mismatches": 1.0}, m.Extra["token_counts"])

	b.Extra["token_counts"] = map[string]any{"tokenizer": "o200k_base", "from_usage": 4.0}
	m, err = Merge(a, b)
	require.NoError(t, err)
	require.Len(t, m.Extra["token_counts"], 2, "different tokenizers: kept per input")
}

// Warnings of every input survive; attribution is weighted by busy time;
// telemetry that cannot merge is said so, not dropped silently.
func TestMergeWarningsAttributionTelemetry(t *testing.T) {
	a, b := seedResult(t, 1, 100, 10), seedResult(t, 2, 100, 30)
	a.Warnings = []string{"token mismatch in a"}
	b.Warnings = []string{"token mismatch in a", "interrupted b"}
	a.Attribution = map[string]map[string]float64{"chat": {"prefill": 1}, "agent": {"prefill": 0}}
	b.Attribution = map[string]map[string]float64{"chat": {"prefill": 0.5}, "agent": {"prefill": 0.5}}
	b.Telemetry = &Telemetry{Status: TelemetryOK, Rounds: 2} // sampled: its devices' samples do not merge
	m, err := Merge(a, b)
	require.NoError(t, err)
	require.Contains(t, m.Warnings, "token mismatch in a")
	require.Contains(t, m.Warnings, "interrupted b")
	require.Contains(t, m.Warnings[len(m.Warnings)-1], "GPU telemetry of 1 input(s) is not merged")
	require.InDelta(t, (1*10+0.5*30)/40.0, m.Attribution["chat"]["prefill"], 1e-9)
	require.InDelta(t, (0*10+0.5*30)/40.0, m.Attribution["agent"]["prefill"], 1e-9)
}

// A merged result used to carry only the summed GPU-hours and USD: its cost
// said "cost over 0 s", every pool's price was 0 and no class had a cost.
// The cost model recomputes it over the merged window and fleet, keeping
// the prices the inputs were priced with.
func TestMergeRecomputesCost(t *testing.T) {
	a, b := seedResult(t, 1, 300, 100), seedResult(t, 2, 300, 150)
	for _, r := range []*Result{a, b} {
		require.NoError(t, ApplyCost(r, CostInputs{GPUHourUSD: map[string]float64{"h100": 3}}))
	}
	m, err := Merge(a, b)
	require.NoError(t, err)
	require.NotNil(t, m.Cost)
	require.Equal(t, m.Window.DurationS, m.Cost.WindowS)
	require.InEpsilon(t, a.Cost.GPUHours+b.Cost.GPUHours, m.Cost.GPUHours, 1e-5, "separate simulated fleets: GPU time adds")
	require.InEpsilon(t, a.Cost.USD+b.Cost.USD, m.Cost.USD, 1e-5)
	for _, k := range []string{"prefill", "decode"} {
		pc := m.Cost.ByPool[k]
		require.NotNil(t, pc, k)
		require.Equal(t, 3.0, pc.USDPerGPUHour, k)
		require.Equal(t, PriceOverride, pc.PriceSource, k)
		require.Equal(t, "h100", pc.GPU, k)
	}
	for n, c := range m.Classes {
		require.NotNil(t, c.Cost, n)
	}
}

package results

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Autoscaler and failure events and the scraped server metrics reach the
// table, both from an in-process result and from its JSON.
func TestRenderEvents(t *testing.T) {
	r := synthSummary(synthRecords(50, 1)).Result(testMeta)
	r.Extra = map[string]any{
		"scale_events": []map[string]any{{"t_s": 12.5, "pool": "decode", "from": 2, "to": 3, "metric": 0.91}},
		"incidents":    []map[string]any{{"at_s": 30.0, "pool": "decode", "instance": 1, "requests_lost": 4}},
	}
	r.ServerMetrics = &ServerMetrics{Summary: ServerMetricsSummary{PrefixCacheHitRate: 0.4, PrefixCacheHitRateSource: "counters",
		KVUsage: GaugeStat{Mean: 0.25, Max: 0.5, N: 10}}}
	want := "\nserver metrics (scraped)\n  prefix-cache hit rate 40.0% (counters)\n  KV-cache usage mean 25.0%, max 50.0%\n" +
		"\nevents\n  autoscaler t=12.5s from=2 metric=0.91 pool=decode to=3\n  failure t=30s instance=1 pool=decode requests_lost=4\n"
	var b bytes.Buffer
	require.NoError(t, RenderEvents(&b, r))
	require.Equal(t, want, b.String())

	raw, err := json.Marshal(r)
	require.NoError(t, err)
	var back Result
	require.NoError(t, json.Unmarshal(raw, &back))
	b.Reset()
	require.NoError(t, RenderEvents(&b, &back))
	require.Equal(t, want, b.String())
}

// The intended-time rows join the table for client-measured results only.
func TestTableIntendedRowsForEndpoints(t *testing.T) {
	s := synthSummary(synthRecords(50, 1))
	meta := testMeta
	var b bytes.Buffer
	meta.Backend = "sim"
	require.NoError(t, RenderTable(&b, s.Result(meta)))
	require.NotContains(t, b.String(), "schedule delay")
	require.NotContains(t, b.String(), "intended")
	b.Reset()
	meta.Backend = "endpoint"
	require.NoError(t, RenderTable(&b, s.Result(meta)))
	require.Contains(t, b.String(), "schedule delay")
	require.Contains(t, b.String(), "TTFT from intended send")
}

// TestTableLabelsAlign: every row label starts in the first column, the
// endpoint's long intended-time labels too (shorter labels were pushed
// right by the right-aligned column before).
func TestTableLabelsAlign(t *testing.T) {
	s := synthSummary(synthRecords(50, 1))
	for _, backend := range []string{"sim", "endpoint"} {
		meta := testMeta
		meta.Backend = backend
		var b bytes.Buffer
		require.NoError(t, RenderTable(&b, s.Result(meta)))
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(l, "  ") && strings.Contains(l, "p50/p90/p99") {
				require.False(t, strings.HasPrefix(l, "   "), "%s: %q", backend, l)
			}
		}
	}
}

// sim's failure events carry the incident's SLO attainment and hit rate as
// *float64 (absent: nil): the in-process table printed their addresses
// ("cache_hit_rate_during=0x15bb9361e680"). Values print, nil is "-", the
// same from the JSON.
func TestEventPointersPrintTheirValues(t *testing.T) {
	hit, att := 0.25, 0.997
	r := synthSummary(synthRecords(50, 1)).Result(testMeta)
	r.Extra = map[string]any{"incidents": []map[string]any{{"at_s": 60.0, "pool": "decode", "instance": 0,
		"cache_hit_rate_during": &hit, "slo_attainment_during": &att, "requests_during": int64(246), "missing": (*float64)(nil)}}}
	want := "failure t=60s cache_hit_rate_during=0.25 instance=0 missing=- pool=decode requests_during=246 slo_attainment_during=0.997"
	require.Equal(t, []string{want}, EventLines(r))
	raw, err := json.Marshal(r)
	require.NoError(t, err)
	var back Result
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, []string{want}, EventLines(&back))
}

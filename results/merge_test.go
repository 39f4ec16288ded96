package results

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// withoutGauges returns a copy of r's JSON with timeline gauges removed:
// merged gauge means are rebuilt from rounded file values, so they are
// compared approximately instead.
func withoutGauges(t *testing.T, r *Result) string {
	t.Helper()
	c := *r
	if r.Timeline != nil {
		tl := *r.Timeline
		tl.Gauges = nil
		c.Timeline = &tl
	}
	return string(resultJSON(t, &c))
}

func TestMergeSplitEqualsUnsplit(t *testing.T) {
	recs := synthRecords(900, 21)
	whole := synthSummary(recs).Result(testMeta)
	splits := map[string]func(i int) bool{
		"interleaved": func(i int) bool { return i%2 == 0 },
		"in time":     func(i int) bool { return i < 300 },
		"one empty":   func(int) bool { return true },
	}
	for name, first := range splits {
		t.Run(name, func(t *testing.T) {
			var a, b []Record
			for i, r := range recs {
				if first(i) {
					a = append(a, r)
				} else {
					b = append(b, r)
				}
			}
			ra, rb := synthSummary(a).Result(testMeta), synthSummary(b).Result(testMeta)
			// Through the file format, as `fleetbench merge` does.
			da, err := Decode(bytes.NewReader(resultJSON(t, ra)), "a.json")
			require.NoError(t, err)
			db, err := Decode(bytes.NewReader(resultJSON(t, rb)), "b.json")
			require.NoError(t, err)
			m, err := Merge(db, da) // order does not matter
			require.NoError(t, err)
			require.Equal(t, withoutGauges(t, whole), withoutGauges(t, m))
			for g, ws := range whole.Timeline.Gauges {
				ms := m.Timeline.Gauges[g]
				require.NotNil(t, ms, g)
				require.Equal(t, ws.N, ms.N, g)
				require.Equal(t, ws.Max, ms.Max, g)
				require.InDeltaSlice(t, ws.Mean, ms.Mean, 1e-4, g)
			}
		})
	}
}

func TestMergeIsIdempotentOnOne(t *testing.T) {
	r := synthSummary(synthRecords(200, 22)).Result(testMeta)
	m, err := Merge(r)
	require.NoError(t, err)
	require.Equal(t, string(resultJSON(t, r)), string(resultJSON(t, m)))
}

func TestMergeDoublesCounts(t *testing.T) {
	r := synthSummary(synthRecords(200, 23)).Result(testMeta)
	require.NoError(t, ApplyCost(r, CostInputs{GPUHourUSD: map[string]float64{"h100": 2.5}}))
	r2 := *r
	r2.Scenario.Seed++ // another seed that happened to measure the same
	m, err := Merge(r, &r2)
	require.NoError(t, err)
	require.Equal(t, 2*r.Totals.Requests, m.Totals.Requests)
	require.Equal(t, 2*r.Classes["chat"].TTFT.Count, m.Classes["chat"].TTFT.Count)
	require.Equal(t, r.Classes["chat"].TTFT.P99, m.Classes["chat"].TTFT.P99)
	require.InEpsilon(t, 2**r.Totals.GoodputRPS, *m.Totals.GoodputRPS, 1e-5)
	require.InEpsilon(t, 2*r.Cost.GPUHours, m.Cost.GPUHours, 1e-5, "separate simulated fleets: GPU time adds")
	require.InEpsilon(t, 2*r.Cost.ByPool["prefill"].USD, m.Cost.ByPool["prefill"].USD, 1e-5)
}

func TestMergeRejectsIncompatible(t *testing.T) {
	base := func() *Result { return synthSummary(synthRecords(120, 24)).Result(testMeta) }
	tests := []struct {
		name   string
		change func(r *Result)
		want   string
	}{
		{"backend", func(r *Result) { r.Backend = "endpoint" }, "backend"},
		{"scenario", func(r *Result) { r.Scenario.Name = "other" }, "only shards of one scenario merge"},
		{"hash", func(r *Result) { r.Scenario.Hash = "sha256:def" }, "only shards of one scenario merge"},
		{"fleet", func(r *Result) { r.Fleet = &FleetInfo{Spec: "2P2D"} }, "different fleet"},
		{"kind", func(r *Result) { r.Classes["chat"].Kind = "agent" }, `class "chat" is "agent" here`},
		{"slo", func(r *Result) { r.Classes["chat"].SLO.Targets[0].Bound = 1 }, `class "chat" has a different SLO`},
		{"schema", func(r *Result) { r.Schema = "x" }, "schema"},
		{"histogram", func(r *Result) { r.Histograms["chat"]["ttft_ms"] = "AAAA" }, "histograms.chat.ttft_ms: not a fleetbench histogram"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := base()
			tc.change(r)
			_, err := Merge(base(), r)
			require.ErrorContains(t, err, tc.want)
			require.ErrorContains(t, err, "result 2")
		})
	}
	_, err := Merge()
	require.Error(t, err)
	_, err = Merge(nil)
	require.Error(t, err)
}

func TestMergeDifferentSeedsRecorded(t *testing.T) {
	a := synthSummary(synthRecords(100, 25)).Result(testMeta)
	meta := testMeta
	meta.Scenario.Seed = 43
	b := synthSummary(synthRecords(100, 26)).Result(meta)
	m, err := Merge(a, b)
	require.NoError(t, err)
	require.Equal(t, []uint64{42, 43}, m.Extra["merged_seeds"])
}

// Server metrics scraped by two load hosts survive a merge of their results.
func TestMergeKeepsServerMetrics(t *testing.T) {
	a := synthSummary(synthRecords(100, 31)).Result(testMeta)
	b := synthSummary(synthRecords(100, 32)).Result(testMeta)
	a.ServerMetrics = &ServerMetrics{Endpoints: []*EndpointMetrics{testEndpoint("http://a/metrics", []float64{0.2}, 10, 40, 0)}}
	a.ServerMetrics.Finish()
	b.ServerMetrics = &ServerMetrics{Endpoints: []*EndpointMetrics{testEndpoint("http://b/metrics", []float64{0.6}, 30, 60, 1)}}
	b.ServerMetrics.Finish()
	m, err := Merge(a, b)
	require.NoError(t, err)
	require.NotNil(t, m.ServerMetrics)
	require.Len(t, m.ServerMetrics.Endpoints, 2)
	require.Equal(t, 40.0, m.ServerMetrics.Summary.PrefixCacheHits)
}

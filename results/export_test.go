package results

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// The CSV and markdown exports of a result are golden: every latency
// metric of every class and the totals, with mean, std and the chosen
// percentiles from the histograms.
func TestExportGolden(t *testing.T) {
	meta := testMeta
	meta.Backend = "endpoint" // the synthetic records have client-side delays
	r := synthSummary(synthRecords(600, 1)).Result(meta)
	qs := []float64{50, 75, 90, 95, 99}
	var c, m bytes.Buffer
	require.NoError(t, RenderCSV(&c, r, qs))
	require.NoError(t, RenderMarkdown(&m, r, qs))
	golden(t, "export.golden.csv", c.Bytes())
	golden(t, "export.golden.md", m.Bytes())

	// Without histograms: the summary's percentiles, no std, p75 absent.
	r.Histograms = nil
	rows, err := ExportRows(r, qs)
	require.NoError(t, err)
	require.NotEmpty(t, rows)
	for _, row := range rows {
		require.Nil(t, row.Std, row.Metric)
		require.Nil(t, row.Percentiles[1], "p75 is not in the summary")
		require.NotNil(t, row.Percentiles[0])
	}
}

func TestParsePercentiles(t *testing.T) {
	qs, err := ParsePercentiles("50, 90,p99.9")
	require.NoError(t, err)
	require.Equal(t, []float64{50, 90, 99.9}, qs)
	for _, bad := range []string{"", "0", "101", "50,50", "x"} {
		_, err := ParsePercentiles(bad)
		require.Error(t, err, bad)
	}
}

// TestExportLeavesClientMetricsOutOfSimResults: TTFT and E2E from the
// intended send time and the schedule delay are client-side metrics; the
// simulator has no client (they equal TTFT, E2E and 0), so a sim result's
// CSV and markdown leave them out, as its table does. Before, `report
// --format csv` of `sim chat --duration 30s` listed ttft_intended,
// e2e_intended and schedule_delay rows.
func TestExportLeavesClientMetricsOutOfSimResults(t *testing.T) {
	client := map[string]bool{"ttft_intended": true, "e2e_intended": true, "schedule_delay": true}
	for _, backend := range []string{"sim", "endpoint"} {
		m := testMeta
		m.Backend = backend
		r := synthSummary(synthRecords(600, 1)).Result(m)
		rows, err := ExportRows(r, DefaultExportPercentiles)
		require.NoError(t, err)
		seen := map[string]bool{}
		for _, row := range rows {
			seen[row.Metric] = true
		}
		for name := range client {
			require.Equal(t, backend != "sim", seen[name], "%s result, %s", backend, name)
		}
		require.True(t, seen["ttft"])
		var c bytes.Buffer
		require.NoError(t, RenderCSV(&c, r, DefaultExportPercentiles))
		require.Equal(t, backend != "sim", bytes.Contains(c.Bytes(), []byte("ttft_intended")))
	}
}

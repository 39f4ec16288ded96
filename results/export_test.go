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
	r := synthSummary(synthRecords(600, 1)).Result(testMeta)
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

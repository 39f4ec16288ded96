package scale

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// scale --format csv wrote 0 for what a level does not have: gpus and
// gpus_per_1k_rps of a level no fleet answers ("8x: no fleet up to 2
// instances per pool meets every SLO"), linear_gpus and saving of the
// first level (nothing to scale from). The JSON left them out, and left
// out a measured saving of 0 too (saving omitempty: 2x on 8 GPUs against
// linear 8). CSV cells are empty where the level has no figure; the JSON
// keeps a saving of 0 where linear_gpus is set.
func TestCSVAndJSONLeaveOutOnlyWhatIsAbsent(t *testing.T) {
	f := &Factors{RequestsPerS: 6, TokensPerRequest: 1000, BusyGPUSecondsPerToken: 0.0006, BindingUtilization: 1, Balance: 1, GPUsPerRPS: 0.66}
	f2 := *f
	f2.RequestsPerS = 12
	c := &Curve{Schema: Schema, Levels: []Level{
		{Index: 0, Traffic: 1, Fleet: "1C", Kind: "colocated", GPUs: 4, GPUsPer1kRPS: 666, Factors: f},
		{Index: 1, Traffic: 2, Fleet: "2C", Kind: "colocated", GPUs: 8, GPUsPer1kRPS: 666, Factors: &f2},
		{Index: 2, Traffic: 8, Note: "no fleet up to 2 instances per pool meets every SLO at 8x"},
	}}
	Decompose(c)
	var b bytes.Buffer
	require.NoError(t, Render(&b, c, "csv"))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	col := func(row int, name string) string {
		for i, h := range rows[0] {
			if h == name {
				return rows[row][i]
			}
		}
		t.Fatalf("no column %s in %v", name, rows[0])
		return ""
	}
	require.Equal(t, "", col(1, "linear_gpus"), "first level: nothing to scale from")
	require.Equal(t, "", col(1, "saving"))
	require.Equal(t, "8", col(2, "linear_gpus"))
	require.Equal(t, "0", col(2, "saving"), "a measured saving of 0")
	for _, k := range []string{"gpus", "gpus_per_1k_rps", "linear_gpus", "saving"} {
		require.Equal(t, "", col(3, k), "no answer at 8x: %s", k)
	}
	seen := map[string]bool{}
	for _, h := range rows[0] {
		require.False(t, seen[h], "column %s twice", h)
		seen[h] = true
	}

	b.Reset()
	require.NoError(t, WriteJSON(&b, c))
	var back struct {
		Levels []map[string]any `json:"levels"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &back))
	require.Equal(t, 0.0, back.Levels[1]["saving"])
	_, ok := back.Levels[0]["saving"]
	require.False(t, ok)
}

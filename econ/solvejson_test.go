package econ

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// price --format json wrote "break_even": 0 for a solve with no answer
// ("loses money at any hit rate", "nothing was billed at this price"),
// beside ok: false: a 0 a reader takes for a figure. It is null now; a
// solve whose answer is out of range (utilization 4.6: ok false) keeps
// its figure, and a covered price its 0.
func TestSolveWithoutAnswerIsNull(t *testing.T) {
	none := Book{Components: []Component{{Name: "output_per_mtok", Price: 1}}, Cost: 1}.BreakEvenPrice("output_per_mtok")
	require.False(t, none.OK)
	b, err := json.Marshal(none)
	require.NoError(t, err)
	require.Contains(t, string(b), `"break_even":null`)

	out := Solve{Variable: "utilization", Current: 0.7, BreakEven: 4.6, Note: "needs 460% utilization"}
	b, err = json.Marshal(out)
	require.NoError(t, err)
	require.Contains(t, string(b), `"break_even":4.6`)

	covered := Solve{Variable: "output_per_mtok", OK: true, Note: CoveredNote}
	b, err = json.Marshal(covered)
	require.NoError(t, err)
	require.Contains(t, string(b), `"break_even":0`)

	var back Solve
	require.NoError(t, json.Unmarshal([]byte(`{"variable":"x","break_even":null,"ok":false}`), &back))
	require.Equal(t, "x", back.Variable)
}

// price --format json listed the lines the list does not set ("per_task":
// price 0, volume 136, amount 0), read as tasks given away; the table
// already left them out, and now the JSON does too.
func TestAnalysisListsOnlyTheListsLines(t *testing.T) {
	b := Book{Components: []Component{{Name: "output_per_mtok", Price: 1, Volume: 2, Amount: 2}, {Name: "per_task", Volume: 136}}, Cost: 1}
	a := Analyze("x", "USD", b, 0)
	require.Len(t, a.Lines, 1)
	require.Equal(t, "output_per_mtok", a.Lines[0].Name)
}

// price --format json wrote its lines with Go's field names ("Name",
// "Price", "Volume", "Amount": Component had no json tags) where every
// other key is snake_case, and neither the JSON nor the table said what
// the volume counts (Mtok, tasks or video seconds, by line). The keys are
// snake_case now, each line says its volume's unit, and the table gives
// the price and the volume their units.
func TestAnalysisLinesJSONKeysAndUnits(t *testing.T) {
	b := Book{Components: []Component{
		{Name: "input_per_mtok", Price: 0.27, Volume: 0.5, Amount: 0.135},
		{Name: "per_task", Price: 0.01, Volume: 136, Amount: 1.36},
		{Name: "per_video_second", Price: 0.1, Volume: 12.5, Amount: 1.25},
	}, Cost: 1}
	a := Analyze("x", "USD", b, 0)
	raw, err := json.Marshal(a)
	require.NoError(t, err)
	var got struct {
		Lines []map[string]any `json:"lines"`
	}
	require.NoError(t, json.Unmarshal(raw, &got))
	require.Len(t, got.Lines, 3)
	require.Equal(t, map[string]any{"name": "input_per_mtok", "price": 0.27, "volume": 0.5, "volume_unit": "Mtok", "amount": 0.135}, got.Lines[0])
	require.Equal(t, "tasks", got.Lines[1]["volume_unit"])
	require.Equal(t, "video_seconds", got.Lines[2]["volume_unit"])

	var tb strings.Builder
	require.NoError(t, a.Render(&tb))
	require.Regexp(t, `input_per_mtok\s+0\.27 USD/Mtok\s+0\.5 Mtok\s+0\.135`, tb.String())
	require.Regexp(t, `per_task\s+0\.01 USD/task\s+136 tasks\s+1\.36`, tb.String())
	require.Regexp(t, `per_video_second\s+0\.1 USD/video s\s+12\.5 video s\s+1\.25`, tb.String())
}

// The JSON carries no binary floating-point noise: 0.27 x 0.0806 was
// written 0.021762000000000004 and a markup of 117.62% 117.61999999999999.
func TestAnalysisJSONHasNoFloatNoise(t *testing.T) {
	price, vol := 0.27, 0.0806 // variables: constant arithmetic would be exact
	b := Book{Components: []Component{{Name: "input_per_mtok", Price: price, Volume: vol, Amount: price * vol}}, Cost: 0.01}
	raw, err := json.Marshal(Analyze("x", "USD", b, 0))
	require.NoError(t, err)
	require.Contains(t, string(raw), `"amount":0.021762}`)
	require.Contains(t, string(raw), `"markup_pct":117.62,`)
	require.NotRegexp(t, `0000000|9999999`, string(raw), "no digits of float noise anywhere")
}

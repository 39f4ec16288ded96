package econ

import (
	"encoding/json"
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

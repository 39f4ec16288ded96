package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRepeatTableSaysWhichRun: sim chat --requests 200 --repeat 3 printed
// seed 1's table with no word that two more runs were made, nor that the
// figures are the first run's rather than a mean: a reader takes them
// for the three runs' result. The table now says so, with the spread of
// the headline latencies, in the table and for a file read back.
func TestRepeatTableSaysWhichRun(t *testing.T) {
	run := func(seed uint64, ttft int64) *Result {
		s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat"}}, 0)
		for i := range int64(20) {
			at := i * 1e8
			s.Add(&Record{Class: "chat", Kind: "chat", Intended: at, Sent: at, FirstToken: at + ttft, LastToken: at + ttft + 1e8, OutputTokens: 5, TaskDone: true})
		}
		return s.Result(Meta{Backend: "sim", Scenario: ScenarioInfo{Name: "chat", Seed: seed, Hash: "h"}})
	}
	r, err := Repeats([]*Result{run(1, 5e7), run(2, 8e7), run(3, 6e7)})
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	want := "repeats: 3 runs (seeds 1, 2, 3); the figures below are the first run's (seed 1), not a mean; over the 3 runs total TTFT p99 "
	require.Contains(t, b.String(), want)

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, r))
	back, err := Decode(&js, "rep.json")
	require.NoError(t, err)
	b.Reset()
	require.NoError(t, RenderTable(&b, back))
	require.Contains(t, b.String(), want)

	b.Reset()
	require.NoError(t, RenderMarkdown(&b, back, []float64{50, 99}))
	require.Contains(t, b.String(), "> "+want)

	b.Reset()
	require.NoError(t, RenderTable(&b, run(1, 5e7)))
	require.NotContains(t, b.String(), "repeats:")
}

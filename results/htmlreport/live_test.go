package htmlreport

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// A live sweep with a prediction draws measured and predicted curves on
// one chart, with both max loads marked.
func TestLiveSweepChart(t *testing.T) {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: results.ScenarioInfo{Name: "live", Seed: 1}, Search: sweepfile.SearchMaxLoad,
		Target: "http://127.0.0.1:8000/v1", PredictedFleet: "1C"}
	for i, rs := range []float64{1, 1.25, 1.5, 2} {
		m := map[string]float64{"ttft_p99_ms": 200 * rs, "delivered_tok_s": 600 * rs}
		s.Points = append(s.Points, sweepfile.Point{Index: i, Fleet: "endpoint", RateScale: rs, MeetsSLO: rs < 1.5, Metrics: m})
		s.Predicted = append(s.Predicted, sweepfile.Point{Index: i, Fleet: "1C", RateScale: rs, MeetsSLO: rs <= 1.5, Metrics: m})
	}
	s.Answer = &s.Points[1]
	s.PredictedAnswer = &s.Predicted[2]
	var b bytes.Buffer
	require.NoError(t, Render(&b, Input{Sweeps: []SweepRun{{Label: "live", Sweep: s}}}))
	for _, want := range []string{"Measured vs predicted", "measured TTFT p99", "predicted TTFT p99", "predicted tok/s", "measured max load", "predicted max load"} {
		require.Contains(t, b.String(), want)
	}
}

// report --html of a live max-load read "Answer: endpoint · ×2 load 0
// GPUs" and a GPUs column of 0s: a live endpoint's GPU count is unknown,
// not 0. And its stopped steps' rows read as whole measurements (TTFT
// p99 415 ms under the lower step's 460, attainment 0.0%). The count is
// "–" and left out of the answer; a stopped step's verdict says so.
func TestLiveSweepTableHasNoGPUCountAndMarksStoppedSteps(t *testing.T) {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: results.ScenarioInfo{Name: "live", Seed: 1}, Search: sweepfile.SearchMaxLoad,
		Target: "http://127.0.0.1:8000/v1", Points: []sweepfile.Point{
			{Index: 0, Fleet: "endpoint", RateScale: 2, MeetsSLO: true, Metrics: map[string]float64{"ttft_p99_ms": 268}},
			{Index: 1, Fleet: "endpoint", RateScale: 4, Stopped: "stopped early: 1 request(s) over its TTFT p99 bound", Metrics: map[string]float64{"ttft_p99_ms": 415}},
		}}
	s.Answer = &s.Points[0]
	tb, _ := pointTable(s)
	for _, r := range tb.Rows {
		require.Equal(t, "–", r.Cells[1].Text, "GPUs of a live endpoint")
	}
	require.Equal(t, "missed · stopped early: figures cover what finished before the stop", tb.Rows[1].Cells[3].Text)
	require.NotContains(t, answerLine(s.Answer), "GPU")
}

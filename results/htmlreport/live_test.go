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

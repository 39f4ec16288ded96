package sweep

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// A live max-load against serve printed a stopped step's row "4x MISSED
// ... ttft p99 415 / 632 ... tok/s 6.605 / 546.9" beside the 3x row's
// p99 460: figures of the few requests that finished before the stop,
// read as the step's (its p99 under the lower step's, its tok/s a
// hundredth of the prediction), with nothing on the row to say so. A
// stopped step's measured cells are marked, with a footnote; the verdict
// (MISSED: already certain) and the predicted cells are not.
func TestLiveStoppedStepFiguresMarked(t *testing.T) {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Target: "http://127.0.0.1:1/v1", PredictedFleet: "1C",
		Points: []sweepfile.Point{
			{Index: 0, RateScale: 1, MeetsSLO: true, Metrics: map[string]float64{"ttft_p99_ms": 161, "delivered_tok_s": 439.8}},
			{Index: 1, RateScale: 4, Stopped: "stopped early: 1 request(s) of class chat over its TTFT p99 bound", Metrics: map[string]float64{"ttft_p99_ms": 415, "delivered_tok_s": 6.605}},
		},
		Predicted: []sweepfile.Point{
			{Index: 0, RateScale: 1, MeetsSLO: true, Metrics: map[string]float64{"ttft_p99_ms": 161, "delivered_tok_s": 440}},
			{Index: 1, RateScale: 4, Metrics: map[string]float64{"ttft_p99_ms": 632, "delivered_tok_s": 546.9}},
		}}
	for _, format := range []string{"table", "markdown"} {
		var b bytes.Buffer
		require.NoError(t, Render(&b, s, format))
		out := b.String()
		require.Contains(t, out, "415* / 632", format)
		require.Contains(t, out, "6.605* / 546.9", format)
		require.Contains(t, out, "161 / 161", format)
		require.Contains(t, out, "* step stopped early: its figures cover only the requests that finished before the stop (tail latencies biased low, tok/s not a throughput); its verdict stands", format)
	}
}

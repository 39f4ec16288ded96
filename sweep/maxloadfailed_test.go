package sweep

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// A live max-load against an endpoint that refused every connection
// halved its load step after step (1x, 0.5x, ... 1/256x), each step a
// real run of up to the scenario's duration, and a simulated one whose
// every request was too long for the KV cache ended "no request of class
// huge arrived ... at 0.015625x": every request failed at every load,
// which less traffic does not change. The search stops once a class has
// failed whole at two loads running, saying so; a class that failed only
// under overload (it completes at half the load) still brackets (timeouts may clear at lower load).
func TestMaxLoadStopsWhenAClassFailsAtEveryLoad(t *testing.T) {
	dead := func(p Point) sweepfile.Point {
		return sweepfile.Point{Fleet: "endpoint", RateScale: p.RateScale, FailedClasses: []string{"chat"},
			FailedErrors: map[string]map[string]int64{"chat": {"connect": 5}}, Metrics: map[string]float64{}}
	}
	var sw sweepfile.Sweep
	require.NoError(t, MaxLoad(Spec{Search: sweepfile.SearchMaxLoad}, []Point{{Fleet: "endpoint", RateScale: 1}}, 1, dead, &sw))
	require.Len(t, sw.Points, 2)
	require.Equal(t, []string{"endpoint: no answer: every request of class chat failed at 1× and at 0.5× the scenario's traffic (chat: 5 connect at 0.5×): less traffic does not change that; run one step or point alone to see the errors"}, sw.Notes)

	overload := func(p Point) sweepfile.Point {
		sp := sweepfile.Point{Fleet: "endpoint", RateScale: p.RateScale, Metrics: map[string]float64{}}
		if p.RateScale >= 1 {
			sp.FailedClasses = []string{"chat"}
			sp.FailedErrors = map[string]map[string]int64{"chat": {"timeout": 5}}
		} else {
			sp.MeetsSLO = true
		}
		return sp
	}
	sw = sweepfile.Sweep{}
	require.NoError(t, MaxLoad(Spec{Search: sweepfile.SearchMaxLoad, Tolerance: 0.3}, []Point{{Fleet: "endpoint", RateScale: 4}}, 1, overload, &sw))
	require.Contains(t, strings.Join(sw.Notes, "\n"), "endpoint sustains 0.875× the scenario's traffic within its SLOs (misses them at 1×")
}

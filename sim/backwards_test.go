package sim

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
)

// An arrival before the simulated clock (a source out of order, or an
// input whose times overflowed: trace time_scale 1e-300, gamma cv 1e-300,
// repair_s 1e300 each reached the engine as a time in the past before
// validation bounded them) panicked "time went backwards". The engine
// refuses it with an error instead: bad input never panics.
func TestArrivalBeforeTheClockIsAnError(t *testing.T) {
	for _, at := range []int64{1e9, -1 << 62} {
		reqs := []*scenarios.Request{
			req(1, 5e9, 10, scenarios.Block{ID: 1, Tokens: 100}),
			req(2, at, 10, scenarios.Block{ID: 2, Tokens: 100}),
		}
		require.NotPanics(t, func() {
			_, _, err := RunSource(oneClass(), &sliceSource{reqs: reqs}, 1, unitCfg)
			require.ErrorContains(t, err, "request 2 arrives at")
			require.ErrorContains(t, err, "before the simulated clock (5")
		})
	}
}

// An event scheduled in the past (a duration derived from the input that
// overflowed the clock) is an error, not a panic.
func TestEventBeforeTheClockIsAnError(t *testing.T) {
	e, err := newEngine(oneClass(), &sliceSource{reqs: []*scenarios.Request{
		req(1, 0, 10, scenarios.Block{ID: 1, Tokens: 100})}}, 1, unitCfg)
	require.NoError(t, err)
	e.now = 2e9
	e.q.push(event{at: 1e9, kind: evSample})
	require.NotPanics(t, func() { e.runUntil(3e9) })
	require.ErrorContains(t, e.err, "an event at 1s is before the simulated clock (2s)")
}

package livesweep

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestQuantile: the SLO keys as quantiles, through results.ParsePercentile.
// Before, "p100" read as 0.100 ("0." + digits) and "p5" as 0.5.
func TestQuantile(t *testing.T) {
	for stat, want := range map[string]float64{"p50": 0.5, "p90": 0.9, "p99": 0.99, "p999": 0.999, "p9999": 0.9999, "p100": 1, "p5": 0.05, "p99.5": 0.995} {
		q, ok := quantile(stat)
		require.True(t, ok, stat)
		require.InDelta(t, want, q, 1e-12, stat)
	}
	for _, bad := range []string{"mean", "p", "max", "p100x", "p0", "p101", "p1000", "p-5"} {
		_, ok := quantile(bad)
		require.False(t, ok, bad)
	}
}

func TestMeanCI(t *testing.T) {
	m, h := meanCI([]float64{10, 12, 14})
	require.InDelta(t, 12, m, 1e-12)
	// sd 2, t(0.975, 2 df) 4.303: 4.303*2/sqrt(3).
	require.InDelta(t, 4.303*2/math.Sqrt(3), h, 1e-9)
	_, h = meanCI([]float64{5})
	require.True(t, math.IsNaN(h))
}

func TestCombineRepeats(t *testing.T) {
	reps := []sweepfile.Point{
		{MeetsSLO: true, Metrics: map[string]float64{"ttft_p99_ms": 100, "queue_p99_ms": 1}},
		{MeetsSLO: false, FellBehind: true, Stopped: "stopped early: x", Metrics: map[string]float64{"ttft_p99_ms": 120}},
	}
	p := combine(sweepfile.Point{Index: 3, RateScale: 2}, reps)
	require.Equal(t, 3, p.Index)
	require.Equal(t, 2, p.Repeats)
	require.False(t, p.MeetsSLO, "a step meets its SLOs only when every repeat did")
	require.True(t, p.FellBehind, "a step fell behind when any repeat did")
	require.InDelta(t, 110, p.Metrics["ttft_p99_ms"], 1e-9)
	require.InDelta(t, 12.706*math.Sqrt(200)/math.Sqrt(2), p.CI95["ttft_p99_ms"], 1e-6)
	_, ok := p.Metrics["queue_p99_ms"]
	require.False(t, ok, "a figure one repeat lacks has no mean: absent, not averaged over fewer")
	require.Contains(t, p.Stopped, "1 of 2 repeats")
}

// Saturation is the lowest step from which the endpoint delivers well
// under what was offered while TTFT p50 has at least doubled; a step cut
// short by the early stop is no evidence.
func TestSaturation(t *testing.T) {
	step := func(rs, offered, delivered, ttft float64) sweepfile.Point {
		return sweepfile.Point{RateScale: rs, Metrics: map[string]float64{"output_tok_s": offered, DeliveredKey: delivered, "ttft_p50_ms": ttft}}
	}
	pts := []sweepfile.Point{
		step(1, 600, 598, 70), step(1.25, 750, 740, 100), step(1.5, 900, 780, 180), step(2, 1200, 790, 500),
	}
	s := Saturation("measured", pts)
	require.NotNil(t, s)
	require.Equal(t, 1.5, s.RateScale)
	require.Contains(t, s.Evidence, "delivered 780 of 900")
	require.Contains(t, s.Evidence, "the step below (1.25×)")

	// Not saturated while delivery keeps up, however TTFT grows.
	require.Nil(t, Saturation("measured", []sweepfile.Point{step(1, 600, 598, 70), step(2, 1200, 1190, 400)}))
	// A stopped step does not count.
	cut := step(2, 1200, 100, 900)
	cut.Stopped = "stopped early"
	require.Nil(t, Saturation("measured", []sweepfile.Point{step(1, 600, 598, 70), cut}))

	// A kind-mixed scenario's TTFT pools chat turns with agent steps: the
	// evidence says so rather than quote it as a latency of requests.
	for i := range pts {
		pts[i].Kind = "mixed"
	}
	s = Saturation("measured", pts)
	require.NotNil(t, s)
	require.Contains(t, s.Evidence, "TTFT p50 (pooled over classes of different kinds) 180 ms")
}

// The stopper stops a step only once a percentile bound is provably
// missed: more than (1-q)·N requests over it.
func TestStopperStopsOnlyWhenProvable(t *testing.T) {
	sc, err := scenarios.Load("testdata/live.yaml")
	require.NoError(t, err)
	stopped := false
	s := newStopper(sc, 100, 0, func() { stopped = true })
	over := recordWithTTFT("chat", 500e6)
	s.see(over)
	require.False(t, stopped, "1 of 100 over the p99 bound may still be the 1%")
	s.see(recordWithTTFT("chat", 100e6))
	require.False(t, stopped)
	s.see(over)
	require.True(t, stopped, "2 of 100 over the bound: p99 is over it")
	require.Contains(t, s.reason(), "TTFT p99 bound of 400 ms")

	// Steps bounded by duration only are never stopped.
	stopped = false
	d := newStopper(sc, 0, 0, func() { stopped = true })
	for range 50 {
		d.see(over)
	}
	require.False(t, stopped)
}

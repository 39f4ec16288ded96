package sweepfile

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestLoadGates(t *testing.T) {
	gs, err := ParseLoadGates("max_load<-10%, max_load>+0.5")
	require.NoError(t, err)
	require.Len(t, gs, 2)
	require.True(t, gs[0].Relative)
	require.Equal(t, -10.0, gs[0].Threshold)
	for _, bad := range []string{"ttft.p99>+10%", "max_load", "max_load<x%", "max_load<NaN"} {
		_, err := ParseLoadGates(bad)
		require.Error(t, err, bad)
	}
	sw := func(load float64) *Sweep {
		p := Point{RateScale: load, MeetsSLO: true}
		return &Sweep{Search: SearchMaxLoad, Points: []Point{p}, Answer: &p}
	}
	change, failed, err := gs[0].Judge(sw(4), sw(2))
	require.NoError(t, err)
	require.Equal(t, -50.0, change)
	require.True(t, failed)
	_, failed, err = gs[0].Judge(sw(4), sw(3.8))
	require.NoError(t, err)
	require.False(t, failed, "-5% is within -10%")
	_, failed, err = gs[1].Judge(sw(1), sw(2))
	require.NoError(t, err)
	require.True(t, failed, "absolute: +1 > +0.5")
	// No answer: an error, never a pass.
	_, _, err = gs[0].Judge(sw(4), &Sweep{Search: SearchMaxLoad})
	require.Error(t, err)
}

// Shards of a live rate grid merge with their predictions.
func TestMergeLiveShards(t *testing.T) {
	shard := func(i int, sh string) *Sweep {
		p := Point{Index: i, Fleet: "endpoint", RateScale: float64(i + 1), MeetsSLO: true}
		q := Point{Index: i, Fleet: "1C", GPU: "h100", TP: 1, RateScale: float64(i + 1), MeetsSLO: true}
		return &Sweep{Schema: Schema, Grid: "g", Shard: sh, Target: "http://127.0.0.1:1/v1", PredictedFleet: "1C",
			Points: []Point{p}, Predicted: []Point{q}}
	}
	m, err := Merge(shard(1, "1/2"), shard(0, "0/2"))
	require.NoError(t, err)
	require.Equal(t, "http://127.0.0.1:1/v1", m.Target)
	require.Equal(t, "1C", m.PredictedFleet)
	require.Len(t, m.Predicted, 2)
	require.Equal(t, 0, m.Predicted[0].Index)
	require.Equal(t, 0, m.Points[0].Index)
}

package sweep

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

func TestGridPoints(t *testing.T) {
	base := sim.Config{Fleet: "2P4D", GPU: "h100", TP: 4, Routing: "cache-aware"}
	t.Run("defaults give the base point once", func(t *testing.T) {
		pts, err := Grid{}.Points(base)
		require.NoError(t, err)
		require.Equal(t, []Point{{Index: 0, Fleet: "2P4D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1}}, pts)
	})
	t.Run("fleets vary slowest, indexes are positions", func(t *testing.T) {
		pts, err := Grid{Fleets: []string{"1P1D", "2P2D"}, TPs: []int{2, 4}, RateScales: []float64{1, 2}}.Points(base)
		require.NoError(t, err)
		require.Len(t, pts, 8)
		for i, p := range pts {
			require.Equal(t, i, p.Index)
		}
		require.Equal(t, Point{Index: 5, Fleet: "2P2D", GPU: "h100", TP: 2, Routing: "cache-aware", RateScale: 2}, pts[5])
	})
	for _, tc := range []struct {
		name string
		g    Grid
		base sim.Config
		want string
	}{
		{"bad fleet", Grid{Fleets: []string{"2X"}}, base, "unknown role"},
		{"no fleet", Grid{}, sim.Config{}, "no fleet to sweep"},
		{"too many", Grid{Fleets: PDFleets(seq(1, 100), seq(1, 100)), RateScales: make([]float64, 11)}, base, "more than 100000"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.g.Points(tc.base)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func seq(a, b int) []int {
	var out []int
	for v := a; v <= b; v++ {
		out = append(out, v)
	}
	return out
}

func TestParseRange(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []int
		err  string
	}{
		{"4", []int{4}, ""},
		{"1..4", []int{1, 2, 3, 4}, ""},
		{"2..9:3", []int{2, 5, 8}, ""},
		{" 3 .. 3 ", []int{3}, ""},
		{"0..3", nil, "1 <= start"},
		{"5..2", nil, "1 <= start"},
		{"1..x", nil, "integers"},
		{"4:2", nil, "a step needs a range"},
		{"1..4:0", nil, "positive integer"},
		{"1..1000000", nil, "more than"},
		{"", nil, "integers"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := ParseRange("prefill", tc.in)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				require.ErrorContains(t, err, "--prefill")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, got)
		})
	}
}

func FuzzParseRange(f *testing.F) {
	for _, s := range []string{"1..8", "2..16:2", "4", "0..1", "1..99999:7", "..", ":"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseRange("x", s)
		if err != nil {
			return
		}
		require.NotEmpty(t, got)
		require.LessOrEqual(t, len(got), MaxPoints)
		for i, v := range got {
			require.GreaterOrEqual(t, v, 1)
			if i > 0 {
				require.Greater(t, v, got[i-1])
			}
		}
	})
}

func TestParseFloats(t *testing.T) {
	got, err := ParseFloats("rate-scale", "0.5, 1,2,4")
	require.NoError(t, err)
	require.Equal(t, []float64{0.5, 1, 2, 4}, got)
	for _, bad := range []string{"", "1,,2", "0", "-1", "NaN", "Inf", "x"} {
		_, err := ParseFloats("rate-scale", bad)
		require.ErrorContains(t, err, "--rate-scale", bad)
	}
}

func FuzzParseFloats(f *testing.F) {
	f.Add("0.5,1,2")
	f.Add("1e308,1e-308")
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseFloats("x", s)
		if err == nil {
			for _, v := range got {
				require.Greater(t, v, 0.0)
			}
		}
	})
}

func TestShardPartitionsTheGrid(t *testing.T) {
	pts, err := Grid{Fleets: PDFleets(seq(1, 3), seq(1, 4)), RateScales: []float64{1, 2}}.Points(sim.Config{GPU: "h100", TP: 4})
	require.NoError(t, err)
	for n := 1; n <= 5; n++ {
		seen := map[int]int{}
		for i := range n {
			for _, p := range Shard(pts, i, n) {
				require.Equal(t, i, p.Index%n)
				seen[p.Index]++
			}
		}
		require.Len(t, seen, len(pts), "n=%d", n)
		for idx, c := range seen {
			require.Equal(t, 1, c, "point %d in %d shards", idx, c)
		}
	}
}

func TestScaleFleetAndGPUs(t *testing.T) {
	for _, tc := range []struct {
		fleet string
		k     float64
		want  string
		gpus  int // at default TP 4
	}{
		{"2P4D", 10, "20P40D", 240},
		{"1P3D", 0.5, "1P2D", 12}, // 0.5 and 1.5 round to 1 and 2; never 0
		{"3C+8V", 2, "6C+16V", 40},
		{"2P:h200x8 4D:h20", 3, "6P:h200x8 12D:h20", 96},
	} {
		got, err := ScaleFleet(tc.fleet, tc.k)
		require.NoError(t, err)
		require.Equal(t, tc.want, got)
		require.Equal(t, tc.gpus, EstimateGPUs(got, 4), got)
	}
	_, err := ScaleFleet("nope", 2)
	require.Error(t, err)
	require.Zero(t, EstimateGPUs("nope", 4))
}

func TestCompactFleet(t *testing.T) {
	for in, want := range map[string]string{"2P 4D": "2P4D", "2P4D+8V": "2P4D+8V", "4P:h200 8D:h20": "4P:h200 8D:h20", "12C": "12C"} {
		spec, err := sim.ParseFleet(in)
		require.NoError(t, err)
		require.Equal(t, want, compactFleet(spec))
	}
}

func TestDescribe(t *testing.T) {
	pts := []Point{{Fleet: "1P1D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1}, {Index: 1, Fleet: "4P:h200 8D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 2}}
	require.Equal(t, "points=2 fleet=1P1D fleet=4P:h200_8D gpu=h100 tp=4 routing=cache-aware rate=1 rate=2 requests=9", Describe(pts, "requests=9"))
}

// Bare P/D counts swept over a scenario with wide-EP units mean that many
// units: the points inherit the default fleet's layout, and their GPU
// counts follow.
func TestFleetForInheritsWideLayout(t *testing.T) {
	sc, err := scenarios.Resolve("moe-platform")
	require.NoError(t, err)
	r := &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc)}
	got, err := r.fleetFor(Point{Fleet: "2P1D"})
	require.NoError(t, err)
	require.Equal(t, "2P:h800x32/ep32/dp32 1D:h800x144/ep144/dp144", got)
	require.Equal(t, 2*32+144, EstimateGPUs(got, 1))
}

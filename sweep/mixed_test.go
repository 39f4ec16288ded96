package sweep

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestMixedPointLatencies: a point of a scenario whose classes are of
// different kinds (mixed-platform: chat, coding agents, video) took its
// ttft/e2e/queue/tpot percentiles from the totals, which pool chat turns
// with agent steps and video jobs, and showed them unlabelled in every
// output (--requests 1500: ttft p99 765 ms, chat's 202, coding's 1,663). Now, as the result
// file's totals: the JSON keeps the pooled figures labelled (kind mixed)
// and adds each class's; the CSV labels them (kind column) and adds
// class:metric columns; the table and markdown leave them out with a note.
func TestMixedPointLatencies(t *testing.T) {
	sc, err := scenarios.Builtin("mixed-platform")
	require.NoError(t, err)
	r := &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Workload: scenarios.WorkloadOptions{Requests: 1500}}
	sw, err := Run(r, Spec{})
	require.NoError(t, err)
	require.Len(t, sw.Points, 1)
	p := sw.Points[0]
	require.Empty(t, p.Error)
	require.Equal(t, "mixed", p.Kind)
	for _, class := range []string{"chat", "coding", "t2v"} {
		require.Contains(t, p.Classes[class], "e2e_p99_ms", class)
	}
	require.NotContains(t, p.Classes["t2v"], "ttft_p99_ms", "video has no TTFT")
	require.Contains(t, p.Classes["chat"], "ttft_p99_ms")
	pooled, ok := p.Metrics["e2e_p99_ms"]
	require.True(t, ok, "the JSON keeps the pooled figure, labelled")
	for class, cm := range p.Classes {
		require.NotEqual(t, p.Metrics["ttft_p99_ms"], cm["ttft_p99_ms"], "the pooled TTFT p99 is no class's: %s", class)
	}
	_, shown := p.Shown("e2e_p99_ms")
	require.False(t, shown)
	_, shown = p.Shown("goodput_rps")
	require.True(t, shown, "only latencies are left out")

	for _, format := range []string{"table", "markdown"} {
		var b bytes.Buffer
		require.NoError(t, Render(&b, sw, format))
		out := b.String()
		for _, gone := range []string{"ttft p", "tpot p", "e2e p", "queue p"} {
			require.NotContains(t, out, gone, format)
		}
		require.Contains(t, out, "no latency over classes of different kinds (kind mixed)", format)
	}

	var b bytes.Buffer
	require.NoError(t, Render(&b, sw, "csv"))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	col := func(name string) string {
		i := slices.Index(rows[0], name)
		require.GreaterOrEqual(t, i, 0, name)
		return rows[1][i]
	}
	require.Equal(t, "mixed", col("kind"))
	require.Equal(t, CSVNum(pooled), col("e2e_p99_ms"))
	require.Equal(t, CSVNum(p.Classes["chat"]["e2e_p99_ms"]), col("chat:e2e_p99_ms"))
	require.Equal(t, CSVNum(p.Classes["t2v"]["e2e_p99_ms"]), col("t2v:e2e_p99_ms"))

	// A scenario of one kind is unchanged: no label, no class columns,
	// its latency columns shown.
	sc, err = scenarios.Builtin("chat")
	require.NoError(t, err)
	r = &Runner{Scenario: sc, Base: sim.ConfigFromScenario(sc), Workload: scenarios.WorkloadOptions{Requests: 200}}
	sw, err = Run(r, Spec{})
	require.NoError(t, err)
	require.Empty(t, sw.Points[0].Kind)
	require.Nil(t, sw.Points[0].Classes)
	b.Reset()
	require.NoError(t, Render(&b, sw, "table"))
	require.Contains(t, b.String(), "e2e p99")
	require.NotContains(t, b.String(), "kind mixed")
	b.Reset()
	require.NoError(t, Render(&b, sw, "csv"))
	require.False(t, strings.Contains(strings.SplitN(b.String(), "\n", 2)[0], "kind"))
}

// The live table leaves a kind-mixed step's pooled latencies out too.
func TestLiveMixedStepLatencies(t *testing.T) {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Target: "http://127.0.0.1:1/v1",
		Points: []sweepfile.Point{{Index: 0, RateScale: 1, MeetsSLO: true, Kind: "mixed",
			Metrics: map[string]float64{"ttft_p50_ms": 48, "ttft_p99_ms": 9999, "cache_hit_rate": 0.5},
			Classes: map[string]map[string]float64{"chat": {"ttft_p99_ms": 120}}}}}
	var b bytes.Buffer
	require.NoError(t, Render(&b, s, "table"))
	require.NotContains(t, b.String(), "9999")
	require.Contains(t, b.String(), "50.0%")
	require.Contains(t, b.String(), "kind mixed")
}

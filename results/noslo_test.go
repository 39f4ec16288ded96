package results

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/slo"
)

// A class without an SLO printed "SLO attainment 100.0%" and goodput
// equal to its completed rate beside a verdict "-", with no word that
// nothing bounded it (sim of a scenario without slo: TTFT p99 583 s,
// attainment 100%). The table now says so under it; a class with an SLO
// and a run where every class has one print no such line.
func TestTableSaysAClassHasNoSLO(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "bounded", Kind: "chat", SLO: slo.Spec{TTFTms: &slo.Targets{P99: 500}}}, {Name: "free", Kind: "chat"}}, 0)
	for i := range int64(10) {
		at := i * 1e8
		for _, c := range []string{"bounded", "free"} {
			s.Add(&Record{Class: c, Kind: "chat", Intended: at, Sent: at, FirstToken: at + 5e7, LastToken: at + 6e7, OutputTokens: 2, TaskDone: true})
		}
	}
	r := s.Result(Meta{Backend: "sim", StartNs: 0, EndNs: 1e9})
	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	require.Contains(t, b.String(), "no SLO: class free: its SLO attainment is the share of its requests that completed and its goodput its completion rate (nothing bounds its latency)\n")

	s2 := NewSummary([]ClassInfo{{Name: "bounded", Kind: "chat", SLO: slo.Spec{TTFTms: &slo.Targets{P99: 500}}}}, 0)
	s2.Add(&Record{Class: "bounded", Kind: "chat", Sent: 0, FirstToken: 5e7, LastToken: 6e7, OutputTokens: 2, TaskDone: true})
	b.Reset()
	require.NoError(t, RenderTable(&b, s2.Result(Meta{Backend: "sim", StartNs: 0, EndNs: 1e9})))
	require.NotContains(t, b.String(), "no SLO")
}

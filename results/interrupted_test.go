package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/slo"
)

// interruptedResult is a chat class whose finished requests met its SLO,
// from a run that was interrupted.
func interruptedResult(t *testing.T) *Result {
	t.Helper()
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat", SLO: slo.Spec{TTFTms: &slo.Targets{P99: 500}}}}, 0)
	for i := range int64(10) {
		at := i * 1e8
		s.Add(&Record{Class: "chat", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 5e7, LastToken: at + 6e7, OutputTokens: 2, TaskDone: true})
	}
	return s.Result(Meta{Backend: "sim", Extra: map[string]any{"interrupted": true}})
}

// TestInterruptedVerdictIsMarked: after an interruption the SLO verdict is
// judged on the finished requests only (the slowest, unfinished ones are
// missing). The warning said so, but the verdict read as a clean "met" in
// the JSON, the table and the HTML report. The verdict now says it covers
// the finished requests only (JSON finished_only; the table marks the
// cell and explains the mark under it); older files read the same way.
func TestInterruptedVerdictIsMarked(t *testing.T) {
	r := interruptedResult(t)
	v := r.Classes["chat"].SLO
	require.True(t, v.Met)
	require.True(t, v.FinishedOnly)
	require.True(t, r.Interrupted())

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, r))
	require.Contains(t, js.String(), `"finished_only": true`)

	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	require.Regexp(t, `SLO verdict\s+met\*\s+-`, b.String())
	require.Contains(t, b.String(), "* SLO verdict over the finished requests only")

	// An older file of an interrupted run has no finished_only (false):
	// read so.
	old := strings.Replace(js.String(), `"finished_only": true`, `"finished_only": false`, 1)
	require.NotEqual(t, js.String(), old)
	back, err := Decode(strings.NewReader(old), "old.json")
	require.NoError(t, err)
	require.True(t, back.Classes["chat"].SLO.FinishedOnly)

	// A run that was not interrupted: a plain met, no mark.
	r.Extra = nil
	r.Classes["chat"].SLO.FinishedOnly = false
	b.Reset()
	require.NoError(t, RenderTable(&b, r))
	require.NotContains(t, b.String(), "met*")
	require.NotContains(t, b.String(), "finished requests only")

	// MarkInterrupted (the simulator's stop) marks a result built whole.
	r.MarkInterrupted("simulation interrupted at virtual time 1s")
	require.True(t, r.Interrupted())
	require.True(t, r.Classes["chat"].SLO.FinishedOnly)
	require.Equal(t, []string{"simulation interrupted at virtual time 1s"}, r.Warnings[len(r.Warnings)-1:])
}

// compare says which side's SLO figures are over the finished requests
// only, on the rows and the gates that judge them.
func TestCompareSaysFinishedOnly(t *testing.T) {
	base, nw := interruptedResult(t), interruptedResult(t)
	nw.Extra = nil
	gates, err := ParseGates("slo_attainment<-0.01")
	require.NoError(t, err)
	cmp, err := Compare(base, nw, CompareOptions{Gates: gates})
	require.NoError(t, err)
	notes := map[string]string{}
	for _, md := range cmp.Classes[0].Rows {
		notes[md.Metric] = md.Note
	}
	require.Equal(t, "finished requests only: BASE interrupted", notes["slo_attainment"])
	require.Equal(t, "finished requests only: BASE interrupted", notes["goodput_rps"])
	require.Empty(t, notes["ttft.p50"])
	require.Contains(t, cmp.Gates[0].Note, "finished requests only: BASE interrupted")
	var b strings.Builder
	require.NoError(t, RenderComparison(&b, cmp, "table"))
	require.Contains(t, b.String(), "(finished requests only: BASE interrupted)")

	cmp, err = Compare(nw, nw, CompareOptions{})
	require.NoError(t, err)
	for _, md := range cmp.Classes[0].Rows {
		require.Empty(t, md.Note, md.Metric)
	}
}

// An interrupted run's class that sent no measured request (or whose
// requests all failed) has a not-measured verdict: it covers no finished
// request, so "finished requests only" (and the table's *, which says a
// met may not hold) does not describe it. It carried finished_only all
// the same; only verdicts judged on some finished request carry it now,
// in files written so before too.
func TestFinishedOnlyOnlyOnVerdictsOverFinishedRequests(t *testing.T) {
	spec := slo.Spec{TTFTms: &slo.Targets{P99: 500}}
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat", SLO: spec}, {Name: "idle", Kind: "chat", SLO: spec}}, 0)
	for i := range int64(10) {
		at := i * 1e8
		s.Add(&Record{Class: "chat", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 5e7, LastToken: at + 6e7, OutputTokens: 2, TaskDone: true})
	}
	r := s.Result(Meta{Backend: "sim", Extra: map[string]any{"interrupted": true}})
	require.True(t, r.Classes["chat"].SLO.FinishedOnly)
	idle := r.Classes["idle"].SLO
	require.NotNil(t, idle)
	require.False(t, idle.Met)
	require.True(t, idle.Targets[0].NotMeasured)
	require.False(t, idle.FinishedOnly, "no finished request under this verdict")

	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	require.Regexp(t, `SLO verdict\s+met\*\s+NOT MEASURED ttft_ms p99\s`, b.String())

	r2 := s.Result(Meta{Backend: "sim"})
	r2.MarkInterrupted("simulation interrupted at virtual time 1s")
	require.True(t, r2.Classes["chat"].SLO.FinishedOnly)
	require.False(t, r2.Classes["idle"].SLO.FinishedOnly)

	// A file written with the mark on the idle class reads without it.
	r.Classes["idle"].SLO.FinishedOnly = true
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, r))
	back, err := Decode(strings.NewReader(js.String()), "old.json")
	require.NoError(t, err)
	require.True(t, back.Classes["chat"].SLO.FinishedOnly)
	require.False(t, back.Classes["idle"].SLO.FinishedOnly)
}

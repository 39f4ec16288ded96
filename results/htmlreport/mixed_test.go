package htmlreport

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestMixedSweepHasNoPooledLatency: a sweep whose points pool classes of
// different kinds (kind mixed, e.g. mixed-platform's chat, agents and
// video) drew its totals' TTFT p99 in the points table, the answer line
// and the cost-latency Pareto chart, as if it were a request's latency.
// Now those are left out and a note says why (the terminal table does the
// same); the same sweep of one kind keeps them.
func TestMixedSweepHasNoPooledLatency(t *testing.T) {
	page := func(mixed bool) string {
		s := fixtureSweep()
		for i := range s.Points {
			if mixed {
				s.Points[i].Kind = "mixed"
			}
		}
		if s.Answer != nil && mixed {
			s.Answer.Kind = "mixed"
		}
		var buf bytes.Buffer
		require.NoError(t, render(&buf, Input{Sweeps: []SweepRun{{Label: "min-fleet", Sweep: s}}}, libStub))
		return buf.String()
	}
	one := page(false)
	for _, kept := range []string{"TTFT p99 ms", "Pareto frontier", "TTFT p99 "} {
		require.Contains(t, one, kept)
	}
	require.NotContains(t, one, "kind mixed")
	mixed := page(true)
	for _, gone := range []string{"TTFT p99", "E2E p99", "TPOT p99", "Pareto frontier"} {
		require.NotContains(t, mixed, gone)
	}
	require.Contains(t, mixed, "no latency over classes of different kinds (kind mixed)")
	require.Contains(t, mixed, "$ / task", "the other figures stay")
}

// TestParetoLeavesFellBehindOffTheFrontier: a fleet that fell behind was
// charged its window only (its backlog served after it), so its cost is a
// lower bound; drawn as a plain "misses SLOs" dot it could sit on the
// cost-latency frontier as the cheapest point. It is now its own series,
// labelled, and never on the frontier.
func TestParetoLeavesFellBehindOffTheFrontier(t *testing.T) {
	s := fixtureSweep()
	cheap := &s.Points[0] // 1P1D: the cheapest task
	cheap.FellBehind = true
	var pts []*sweepfile.Point
	for i := range s.Points {
		if s.Points[i].Error == "" {
			pts = append(pts, &s.Points[i])
		}
	}
	c := paretoChart(s, pts, mCost, mTTFT99)
	byName := map[string]series{}
	for _, sr := range c.Series {
		byName[sr.Name] = sr
	}
	behind, ok := byName["fell behind (cost a lower bound)"]
	require.True(t, ok)
	require.Equal(t, []string{"1P1D"}, behind.Labels)
	require.NotContains(t, byName["Pareto frontier"].Labels, "1P1D")
	require.NotContains(t, byName["misses SLOs"].Labels, "1P1D")
}

// The TTFT KPI said "no token-generating class" for a chat run made with
// --no-stream (TTFT not measured) and for one whose every request failed:
// the wrong reason for a dash.
func TestTTFTKPISaysWhyItIsAbsent(t *testing.T) {
	chat := &results.ClassResult{Kind: "chat", Requests: 36, Completed: 36}
	r := &results.Result{Classes: map[string]*results.ClassResult{"chat": chat}}
	require.Equal(t, "not measured (no streamed first token)", worstTTFT(r).Note)
	chat.Completed = 0
	require.Equal(t, "not measured (no request completed)", worstTTFT(r).Note)
	r.Classes = map[string]*results.ClassResult{"t2v": {Kind: "video", Requests: 3, Completed: 3}}
	require.Equal(t, "no token-generating class", worstTTFT(r).Note)
}

// An interrupted run's errors card read "30 · 39.5% failed": the server
// failed none of them, the interruption cut them off. It says so.
func TestErrorsKPISaysCancelled(t *testing.T) {
	c := &results.ClassResult{Kind: "chat", Requests: 76, Completed: 46, Errors: 30, ErrorsByClass: map[string]int64{"cancelled": 30}}
	r := &results.Result{Schema: results.Schema, Backend: "endpoint", Classes: map[string]*results.ClassResult{"chat": c}, Totals: c}
	require.Contains(t, errorsNote(r), "39.5% failed, 30 of them cancelled at the interruption")
}

// errorsNote is the note of the errors card of r's header.
func errorsNote(r *results.Result) string {
	for _, k := range runHeader(0, Run{Label: "r", Result: r}).KPIs {
		if k.Label == "errors" {
			return k.Note
		}
	}
	return ""
}

// The errors card of a run whose every request failed said "100.0%
// failed" and nothing of why; the result keeps each error class's first
// message (error_examples), which the card now quotes (cut short).
func TestErrorsKPIQuotesTheFirstError(t *testing.T) {
	body := "HTTP 404 from http://127.0.0.1:8000/v1/chat/completions: {\"error\":{\"code\":\"model_not_found\",\"message\":\"The model `nope` does not exist: this server serves llama-3.1-70b\"}}"
	c := &results.ClassResult{Kind: "chat", Requests: 3, Errors: 3, ErrorsByClass: map[string]int64{"http_4xx": 3},
		ErrorExamples: map[string]string{"http_4xx": body}}
	r := &results.Result{Schema: results.Schema, Backend: "endpoint", Classes: map[string]*results.ClassResult{"chat": c}, Totals: c}
	note := errorsNote(r)
	require.Contains(t, note, "100.0% failed; first http_4xx: HTTP 404 from http://127.0.0.1:8000/v1/chat/completions: {\"error\":{\"code\":\"model_not_found\"")
	require.Less(t, len(note), 260)
}

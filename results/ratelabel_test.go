package results

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRequestRateIsLabelledCompleted: requests_per_s counts completed
// requests; the table called it "requests/s", so a run whose 135 requests
// all failed read "requests 135 ... requests/s 0.00", as if nothing had
// been offered. The row says "completed/s".
func TestRequestRateIsLabelledCompleted(t *testing.T) {
	c := &ClassResult{Kind: "chat", Requests: 135, Errors: 135, ErrorsByClass: map[string]int64{"http_4xx": 135}, RequestsPerS: new(0.0)}
	r := &Result{Schema: Schema, Backend: "endpoint", Window: Window{StartS: 0.3, EndS: 3.1, DurationS: 2.8},
		Classes: map[string]*ClassResult{"chat": c}, Totals: c}
	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	require.NotContains(t, b.String(), "requests/s")
	require.Regexp(t, `completed/s +0\.00`, b.String())
}

// A closed loop bounded by --requests has no expected length, so the
// scenario's warm-up is not applied at all; the header said "warm-up 0.000
// s; scenario's 30 s shortened to at most 10% of the run".
func TestWarmupNoteOfAnUnknownLength(t *testing.T) {
	require.Contains(t, warmupNote(Window{WarmupS: 0, WarmupScenarioS: 30}), "scenario's 30 s not applied")
	require.NotContains(t, warmupNote(Window{WarmupS: 0, WarmupScenarioS: 30}), "10%")
	require.Contains(t, warmupNote(Window{WarmupS: 1.5, WarmupScenarioS: 30}), "shortened to at most 10% of the run")
	require.Empty(t, warmupNote(Window{WarmupS: 30, WarmupScenarioS: 30}))
}

// `sim chat --requests 1` printed "TTFT ms p50/p90/p99 86.7 / 86.7 / 86.7"
// with nothing saying the p99 is one request's: a class whose percentiles
// rest on fewer than 100 completed requests is named under the table.
func TestFewSamplesAreSaid(t *testing.T) {
	few := &ClassResult{Kind: "chat", Requests: 7, Completed: 7}
	many := &ClassResult{Kind: "chat", Requests: 500, Completed: 500}
	r := &Result{Schema: Schema, Backend: "sim", Window: Window{DurationS: 10},
		Classes: map[string]*ClassResult{"a": few, "b": many}, Totals: &ClassResult{Kind: "chat", Requests: 507, Completed: 507}}
	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	require.Contains(t, b.String(), "few samples: p99 over fewer than 100 completed requests is the slowest of them (completed: a 7)")
	r.Classes = map[string]*ClassResult{"b": many}
	b.Reset()
	require.NoError(t, RenderTable(&b, r))
	require.NotContains(t, b.String(), "few samples")
}

// One decimal rounded figures onto an edge they are not on: an SLO
// attainment of 99.96% (4 requests of 10,000 out of their SLO) printed
// "100.0%", a pool busy 0.04% of its time "0.0%" (idle). Pct keeps the
// digits that tell them apart, everywhere tables print percentages.
func TestPctKeepsEdgesApart(t *testing.T) {
	require.Equal(t, "99.96%", Pct(0.9996))
	require.Equal(t, "99.996%", Pct(0.99996))
	require.Equal(t, "100.0%", Pct(1))
	require.Equal(t, "0.04%", Pct(0.0004))
	require.Equal(t, "0.0%", Pct(0))
	require.Equal(t, "33.3%", Pct(1.0/3))
	require.Equal(t, "99.9%", Pct(0.999))
	// A ratio that is 1 but for float rounding (a scale level's util read
	// "99.99999999999999%" beside its neighbour's "100.0%") is 100%.
	require.Equal(t, "100.0%", Pct(0.9999999999999999))
	require.Equal(t, "99.99999%", Pct(0.9999999))
	c := &ClassResult{Kind: "chat", Requests: 10000, Completed: 10000, SLOMet: 9996, SLOAttainment: new(0.9996)}
	r := &Result{Schema: Schema, Backend: "sim", Window: Window{DurationS: 10},
		Classes: map[string]*ClassResult{"chat": c}, Totals: c}
	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	require.Regexp(t, `SLO attainment +99\.96%`, b.String())
}

// report --format markdown (a pull-request comment) printed an interrupted
// or fell-behind run's latencies without its warnings; the terminal table
// heads them with WARNING lines. The markdown does too.
func TestMarkdownSaysWarnings(t *testing.T) {
	c := &ClassResult{Kind: "chat", Requests: 10, Completed: 10}
	r := &Result{Schema: Schema, Backend: "endpoint", Window: Window{DurationS: 10},
		Classes: map[string]*ClassResult{"chat": c}, Totals: c,
		Warnings: []string{"run interrupted: the result holds the requests sent before the interruption"}}
	var b strings.Builder
	require.NoError(t, RenderMarkdown(&b, r, DefaultExportPercentiles))
	require.Contains(t, b.String(), "> **WARNING:** run interrupted")
}

package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

func writeSweepFile(t *testing.T, dir string) string {
	t.Helper()
	s := sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: results.ScenarioInfo{Name: "demo", Seed: 7}, Search: "min-fleet"}
	for i, f := range []string{"1P2D", "2P4D"} {
		s.Points = append(s.Points, sweepfile.Point{Index: i, Fleet: f, GPU: "h100", TP: 4, RateScale: 1, GPUs: 12 * (i + 1), MeetsSLO: i == 1,
			Metrics: map[string]float64{"usd_per_task": 0.001 * float64(i+1), "ttft_p99_ms": 900 - 400*float64(i), "slo_attainment": 0.9 + 0.1*float64(i)}})
	}
	s.Answer = &s.Points[1]
	b, err := json.Marshal(s)
	require.NoError(t, err)
	path := filepath.Join(dir, "sweep.json")
	require.NoError(t, os.WriteFile(path, b, 0o644))
	return path
}

func TestReportHTML(t *testing.T) {
	dir := t.TempDir()
	a := writeShard(t, dir, "sim.json", 0, 200, "demo")
	b := writeShard(t, dir, "endpoint.json", 0, 150, "demo")
	sw := writeSweepFile(t, dir)
	out := filepath.Join(dir, "report.html")
	var stdout, stderr bytes.Buffer
	require.Equal(t, 0, execute([]string{"report", a, b, sw, "--html", out}, &stdout, &stderr), stderr.String())
	require.Equal(t, "wrote "+out+" (2 results, 1 sweep)\n", stdout.String())
	page, err := os.ReadFile(out)
	require.NoError(t, err)
	for _, want := range []string{"<!DOCTYPE html>", "Totals side by side", "Sweep sweep", "Answer: 2P4D", `id="chart-1"`} {
		require.True(t, strings.Contains(string(page), want), "page lacks %q", want)
	}

	// "-" writes the same page to stdout.
	stdout.Reset()
	require.Equal(t, 0, execute([]string{"report", a, b, sw, "--html", "-"}, &stdout, &stderr), stderr.String())
	require.Equal(t, string(page), stdout.String())
}

func TestReportHTMLBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeShard(t, dir, "r.json", 0, 20, "demo")
	junk := filepath.Join(dir, "junk.json")
	require.NoError(t, os.WriteFile(junk, []byte("{\"schema\": \"fleetbench.sweep/v1\", \"points\": 3}"), 0o644))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"missing file", []string{"report", good, filepath.Join(dir, "nope.json"), "--html", filepath.Join(dir, "o.html")}, 2, "nope.json"},
		{"bad sweep", []string{"report", junk, "--html", filepath.Join(dir, "o.html")}, 2, "junk.json:1:"},
		{"several files without --html", []string{"report", good, good}, 2, "accepts 1 arg"},
		{"no files", []string{"report", "--html", filepath.Join(dir, "o.html")}, 2, "requires at least 1 arg"},
		{"unwritable", []string{"report", good, "--html", filepath.Join(dir, "no", "such", "o.html")}, 1, "no such"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			require.Equal(t, tc.code, execute(tc.args, &out, &errb))
			require.Contains(t, errb.String(), tc.want)
		})
	}
}

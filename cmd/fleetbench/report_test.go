package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/slo"

	"github.com/fleetbench/fleetbench/results"
)

// -update regenerates golden files. Other test files of this package may
// define the same flag; share it instead of redefining it.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "regenerate golden files")
	}
}

func updating() bool {
	f := flag.Lookup("update")
	return f != nil && f.Value.String() == "true"
}

func goldenFile(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if updating() {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/fleetbench -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

// writeShard writes a small deterministic result with records [from, to).
func writeShard(t *testing.T, dir, name string, from, to int, scenario string) string {
	t.Helper()
	classes := []results.ClassInfo{
		{Name: "chat", Kind: "chat", SLO: slo.Spec{TTFTms: &slo.Targets{P99: 250}, TPOTms: &slo.Targets{P99: 40}}},
		{Name: "video", Kind: "video", SLO: slo.Spec{QueueS: &slo.Targets{P99: 30}}},
	}
	s := results.NewSummary(classes, 0)
	for i := from; i < to; i++ {
		at := int64(i) * 100e6
		if i%4 == 3 {
			q := int64(i%9) * 5e9
			s.Add(&results.Record{ID: uint64(i), Class: "video", Kind: "video", Intended: at, Sent: at, QueueNs: q,
				FirstToken: at + q, LastToken: at + q + 120e9, TaskDone: true, TaskStart: at, VideoSeconds: 5})
			continue
		}
		r := &results.Record{ID: uint64(i), Class: "chat", Kind: "chat", Intended: at, Sent: at + 1e6,
			FirstToken: at + int64(50+i%7*40)*1e6, InputTokens: 1000, CachedTokens: 250 * (i % 4), OutputTokens: 100, TaskDone: true, TaskStart: at}
		r.LastToken = r.FirstToken + 99*int64(20+i%5*6)*1e6
		if i%11 == 0 {
			r.ErrorClass, r.FirstToken, r.LastToken = "http_5xx", 0, 0
		}
		s.Add(r)
	}
	res := s.Result(results.Meta{Backend: "sim", Scenario: results.ScenarioInfo{Name: scenario, Seed: 7, Hash: "sha256:feed"}, Fleet: &results.FleetInfo{Spec: "2P4D"}})
	path := filepath.Join(dir, name)
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, results.WriteJSON(f, res))
	require.NoError(t, f.Close())
	return path
}

func TestReportTableGolden(t *testing.T) {
	path := writeShard(t, t.TempDir(), "r.json", 0, 200, "demo")
	var out, errb bytes.Buffer
	require.Equal(t, 0, execute([]string{"report", path}, &out, &errb), errb.String())
	goldenFile(t, "report_table.golden.txt", out.Bytes())
}

// report --format csv|markdown with --percentiles: golden exports.
func TestReportCSVAndMarkdownGolden(t *testing.T) {
	path := writeShard(t, t.TempDir(), "r.json", 0, 200, "demo")
	for _, f := range []string{"csv", "markdown"} {
		var out, errb bytes.Buffer
		require.Equal(t, 0, execute([]string{"report", path, "--format", f, "--percentiles", "50,90,99,99.9"}, &out, &errb), errb.String())
		goldenFile(t, "report_"+f+".golden.txt", out.Bytes())
	}
}

func TestReportJSONIsNormalized(t *testing.T) {
	path := writeShard(t, t.TempDir(), "r.json", 0, 50, "demo")
	var out, errb bytes.Buffer
	require.Equal(t, 0, execute([]string{"report", path, "--format", "json"}, &out, &errb), errb.String())
	want, err := os.ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, string(want), out.String())
}

func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	good := writeShard(t, dir, "r.json", 0, 20, "demo")
	junk := filepath.Join(dir, "junk.json")
	require.NoError(t, os.WriteFile(junk, []byte("{\"schema\": 1}"), 0o644))
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"missing file", []string{"report", filepath.Join(dir, "nope.json")}, "nope.json"},
		{"not a result", []string{"report", junk}, "junk.json"},
		{"bad format", []string{"report", good, "--format", "html"}, `--format "html": use table, json, csv or markdown`},
		{"bad percentiles", []string{"report", good, "--format", "csv", "--percentiles", "50,0"}, `--percentiles: percentile "0"`},
		{"no args", []string{"report"}, "accepts 1 arg"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			require.Equal(t, 2, execute(tc.args, &out, &errb))
			require.Contains(t, errb.String(), tc.want)
		})
	}
}

func TestMergeCommand(t *testing.T) {
	dir := t.TempDir()
	whole := writeShard(t, dir, "whole.json", 0, 200, "demo")
	a := writeShard(t, dir, "a.json", 0, 120, "demo")
	b := writeShard(t, dir, "b.json", 120, 200, "demo")
	merged := filepath.Join(dir, "merged.json")
	var out, errb bytes.Buffer
	require.Equal(t, 0, execute([]string{"merge", a, b, "-o", merged}, &out, &errb), errb.String())
	require.Empty(t, out.String())

	// The merged table equals the unsplit run's table (timeline aside, the
	// result is the same too; the table shows every class metric).
	var t1, t2 bytes.Buffer
	require.Equal(t, 0, execute([]string{"report", whole}, &t1, &errb), errb.String())
	require.Equal(t, 0, execute([]string{"report", merged}, &t2, &errb), errb.String())
	require.Equal(t, t1.String(), t2.String())

	out.Reset()
	require.Equal(t, 0, execute([]string{"merge", a, b, "-o", "-"}, &out, &errb), errb.String())
	m, err := os.ReadFile(merged)
	require.NoError(t, err)
	require.Equal(t, string(m), out.String())

	other := writeShard(t, dir, "other.json", 0, 50, "other")
	for _, args := range [][]string{
		{"merge", a, b},                   // no -o
		{"merge", a, other, "-o", merged}, // different scenario
		{"merge", a, "-o", "-", "--table"},
		{"merge", filepath.Join(dir, "nope.json"), "-o", merged},
	} {
		errb.Reset()
		require.Equal(t, 2, execute(args, &out, &errb), "%v", args)
		require.NotEmpty(t, errb.String())
	}
	require.Equal(t, 1, execute([]string{"merge", a, "-o", filepath.Join(dir, "no", "such", "dir.json")}, &out, &errb))
}

// report of a result that measured nothing (sim exits 1 with no table but
// writes the file) used to print a table of zeros ("cost over 0 s",
// "requests/s 0.00") and exit 0.
func TestReportNothingMeasured(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI("sim", "video-burst", "--duration", "1m", "-o", out)
	require.Equal(t, 1, code, stderr)
	for _, format := range []string{"table", "csv", "markdown"} {
		code, stdout, stderr := runCLI("report", out, "--format", format)
		require.Equal(t, 1, code, format)
		require.Empty(t, stdout, "never a table of zeros")
		require.Contains(t, stderr, "nothing measured", format)
	}
	code, stdout, _ := runCLI("report", out, "--format", "json")
	require.Equal(t, 0, code, "the file itself is still readable as JSON")
	require.Contains(t, stdout, `"schema"`)
}

// report of a sweep file said "schema is fleetbench.sweep/v1 ... use a
// matching fleetbench version", as if the file were from another release.
func TestReportSweepFileSaysWhatItIs(t *testing.T) {
	out := filepath.Join(t.TempDir(), "s.json")
	code, _, stderr := runCLI("sweep", "chat", "--fleet", "2P4D", "--scale", "1", "--duration", "20s", "-o", out)
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr := runCLI("report", out)
	require.Equal(t, 2, code)
	require.Empty(t, stdout)
	require.Contains(t, stderr, "is a sweep file (fleetbench.sweep/v1), not one result")
	require.NotContains(t, stderr, "matching fleetbench version")
}

// report --html of that result wrote a page whose verdict read "SLOs
// missed", exit 0, where report of the same file exits 1 with "nothing
// measured". It still writes the page (the file is readable), and exits 1
// naming the file and why, as the text report does; a good result beside
// it does not hide it.
func TestReportHTMLNothingMeasuredExits1(t *testing.T) {
	dir := t.TempDir()
	bad, good := filepath.Join(dir, "bad.json"), filepath.Join(dir, "good.json")
	code, _, stderr := runCLI("sim", "video-burst", "--duration", "1m", "-o", bad)
	require.Equal(t, 1, code, stderr)
	code, _, stderr = runCLI("sim", "chat", "--duration", "20s", "-o", good)
	require.Equal(t, 0, code, stderr)
	page := filepath.Join(dir, "r.html")
	code, stdout, stderr := runCLI("report", "--html", page, good, bad)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stdout, "wrote "+page+" (2 results, 0 sweeps)")
	require.FileExists(t, page)
	require.Contains(t, stderr, "fleetbench: "+bad+": nothing measured")
	require.NotContains(t, stderr, good)

	code, _, stderr = runCLI("report", "--html", page, good)
	require.Equal(t, 0, code, stderr)
}

// report run.json --gpu-price h100=2 of an endpoint run without a fleet
// said "... so its cost is unknown: declare the fleet of the endpoint",
// naming no flag (report has none for it). It says how now.
func TestReportRepriceWithoutFleetSaysHow(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "run.json")
	code, _, stderr := runCLI("run", liveScenario, "--target", serveFleet(t, "1C"), "--requests", "3", "-q", "-o", out)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI("report", out, "--gpu-price", "h100=2")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "declare the fleet that served the endpoint when running it: fleetbench run --fleet 2P4D --gpu h100 --tp 4 (its pools, GPU type and TP)")
}

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// writeMaxLoad writes a max-load sweep whose answer is fleet at load.
func writeMaxLoad(t *testing.T, path, fleet, routing string, load float64) {
	t.Helper()
	p := sweepfile.Point{Index: 0, Fleet: fleet, GPU: "h100", TP: 4, Routing: routing, RateScale: load, GPUs: 8, MeetsSLO: true}
	sw := &sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: results.ScenarioInfo{Name: "chat", Seed: 1, Hash: "h"},
		Search: sweepfile.SearchMaxLoad, Points: []sweepfile.Point{p}, Answer: &p}
	require.NoError(t, writeFileAtomic(path, func(w io.Writer) error { return sweepfile.WriteJSON(w, sw) }))
}

// compare of two max-load sweeps printed the same text line whatever
// --format asked ("--format json" gave "max_load  base 5.625x  new 5.688x"),
// and did not say which configuration each answer is. It writes JSON and
// markdown now, and names each answer's fleet, GPU, TP and routing.
func TestCompareSweepsHonoursFormat(t *testing.T) {
	dir := t.TempDir()
	base, nw := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	writeMaxLoad(t, base, "2P2D", "cache-aware", 5.625)
	writeMaxLoad(t, nw, "2P2D", "round-robin", 4)

	var out, errb bytes.Buffer
	code := execute([]string{"compare", base, nw, "--fail-on", "max_load<-10%", "--format", "json"}, &out, &errb)
	require.Equal(t, 1, code, errb.String())
	var got struct {
		Metric string `json:"metric"`
		Base   struct {
			MaxLoad *float64 `json:"max_load"`
			Fleet   string   `json:"fleet"`
			Routing string   `json:"routing"`
		} `json:"base"`
		New struct {
			MaxLoad *float64 `json:"max_load"`
			Routing string   `json:"routing"`
		} `json:"new"`
		Gates []struct {
			Gate   string   `json:"gate"`
			Change *float64 `json:"change"`
			Failed bool     `json:"failed"`
		} `json:"gates"`
		Failed bool `json:"failed"`
	}
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
	require.Equal(t, "max_load", got.Metric)
	require.Equal(t, 5.625, *got.Base.MaxLoad)
	require.Equal(t, "2P2D", got.Base.Fleet)
	require.Equal(t, "round-robin", got.New.Routing)
	require.Len(t, got.Gates, 1)
	require.True(t, got.Gates[0].Failed)
	require.InDelta(t, -28.89, *got.Gates[0].Change, 0.01)
	require.True(t, got.Failed)

	out.Reset()
	errb.Reset()
	code = execute([]string{"compare", base, nw, "--format", "markdown"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "| max_load | 5.625x (2P2D h100 tp4 cache-aware) | 4x (2P2D h100 tp4 round-robin) |")

	out.Reset()
	code = execute([]string{"compare", base, nw}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "max_load  base 5.625x (2P2D h100 tp4 cache-aware)  new 4x (2P2D h100 tp4 round-robin)")
}

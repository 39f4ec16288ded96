package sweepfile

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

func sp(idx, gpus int, meets bool, m map[string]float64) Point {
	return Point{Index: idx, Fleet: "x", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1, GPUs: gpus, MeetsSLO: meets, Metrics: m}
}

func TestPickAnswer(t *testing.T) {
	pts := []Point{
		sp(0, 8, false, map[string]float64{"usd_per_hour": 20, "usd_per_task": 0.001, "goodput_rps": 1}),
		sp(1, 12, true, map[string]float64{"usd_per_hour": 40, "usd_per_task": 0.003, "goodput_rps": 5}),
		sp(2, 12, true, map[string]float64{"usd_per_hour": 30, "usd_per_task": 0.002, "goodput_rps": 4}),
		sp(3, 16, true, map[string]float64{"usd_per_hour": 30, "usd_per_task": 0.0015, "goodput_rps": 6}),
		{Index: 4, GPUs: 4, MeetsSLO: true, Error: "configuration: nope"},
		sp(5, 12, true, map[string]float64{"usd_per_hour": 30, "usd_per_task": 0.002, "goodput_rps": 4}), // tie with 2
	}
	pts[1].RateScale, pts[3].RateScale, pts[5].RateScale = 3, 3, 2
	for _, tc := range []struct {
		search, objective string
		want              int // -1: nil
	}{
		{SearchMinFleet, "", 2}, // 12 GPUs, cheaper per hour than 1, lower index than 5
		{SearchMaxLoad, "", 1},  // 3x with 12 GPUs beats 3x with 16
		{SearchBestSplit, ObjectiveGoodput, 3},
		{SearchBestSplit, ObjectiveCost, 3}, // lowest usd/task meeting SLOs
		{SearchScale, "", -1},
		{"", "", -1},
	} {
		t.Run(tc.search+"/"+tc.objective, func(t *testing.T) {
			a := PickAnswer(tc.search, tc.objective, pts)
			if tc.want < 0 {
				require.Nil(t, a)
				return
			}
			require.NotNil(t, a)
			require.Equal(t, tc.want, a.Index)
		})
	}
	// Nothing meets: no answer; the pick is a copy without the result.
	require.Nil(t, PickAnswer(SearchMinFleet, "", pts[:1]))
	kept := []Point{sp(0, 8, true, map[string]float64{"a": 1})}
	kept[0].Result = &results.Result{}
	a := PickAnswer(SearchMinFleet, "", kept)
	require.Nil(t, a.Result)
	a.Metrics["a"] = 2
	require.Equal(t, 1.0, kept[0].Metrics["a"])
}

func shardOf(shard string, idx ...int) *Sweep {
	s := &Sweep{Schema: Schema, Scenario: results.ScenarioInfo{Name: "chat", Seed: 1, Hash: "h"}, Search: SearchMinFleet, Grid: "points=6", Shard: shard}
	for _, i := range idx {
		s.Points = append(s.Points, sp(i, 4+i, i >= 3, map[string]float64{"usd_per_hour": float64(i)}))
	}
	s.Answer = PickAnswer(s.Search, "", s.Points)
	return s
}

func TestMergeSweeps(t *testing.T) {
	a, b, c := shardOf("0/3", 0, 3), shardOf("1/3", 1, 4), shardOf("2/3", 2, 5)
	a.Notes, b.Notes = []string{"n1"}, []string{"n1", "n2"}
	m, err := Merge(c, a, b)
	require.NoError(t, err)
	require.Equal(t, "", m.Shard)
	require.Len(t, m.Points, 6)
	for i, p := range m.Points {
		require.Equal(t, i, p.Index)
	}
	require.Equal(t, 3, m.Answer.Index) // best of all shards, re-picked
	require.Equal(t, []string{"n1", "n2"}, m.Notes)

	part, err := Merge(c, a)
	require.NoError(t, err)
	require.Equal(t, "0+2/3", part.Shard)
	// A partial merge merges on with the missing shard.
	full, err := Merge(part, b)
	require.NoError(t, err)
	require.Equal(t, "", full.Shard)
	require.Len(t, full.Points, 6)

	other := func(f func(s *Sweep)) *Sweep { s := shardOf("1/3", 1, 4); f(s); return s }
	for _, tc := range []struct {
		name string
		in   []*Sweep
		want string
	}{
		{"none", nil, "no sweeps"},
		{"nil", []*Sweep{a, nil}, "sweep 2 is nil"},
		{"whole", []*Sweep{a, other(func(s *Sweep) { s.Shard = ""; s.Points = nil })}, "whole sweep"},
		{"scenario", []*Sweep{a, other(func(s *Sweep) { s.Scenario.Hash = "g" })}, "only shards of one sweep"},
		{"search", []*Sweep{a, other(func(s *Sweep) { s.Search = "" })}, "same flags"},
		{"grid", []*Sweep{a, other(func(s *Sweep) { s.Grid = "points=7" })}, "swept grid"},
		{"count", []*Sweep{a, shardOf("1/2", 1)}, "cut into 3 shards"},
		{"twice", []*Sweep{a, shardOf("0/3", 0, 3)}, "again"},
		{"wrong shard", []*Sweep{a, shardOf("1/3", 2)}, "does not belong to shard"},
		{"schema", []*Sweep{a, other(func(s *Sweep) { s.Schema = "fleetbench.result/v1" })}, "schema is"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Merge(tc.in...)
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestSweepJSONRoundTrip(t *testing.T) {
	s := shardOf("0/3", 0, 3)
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, s))
	got, err := Decode(bytes.NewReader(b.Bytes()), "s.json")
	require.NoError(t, err)
	require.Equal(t, s, got)
	var b2 bytes.Buffer
	require.NoError(t, WriteJSON(&b2, got))
	require.Equal(t, b.String(), b2.String())

	path := t.TempDir() + "/s.json"
	require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
	schema, err := results.FileSchema(path)
	require.NoError(t, err)
	require.Equal(t, Schema, schema)
	_, err = Read(path)
	require.NoError(t, err)
	_, err = Read(path + ".missing")
	require.Error(t, err)
}

func TestDecodeSweepErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"{\n  \"schema\": \"fleetbench.sweep/v1\",\n  \"points\": [1\n}", "s.json:4:1: invalid JSON"},
		{`{"schema": "fleetbench.sweep/v1", "points": [{"index": "one"}]}`, `field "points.index" holds a JSON string`},
		{`{"points": []}`, `no "schema" field`},
		{`{"schema": "fleetbench.result/v1"}`, `schema is "fleetbench.result/v1"`},
		{`{"schema": "fleetbench.sweep/v1", "points": [{"index": 2}, {"index": 1}]}`, "increasing index order"},
		{`{"schema": "fleetbench.sweep/v1", "shard": "7"}`, "want i/n"},
	} {
		_, err := Decode(strings.NewReader(tc.in), "s.json")
		require.ErrorContains(t, err, tc.want)
	}
}

func FuzzDecodeSweep(f *testing.F) {
	var b bytes.Buffer
	_ = WriteJSON(&b, shardOf("0/3", 0, 3))
	f.Add(b.String())
	f.Add(`{"schema":"fleetbench.sweep/v1","points":[]}`)
	f.Fuzz(func(t *testing.T, in string) {
		s, err := Decode(strings.NewReader(in), "f.json")
		if err != nil {
			return
		}
		// Whatever decodes merges with itself as a shard or is refused, never panics.
		_, _ = Merge(s)
		var out bytes.Buffer
		require.NoError(t, WriteJSON(&out, s))
	})
}

// A live sweep's steps wrote "gpus": 0: the endpoint's GPU count is
// unknown, not 0. Absent now (docs/metrics.md, What was not measured is
// absent); a simulated point keeps its count.
func TestLiveStepHasNoGPUCount(t *testing.T) {
	b, err := json.Marshal(Point{Fleet: "endpoint", RateScale: 1})
	require.NoError(t, err)
	require.NotContains(t, string(b), `"gpus"`)
	require.NotContains(t, string(b), `"gpu"`)
	b, err = json.Marshal(Point{Fleet: "1C", GPUs: 4})
	require.NoError(t, err)
	require.Contains(t, string(b), `"gpus":4`)
}

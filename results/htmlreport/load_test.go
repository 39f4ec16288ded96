package htmlreport

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	if r, ok := v.(*results.Result); ok {
		require.NoError(t, results.WriteJSON(&buf, r))
	} else {
		b, err := json.MarshalIndent(v, "", "  ")
		require.NoError(t, err)
		buf.Write(b)
	}
	require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	a := filepath.Join(dir, "sim.json")
	b := filepath.Join(dir, "x", "sim.json") // same base name: labelled by path
	sw := filepath.Join(dir, "sweep.json")
	writeJSON(t, a, fixtureResult("sim", 100, 1, 1))
	writeJSON(t, b, fixtureResult("endpoint", 100, 1.2, 2))
	s := fixtureSweep()
	s.Points[0].Result = fixtureResult("sim", 10, 1, 3) // --keep-results: dropped on load
	writeJSON(t, sw, s)
	in, err := Load([]string{a, sw, b})
	require.NoError(t, err)
	require.Len(t, in.Runs, 2)
	require.Len(t, in.Sweeps, 1)
	require.Equal(t, []string{a, b}, []string{in.Runs[0].Label, in.Runs[1].Label})
	require.Equal(t, "sweep", in.Sweeps[0].Label)
	require.Nil(t, in.Sweeps[0].Sweep.Points[0].Result)
	require.Equal(t, "3P6D", in.Sweeps[0].Sweep.Answer.Fleet)
	require.NoError(t, Render(&bytes.Buffer{}, in))
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(body), 0o644))
		return p
	}
	tests := []struct {
		name string
		path string
		want string
	}{
		{"missing", filepath.Join(dir, "nope.json"), "nope.json"},
		{"bad json", write("bad.json", "{\n  \"schema\": \"fleetbench.result/v1\",\n  oops\n}"), "bad.json:3:3: invalid JSON"},
		{"bad sweep json", write("badsweep.json", "{\"schema\": \"fleetbench.sweep/v1\",\n \"points\": [}"), "badsweep.json:2:"},
		{"sweep wrong type", write("typ.json", "{\"schema\": \"fleetbench.sweep/v1\", \"points\": [{\"gpus\": \"many\"}]}"), `field "points.gpus" holds a JSON string`},
		{"negative gpus", write("neg.json", "{\"schema\": \"fleetbench.sweep/v1\", \"points\": [{\"fleet\": \"1P1D\", \"gpus\": -1}]}"), "negative GPU"},
		{"other schema", write("other.json", "{\"schema\": \"acme.bench/v3\"}"), `schema "acme.bench/v3" is neither a result`},
		{"no schema", write("none.json", "{}"), "no \"schema\" field"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load([]string{tc.path})
			require.ErrorContains(t, err, tc.want)
		})
	}
	_, err := Load(nil)
	require.ErrorContains(t, err, "no files given")
}

// FuzzLoadBytes: any file content gives a page or an error, never a panic.
func FuzzLoadBytes(f *testing.F) {
	var buf bytes.Buffer
	require.NoError(f, results.WriteJSON(&buf, fixtureResult("sim", 30, 1, 1)))
	f.Add(buf.Bytes())
	b, err := json.Marshal(fixtureSweep())
	require.NoError(f, err)
	f.Add(b)
	f.Add([]byte(`{"schema":"fleetbench.sweep/v1","points":[{"fleet":"1P1D","gpus":4,"metrics":{"usd_per_task":0,"ttft_p99_ms":0}}],"answer":{"index":9}}`))
	f.Add([]byte(`{"schema":"fleetbench.sweep/v1","points":[{"scale":1,"metrics":{"cache_hit_rate":1e308}},{"scale":-1}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var in Input
		if err := in.add("fuzz", data, "fuzz.json"); err != nil {
			return
		}
		_ = render(&bytes.Buffer{}, in, libStub)
	})
}

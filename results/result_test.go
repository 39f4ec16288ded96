package results

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "regenerate golden files")

// golden compares got with testdata/name, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./results -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

func resultJSON(t *testing.T, r *Result) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, r))
	return b.Bytes()
}

func TestResultGoldenAndDeterministic(t *testing.T) {
	a := resultJSON(t, synthSummary(synthRecords(600, 1)).Result(testMeta))
	b := resultJSON(t, synthSummary(synthRecords(600, 1)).Result(testMeta))
	require.Equal(t, string(a), string(b), "same inputs must give byte-identical JSON")
	golden(t, "result.golden.json", a)
}

func TestJSONRoundTrip(t *testing.T) {
	res := synthSummary(synthRecords(300, 2)).Result(testMeta)
	data := resultJSON(t, res)
	back, err := Decode(bytes.NewReader(data), "mem.json")
	require.NoError(t, err)
	require.Equal(t, string(data), string(resultJSON(t, back)))
}

func TestDecodeErrors(t *testing.T) {
	good := string(resultJSON(t, synthSummary(synthRecords(200, 3)).Result(testMeta)))
	tests := []struct {
		name, in, want string
	}{
		{"empty", "", "invalid JSON"},
		{"syntax", "{\n  \"schema\": ,\n}", "bad.json:2:13: invalid JSON"},
		{"no schema", `{"backend":"sim"}`, `no "schema" field`},
		{"other schema", strings.Replace(good, Schema, "fleetbench.result/v9", 1), `schema is "fleetbench.result/v9"`},
		{"backend", strings.Replace(good, `"backend": "sim"`, `"backend": "gpu"`, 1), `backend is "gpu"`},
		{"type", strings.Replace(good, `"schema"`, `"window": 3, "x"`, 1), `field "window" holds a JSON number`},
		{"no totals", strings.Replace(good, `"totals"`, `"totals_x"`, 1), `missing "totals"`},
		{"counts", strings.Replace(good, `"completed": `, `"completed": 1`, 1), "completed"},
		{"hist class", strings.Replace(good, `"histograms": {`, `"histograms": {"nope": {}, `, 1), "histograms.nope: no such class"},
		// Valid base64 that is no histogram passed the reader: report and
		// compare printed the file's figures, report --format csv exited
		// 1 with "encoded histogram too short" and no file name.
		{"hist not a histogram", regexp.MustCompile(`"ttft_ms": "[^"]*"`).ReplaceAllString(good, `"ttft_ms": "AAAA"`), "ttft_ms: not a fleetbench histogram: encoded histogram too short"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tc.in), "bad.json")
			require.Error(t, err)
			require.Contains(t, err.Error(), "bad.json")
			require.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestReadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "r.json")
	res := synthSummary(synthRecords(60, 4)).Result(testMeta)
	require.NoError(t, os.WriteFile(path, resultJSON(t, res), 0o644))
	got, err := ReadFile(path)
	require.NoError(t, err)
	require.Equal(t, res.Totals.Requests, got.Totals.Requests)
	_, err = ReadFile(filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "missing.json")
}

func FuzzDecode(f *testing.F) {
	// A small seed: the fuzzer minimises every new input, which is slow on
	// a full result file.
	s := NewSummary(testClasses[:1], 0)
	s.Add(&Record{Class: "chat", Kind: "chat", Sent: 1e6, FirstToken: 5e7, LastToken: 9e7, OutputTokens: 3, InputTokens: 8, CachedTokens: 2})
	s.Add(&Record{Class: "chat", Kind: "chat", ErrorClass: "timeout"})
	s.Observe(1e9, "q", 2)
	var b bytes.Buffer
	_ = WriteJSON(&b, s.Result(testMeta))
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema":"fleetbench.result/v1","backend":"sim","totals":{},"timeline":{"interval_ns":3}}`))
	f.Add([]byte(`{"schema":"fleetbench.result/v1","backend":"sim","totals":{},"classes":{"a":{"requests":1,"completed":1}},"histograms":{"a":{"ttft_ms":"HISTFAAAACl42pJpmSzMwMDAzAABMJqRgYFB3KPsBYP9B4jAYmEmQAAAAP//W+gE8g=="}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := Decode(bytes.NewReader(data), "fuzz.json")
		if err != nil {
			return
		}
		// Whatever decodes must render and merge without panicking.
		var out bytes.Buffer
		_ = RenderTable(&out, r)
		_, _ = Merge(r, r)
	})
}

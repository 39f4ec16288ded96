package scenarios

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

// A trace line past the limits said "request 1 asks for ..." without its
// line; a trace whose lines span centuries (a timestamp typo: 9e12 ms is
// 285 years) passed validation, and a replay without duration: then
// waited that long for the line (run sleeps until it; sim reported a
// 285-year window). The replay is bounded like duration: (720 h) unless
// duration: cuts it.
func TestTraceLimitsNameTheLine(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644))
	}
	ok := `{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1]}` + "\n"
	write("big.jsonl", ok+`{"timestamp": 0, "input_length": 10, "output_length": 20000000, "hash_ids": [1]}`+"\n")
	write("big.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,5,5\n2023-11-16 18:15:47.6805900,50000000,5\n")
	write("gap.jsonl", ok+ok+`{"timestamp": 9000000000000, "input_length": 10, "output_length": 5, "hash_ids": [1]}`+"\n")
	write("gap.csv", "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,5,5\n2123-11-16 18:15:47.6805900,5,5\n")
	for _, tc := range []struct{ file, extra, want string }{
		{"big.jsonl", "", "big.jsonl:2: 10 input and 20000000 output tokens; the limit is 10000000 each"},
		{"big.csv", "", "big.csv:3: 50000000 input and 5 output tokens"},
		{"gap.jsonl", "", "gap.jsonl:3: this line is sent 2500000h0m0s after the trace's first"},
		{"gap.csv", "", "gap.csv:3: this line is sent"},
		{"gap.jsonl", "duration: 1h\n", ""},                  // duration cuts the replay
		{"gap.jsonl", "", "720h0m0s"},                        // the limit named
		{"gap.jsonl", "requests: 2\n", ""},                   // never reached
		{"gap.jsonl", "", "set duration: to cut the replay"}, // what to do
	} {
		src := "name: tr\n" + tc.extra + "classes:\n  - kind: trace\n    trace: {file: " + tc.file + "}\n"
		_, err := Parse("tr.yaml", []byte(src), dir)
		if tc.want == "" {
			require.NoError(t, err, tc.file+" "+tc.extra)
			continue
		}
		require.Error(t, err, tc.file)
		require.Contains(t, err.Error(), "classes[0].trace.file: ")
		require.Contains(t, err.Error(), tc.want)
	}
}

// A .gz trace read "missing key \"format\"" (no .jsonl or .csv extension
// seen); a directory read the same. Compressed traces are read; a
// directory is named as such.
func TestTraceGzipAndDirectory(t *testing.T) {
	dir := t.TempDir()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	_, err := zw.Write([]byte("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,5,5\n"))
	require.NoError(t, err)
	require.NoError(t, zw.Close())
	require.NoError(t, os.WriteFile(filepath.Join(dir, "a.csv.gz"), b.Bytes(), 0o644))
	require.NoError(t, os.Mkdir(filepath.Join(dir, "d.jsonl"), 0o755))
	s, err := Parse("tr.yaml", []byte("name: tr\nclasses:\n  - kind: trace\n    trace: {file: a.csv.gz}\n"), dir)
	require.NoError(t, err)
	require.Equal(t, "azure", s.Classes[0].Trace.Format)
	_, err = Parse("tr.yaml", []byte("name: tr\nclasses:\n  - kind: trace\n    trace: {file: d.jsonl}\n"), dir)
	require.Error(t, err)
	require.Contains(t, err.Error(), "tr.yaml:4:13: classes[0].trace.file: ")
	require.Contains(t, err.Error(), "d.jsonl is a directory, not a trace file")
}

// trace: {time_scale: 1e-300} (in range: (0, 1e6]) replayed a line 1 s
// after the first at arrival_ns -9223372036854775808 (int64 overflow),
// sent at once, and sim panicked "time went backwards"; validation let it
// through (the span check overflowed too).
func TestTinyTimeScaleDoesNotOverflow(t *testing.T) {
	dir := t.TempDir()
	line := func(ms int) string {
		return `{"timestamp": ` + strconv.Itoa(ms) + `, "input_length": 10, "output_length": 5, "hash_ids": [1]}` + "\n"
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "two.jsonl"), []byte(line(0)+line(1000)), 0o644))
	src := "name: tr\nclasses:\n  - kind: trace\n    trace: {file: two.jsonl, time_scale: 1e-300}\n"
	_, err := Parse("tr.yaml", []byte(src), dir)
	require.ErrorContains(t, err, "two.jsonl:2: this line is sent more than 1e300 h after the trace's first (time_scale 1e-300)")
	s, err := Parse("tr.yaml", []byte("name: tr\nduration: 10s\n"+src[len("name: tr\n"):]), dir)
	require.NoError(t, err)
	w, err := s.NewWorkload(WorkloadOptions{})
	require.NoError(t, err)
	var arrivals []int64
	for {
		r, ok := w.Next()
		if !ok {
			break
		}
		arrivals = append(arrivals, r.Arrival)
	}
	require.Equal(t, []int64{0}, arrivals, "the second line is past the 10 s duration")
}

package trace

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

const (
	mooncakeSlice = "../builtin/traces/mooncake-conversation-1000.jsonl"
	azureSlice    = "../builtin/traces/azure-conv-1000.csv"
)

func readAll(t testing.TB, r Reader) []Entry {
	t.Helper()
	var out []Entry
	for {
		e, err := r.Next()
		if err == io.EOF {
			return out
		}
		require.NoError(t, err)
		e.HashIDs = append([]uint64(nil), e.HashIDs...) // valid only until Next
		out = append(out, e)
	}
}

// TestMooncakeSlice checks the reader against values read independently
// (with Python's json module) from the committed slice.
func TestMooncakeSlice(t *testing.T) {
	r, c, err := Open(mooncakeSlice, "")
	require.NoError(t, err)
	defer c.Close()
	es := readAll(t, r)
	require.Len(t, es, 1000)

	require.Equal(t, Entry{Time: 0, Input: 6758, Output: 500, HashIDs: []uint64{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13}, Line: 1}, es[0])

	e := es[499]
	require.Equal(t, 500, e.Line)
	require.Equal(t, int64(165_000)*1e6, e.Time)
	require.Equal(t, 15597, e.Input)
	require.Equal(t, 138, e.Output)
	require.Len(t, e.HashIDs, 31)
	require.Equal(t, []uint64{0, 11849, 11850}, e.HashIDs[:3])
	require.Equal(t, uint64(11878), e.HashIDs[30])

	e = es[999]
	require.Equal(t, 1000, e.Line)
	require.Equal(t, int64(330_000)*1e6, e.Time)
	require.Equal(t, 19399, e.Input)
	require.Equal(t, 285, e.Output)
	require.Len(t, e.HashIDs, 38)
	require.Equal(t, []uint64{0, 19283, 19284}, e.HashIDs[:3])
	require.Equal(t, uint64(21513), e.HashIDs[37])

	var in, out, nids, sumids int
	for _, e := range es {
		in += e.Input
		out += e.Output
		nids += len(e.HashIDs)
		for _, h := range e.HashIDs {
			sumids += int(h)
		}
	}
	require.Equal(t, 13732944, in)
	require.Equal(t, 349357, out)
	require.Equal(t, 27305, nids)
	require.Equal(t, 261602427, sumids)
}

// TestAzureSlice: expected values read with awk from the committed slice;
// times are differences from the first row (18:15:46.6805900).
func TestAzureSlice(t *testing.T) {
	r, c, err := Open(azureSlice, "")
	require.NoError(t, err)
	defer c.Close()
	es := readAll(t, r)
	require.Len(t, es, 1000)
	require.Equal(t, Entry{Time: 0, Input: 374, Output: 44, Line: 2}, es[0])
	require.Equal(t, Entry{Time: 129_012_474_000, Input: 1033, Output: 420, Line: 501}, es[499]) // 18:17:55.6930640
	require.Equal(t, Entry{Time: 216_027_393_000, Input: 309, Output: 18, Line: 1001}, es[999])  // 18:19:22.7079830
	var in, out int
	for i, e := range es {
		in += e.Input
		out += e.Output
		require.Nil(t, e.HashIDs)
		if i > 0 {
			require.GreaterOrEqual(t, e.Time, es[i-1].Time)
		}
	}
	require.Equal(t, 1014189, in)
	require.Equal(t, 247262, out)
}

func TestMooncakeErrors(t *testing.T) {
	good := `{"timestamp": 0, "input_length": 600, "output_length": 5, "hash_ids": [1, 2]}` + "\n"
	cases := []struct {
		name, line, want string
	}{
		{"bad json", `{"timestamp": 0, "input_length": `, "t.jsonl:2: invalid JSON: unexpected end of JSON input"},
		{"not an object", `[1, 2]`, "t.jsonl:2: line is a JSON array, want an object"},
		{"missing timestamp", `{"input_length": 1, "output_length": 5, "hash_ids": [1]}`, `t.jsonl:2: missing "timestamp"`},
		{"missing input", `{"timestamp": 1, "output_length": 5, "hash_ids": [1]}`, `t.jsonl:2: missing "input_length"`},
		{"missing output", `{"timestamp": 1, "input_length": 1, "hash_ids": [1]}`, `t.jsonl:2: missing "output_length"`},
		{"missing hash", `{"timestamp": 1, "input_length": 1, "output_length": 5}`, `t.jsonl:2: missing "hash_ids"`},
		{"null hash", `{"timestamp": 1, "input_length": 1, "output_length": 5, "hash_ids": null}`, `t.jsonl:2: missing "hash_ids"`},
		{"negative input", `{"timestamp": 1, "input_length": -1, "output_length": 5, "hash_ids": []}`, "t.jsonl:2: input_length -1 is outside"},
		{"negative output", `{"timestamp": 1, "input_length": 1, "output_length": -5, "hash_ids": [1]}`, "t.jsonl:2: output_length -5 is outside"},
		{"too few ids", `{"timestamp": 1, "input_length": 1025, "output_length": 5, "hash_ids": [1, 2]}`, "t.jsonl:2: hash_ids has 2 ids but input_length 1025 needs 3 (one per 512-token block)"},
		{"too many ids", `{"timestamp": 1, "input_length": 512, "output_length": 5, "hash_ids": [1, 2]}`, "t.jsonl:2: hash_ids has 2 ids but input_length 512 needs 1"},
		{"string length", `{"timestamp": 1, "input_length": "7", "output_length": 5, "hash_ids": [1]}`, "t.jsonl:2: input_length: got a JSON string, want an integer"},
		{"negative id", `{"timestamp": 1, "input_length": 7, "output_length": 5, "hash_ids": [-1]}`, "t.jsonl:2: hash_ids: got a JSON number -1, want an array of non-negative integers"},
		{"trailing garbage", good[:len(good)-1] + "x", "t.jsonl:2: invalid JSON: invalid character 'x' after top-level value"},
		{"huge timestamp", `{"timestamp": 1e300, "input_length": 1, "output_length": 5, "hash_ids": [1]}`, "t.jsonl:2: timestamp 1e+300 ms is out of range"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewMooncakeReader(strings.NewReader(good+tc.line+"\n"+good), "t.jsonl")
			_, err := r.Next()
			require.NoError(t, err)
			_, err = r.Next()
			require.Error(t, err)
			require.True(t, strings.HasPrefix(err.Error(), tc.want), "got %q\nwant prefix %q", err, tc.want)
			_, err2 := r.Next()
			require.Equal(t, err, err2, "the reader stops at the first error")
		})
	}
}

// TestMooncakeShapes: valid lines in shapes the fast path declines (floats,
// extra keys, escapes, reordering) decode the same through encoding/json.
func TestMooncakeShapes(t *testing.T) {
	want := Entry{Time: 0, Input: 513, Output: 7, HashIDs: []uint64{4, 5}, Line: 1}
	for _, line := range []string{
		`{"timestamp": 0, "input_length": 513, "output_length": 7, "hash_ids": [4, 5]}`,
		`{"hash_ids":[4,5],"output_length":7,"input_length":513,"timestamp":0}`,
		"\t{ \"timestamp\" : 0 , \"input_length\" : 513 , \"output_length\" : 7 , \"hash_ids\" : [ 4 , 5 ] }  \r",
		`{"timestamp": 0.0, "input_length": 513, "output_length": 7, "hash_ids": [4, 5]}`,
		`{"timestamp": 0, "input_length": 513, "output_length": 7, "hash_ids": [4, 5], "extra": {"a": [1]}}`,
		`{"timest\u0061mp": 0, "input_length": 513, "output_length": 7, "hash_ids": [4, 5]}`,
	} {
		r := NewMooncakeReader(strings.NewReader("\n"+line+"\n\n"), "t")
		e, err := r.Next()
		require.NoError(t, err, line)
		w := want
		w.Line = 2
		require.Equal(t, w, e, line)
		_, err = r.Next()
		require.Equal(t, io.EOF, err)
	}
	// Fractional milliseconds and times relative to the first entry.
	r := NewMooncakeReader(strings.NewReader(`{"timestamp": 1000, "input_length": 0, "output_length": 1, "hash_ids": []}
{"timestamp": 1000.5, "input_length": 0, "output_length": 1, "hash_ids": []}
{"timestamp": 999, "input_length": 0, "output_length": 1, "hash_ids": []}`), "t")
	es := readAll(t, r)
	require.Equal(t, []int64{0, 500_000, -1_000_000}, []int64{es[0].Time, es[1].Time, es[2].Time})
}

func TestAzureErrors(t *testing.T) {
	const header = "TIMESTAMP,ContextTokens,GeneratedTokens\n"
	const good = "2023-11-16 18:15:46.6805900,374,44\n"
	cases := []struct {
		name, in, want string
	}{
		{"empty", "", "t.csv:1: empty file"},
		{"bad header", "time,in,out\n" + good, `t.csv:1: header "time,in,out" lacks column TIMESTAMP`},
		{"bad time", header + good + "2023-11-16 25:15:46,1,2\n", `t.csv:3: TIMESTAMP "2023-11-16 25:15:46" is not a time`},
		{"bad date", header + good + "2023-02-30 10:15:46,1,2\n", `t.csv:3: TIMESTAMP "2023-02-30 10:15:46"`},
		{"garbage time", header + good + "yesterday,1,2\n", `t.csv:3: TIMESTAMP "yesterday"`},
		{"too many digits", header + good + "2023-11-16 18:15:46.1234567890,1,2\n", `t.csv:3: TIMESTAMP`},
		{"bad tokens", header + good + "2023-11-16 18:15:46,x,2\n", `t.csv:3: ContextTokens "x" is not an integer`},
		{"negative tokens", header + good + "2023-11-16 18:15:46,1,-2\n", `t.csv:3: GeneratedTokens -2 is outside`},
		{"missing field", header + good + "2023-11-16 18:15:46,1\n", "t.csv:3: 2 fields, want 3"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := NewAzureReader(strings.NewReader(tc.in), "t.csv")
			var err error
			for err == nil {
				_, err = r.Next()
			}
			require.True(t, strings.HasPrefix(err.Error(), tc.want), "got %q\nwant prefix %q", err, tc.want)
			_, err2 := r.Next()
			require.Equal(t, err, err2, "the reader stops at the first error")
		})
	}
}

func TestAzureFlexible(t *testing.T) {
	in := "\xef\xbb\xbfGeneratedTokens, timestamp ,ContextTokens,Extra\r\n" +
		"44,\"2023-11-16 18:15:46.68\",374,x\r\n" +
		"\r\n" +
		"1,2023-11-16T18:15:45,0010,y\r\n" // earlier than the first row: allowed
	es := readAll(t, NewAzureReader(strings.NewReader(in), "t"))
	require.Equal(t, []Entry{
		{Time: 0, Input: 374, Output: 44, Line: 2},
		{Time: -1_680_000_000, Input: 10, Output: 1, Line: 4},
	}, es)
}

func TestParseAzureTime(t *testing.T) {
	cases := []struct {
		in   string
		want int64 // ns since epoch; 0 = invalid
	}{
		{"1970-01-01 00:00:00", 0},
		{"1970-01-01 00:00:01.5", 1_500_000_000},
		{"2023-11-16 18:15:46.6805900", 1700158546_680590000},
		{"2024-02-29 00:00:00.000000001", 1709164800_000000001},
		{"2023-02-29 00:00:00", -1},
		{"2023-11-16 18:15:60", -1},
		{"2023-11-16 18:15:46.", -1},
		{"2023-11-16", -1},
		{"0000-01-01 00:00:00", -1},
	}
	for _, tc := range cases {
		got, ok := parseAzureTime([]byte(tc.in))
		if tc.want < 0 {
			require.False(t, ok, tc.in)
			continue
		}
		require.True(t, ok, tc.in)
		require.Equal(t, tc.want, got, tc.in)
	}
}

func TestOpen(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	mc := `{"timestamp": 0, "input_length": 1, "output_length": 1, "hash_ids": [9]}` + "\n"
	az := "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46,1,2\n"
	cases := []struct {
		path, format string
		input        int
		err          string
	}{
		{write("a.trace", mc), "", 1, ""},
		{write("b.log", az), "", 1, ""},
		{write("c.txt", mc), "MOONCAKE", 1, ""},
		{write("d.dat", "hello\n"), "", 0, "cannot tell the trace format"},
		{write("e.csv", az), "parquet", 0, `unknown trace format "parquet"`},
		{filepath.Join(dir, "missing.jsonl"), "", 0, "no such file"},
		{write("f.jsonl", az), "", 0, "f.jsonl:1: invalid JSON"},
	}
	for _, tc := range cases {
		r, c, err := Open(tc.path, tc.format)
		if err == nil {
			var e Entry
			e, err = r.Next()
			require.NoError(t, c.Close())
			if err == nil {
				require.Equal(t, tc.input, e.Input)
			}
		}
		if tc.err == "" {
			require.NoError(t, err, tc.path)
		} else {
			require.ErrorContains(t, err, tc.err, tc.path)
		}
	}
}

// FuzzMooncake: no panic; errors are "name:line: ..."; and wherever the
// fast path accepts a line, encoding/json decodes it to the same record.
func FuzzMooncake(f *testing.F) {
	data, err := os.ReadFile(mooncakeSlice)
	require.NoError(f, err)
	for _, l := range bytes.SplitN(data, []byte("\n"), 4)[:3] {
		f.Add(l)
	}
	f.Add([]byte(`{"timestamp": 0, "input_length": 0, "output_length": 0, "hash_ids": []}`))
	f.Add([]byte(`{"timestamp": -5, "input_length": 01, "output_length": 0, "hash_ids": [1,]}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, line []byte) {
		var fast, slow mooncakeRecord
		ids, ok := fast.parseFast(line, nil)
		if ok {
			ids2, err := slow.parseJSON(line, nil)
			require.NoError(t, err, "fast path accepted %q but encoding/json did not", line)
			require.Equal(t, slow, fast, "%q", line)
			require.Equal(t, len(ids2), len(ids))
			for i := range ids {
				require.Equal(t, ids2[i], ids[i])
			}
		}
		r := NewMooncakeReader(bytes.NewReader(line), "f")
		for range 3 {
			e, err := r.Next()
			if err != nil {
				if err != io.EOF {
					require.True(t, strings.HasPrefix(err.Error(), "f:"), "%q", err)
				}
				break
			}
			require.GreaterOrEqual(t, e.Input, 0)
			require.Len(t, e.HashIDs, (e.Input+511)/512)
		}
	})
}

func FuzzAzure(f *testing.F) {
	data, err := os.ReadFile(azureSlice)
	require.NoError(f, err)
	f.Add(data[:200])
	f.Add([]byte("TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n"))
	f.Add([]byte("timestamp,contexttokens,generatedtokens\n\"2023-11-16T18:15:46\",0,0,\n"))
	f.Fuzz(func(t *testing.T, in []byte) {
		r := NewAzureReader(bytes.NewReader(in), "f")
		for range 5 {
			e, err := r.Next()
			if err != nil {
				if !errors.Is(err, io.EOF) {
					require.True(t, strings.HasPrefix(err.Error(), "f:"), "%q", err)
				}
				return
			}
			require.GreaterOrEqual(t, e.Input, 0)
			require.GreaterOrEqual(t, e.Output, 0)
		}
	})
}

func benchReader(b *testing.B, path string, open func(io.Reader) Reader) {
	data, err := os.ReadFile(path)
	require.NoError(b, err)
	br := bytes.NewReader(data)
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	n := 0
	for b.Loop() {
		br.Reset(data)
		r := open(br)
		for {
			if _, err := r.Next(); err != nil {
				break
			}
			n++
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(n), "ns/entry")
}

// BenchmarkMooncake reads the 1000-line slice; allocations per op are the
// reader's setup (scanner buffer, first growth of the id buffer), not per
// entry.
func BenchmarkMooncake(b *testing.B) {
	benchReader(b, mooncakeSlice, func(r io.Reader) Reader { return NewMooncakeReader(r, "bench") })
}

func BenchmarkAzure(b *testing.B) {
	benchReader(b, azureSlice, func(r io.Reader) Reader { return NewAzureReader(r, "bench") })
}

// TestNoAllocPerEntry: after warm-up, reading an entry allocates nothing
// (the hash-id buffer and scanner buffer are reused).
func TestNoAllocPerEntry(t *testing.T) {
	mc := bytes.Repeat([]byte(`{"timestamp": 7, "input_length": 2000, "output_length": 5, "hash_ids": [1, 2, 3, 4]}`+"\n"), 500)
	az := append([]byte("TIMESTAMP,ContextTokens,GeneratedTokens\n"), bytes.Repeat([]byte("2023-11-16 18:15:46.6805900,374,44\n"), 500)...)
	for name, r := range map[string]Reader{
		"mooncake": NewMooncakeReader(bytes.NewReader(mc), "m"),
		"azure":    NewAzureReader(bytes.NewReader(az), "a"),
	} {
		for range 10 {
			_, err := r.Next()
			require.NoError(t, err)
		}
		allocs := testing.AllocsPerRun(200, func() {
			if _, err := r.Next(); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, name)
	}
}

// BenchmarkMooncakeJSON decodes the same lines with encoding/json only, the
// baseline the hand-written fast path is measured against.
func BenchmarkMooncakeJSON(b *testing.B) {
	data, err := os.ReadFile(mooncakeSlice)
	require.NoError(b, err)
	lines := bytes.Split(bytes.TrimSpace(data), []byte("\n"))
	var hash []uint64
	b.ReportAllocs()
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		for _, l := range lines {
			var rec mooncakeRecord
			if hash, err = rec.parseJSON(l, hash); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(lines)), "ns/entry")
}

// A gzip-compressed trace (published traces often ship as .csv.gz) read
// "invalid character '\x1f'" at line 1, or "missing key format" for a
// .gz name: it is decompressed as it is read, the format guessed from the
// name without .gz.
func TestOpenGzip(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"m.jsonl.gz": `{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1]}` + "\n",
		"a.csv.gz":   "TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,10,5\n",
		"m.gz.jsonl": `{"timestamp": 0, "input_length": 10, "output_length": 5, "hash_ids": [1]}` + "\n", // gzip by content
	} {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		_, err := zw.Write([]byte(body))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, b.Bytes(), 0o644))
		r, c, err := Open(path, "")
		require.NoError(t, err, name)
		e, err := r.Next()
		require.NoError(t, err, name)
		require.Equal(t, 10, e.Input, name)
		require.Equal(t, map[bool]int{true: 2, false: 1}[strings.Contains(name, ".csv")], e.Line, name, "the header is line 1")
		_, err = r.Next()
		require.ErrorIs(t, err, io.EOF, name)
		require.NoError(t, c.Close())
	}
	// A truncated gzip stream is an error naming the file, not a short trace.
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	for i := 0; i < 2000; i++ {
		fmt.Fprintf(zw, `{"timestamp": %d, "input_length": 10, "output_length": 5, "hash_ids": [1]}`+"\n", i)
	}
	require.NoError(t, zw.Close())
	path := filepath.Join(dir, "cut.jsonl.gz")
	require.NoError(t, os.WriteFile(path, b.Bytes()[:b.Len()/2], 0o644))
	r, c, err := Open(path, "")
	require.NoError(t, err)
	defer c.Close()
	for err == nil {
		_, err = r.Next()
	}
	require.NotErrorIs(t, err, io.EOF)
	require.Contains(t, err.Error(), "cut.jsonl.gz")
}

// A directory given as a trace read "is a directory" from deep inside.
func TestOpenDirectory(t *testing.T) {
	_, _, err := Open(t.TempDir(), "mooncake")
	require.Error(t, err)
	require.Contains(t, err.Error(), "is a directory, not a trace file")
}

package results

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
)

func TestRecordWriterRoundTrip(t *testing.T) {
	recs := synthRecords(50, 31)
	var buf bytes.Buffer
	w := NewRecordWriter(&buf)
	for i := range recs {
		require.NoError(t, w.Write(&recs[i]))
	}
	require.NoError(t, w.Flush())
	require.Equal(t, 50, strings.Count(buf.String(), "\n"))

	var got []Record
	require.NoError(t, ReadRecords(&buf, "r.jsonl", func(r *Record) error {
		got = append(got, *r)
		return nil
	}))
	require.Equal(t, recs, got)

	// The summary of re-read records equals the summary of the originals.
	a := resultJSON(t, synthSummary(recs).Result(testMeta))
	b := resultJSON(t, synthSummary(got).Result(testMeta))
	require.Equal(t, string(a), string(b))
}

func TestReadRecordsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"syntax", "{\"id\":1}\n{oops}\n", "r.jsonl:2: bad record"},
		{"unknown field", `{"id":1,"ttft":3}`, `r.jsonl:1: bad record: json: unknown field "ttft"`},
		{"type", `{"id":"one"}`, "r.jsonl:1: bad record"},
		{"two values", `{"id":1} {"id":2}`, "more than one JSON value"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := ReadRecords(strings.NewReader(tc.in), "r.jsonl", func(*Record) error { return nil })
			require.ErrorContains(t, err, tc.want)
		})
	}
	stop := errors.New("stop")
	err := ReadRecords(strings.NewReader("\n{\"id\":1}\n"), "r.jsonl", func(*Record) error { return stop })
	require.ErrorIs(t, err, stop)
	require.ErrorContains(t, err, "r.jsonl:2")
}

func FuzzReadRecords(f *testing.F) {
	var buf bytes.Buffer
	w := NewRecordWriter(&buf)
	for _, r := range synthRecords(4, 32) {
		_ = w.Write(&r)
	}
	_ = w.Flush()
	f.Add(buf.Bytes())
	f.Add([]byte("{}\n\n{\"itl_ns\":[1,2,3]}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s := NewSummary(nil, 0)
		_ = ReadRecords(bytes.NewReader(data), "fuzz.jsonl", func(r *Record) error {
			s.Add(r) // any decoded record must summarise without panicking
			return nil
		})
		_ = s.Result(Meta{Backend: "endpoint"})
	})
}

func BenchmarkRecordWriter(b *testing.B) {
	recs := synthRecords(1024, 33)
	w := NewRecordWriter(discard{})
	b.ReportAllocs()
	for i := range b.N {
		_ = w.Write(&recs[i&1023])
	}
	_ = w.Flush()
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }

// NewRecord copies the whole header of a request, whatever its kind.
func TestNewRecordHeader(t *testing.T) {
	for _, kind := range []scenarios.Kind{scenarios.KindChat, scenarios.KindAgent, scenarios.KindVideo, scenarios.KindTrace} {
		r := &scenarios.Request{ID: 7, Class: "c", Kind: kind, Arrival: 5, InputTokens: 123, OutputTokens: 9, TaskID: 3, TaskStart: 2, Turn: 4}
		require.Equal(t, &Record{ID: 7, Class: "c", Kind: string(kind), TaskID: 3, Turn: 4, Intended: 11, InputTokens: 123},
			NewRecord(r, 11), "times other than the intended one, and TaskStart, are the backend's")
	}
}

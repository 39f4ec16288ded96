package runners

import (
	"context"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

func TestSSEReader(t *testing.T) {
	cases := []struct {
		name, in string
		want     []string
		err      error
	}{
		{"basic", "data: a\n\ndata: b\n\n", []string{"a", "b"}, io.EOF},
		{"crlf and no space", "data:a\r\n\r\ndata:  b\r\n\r\n", []string{"a", " b"}, io.EOF},
		{"comments and fields", ": keep-alive\nevent: x\nid: 3\nretry: 10\ndata: a\n\n", []string{"a"}, io.EOF},
		{"multi-line data", "data: a\ndata: b\n\n", []string{"a\nb"}, io.EOF},
		{"final event without blank line", "data: a\n\ndata: b", []string{"a", "b"}, io.EOF},
		{"events without data are skipped", "event: ping\n\n\n\ndata: x\n\n", []string{"x"}, io.EOF},
		{"empty", "", nil, io.EOF},
		{"long line", "data: " + strings.Repeat("x", 70000) + "\n\n", []string{strings.Repeat("x", 70000)}, io.EOF},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newSSEReader(strings.NewReader(tc.in))
			var got []string
			for {
				d, err := s.Next()
				if err != nil {
					require.ErrorIs(t, err, tc.err)
					break
				}
				got = append(got, string(d))
			}
			require.Equal(t, tc.want, got)
		})
	}
	s := newSSEReader(strings.NewReader("data: " + strings.Repeat("x", maxEvent+10) + "\n\n"))
	_, err := s.Next()
	require.ErrorIs(t, err, errMalformed)
}

func TestParseChunk(t *testing.T) {
	var c chunk
	txt, err := parseChunk([]byte(`{"choices":[{"delta":{"reasoning_content":"R","content":"C"}}],"usage":null}`), &c, nil)
	require.NoError(t, err)
	require.Equal(t, "RC", string(txt))
	txt, err = parseChunk([]byte(`{"choices":[{"text":"T"}],"usage":{"prompt_tokens":3,"completion_tokens":2,"prompt_tokens_details":{"cached_tokens":1}}}`), &c, nil)
	require.NoError(t, err)
	require.Equal(t, "T", string(txt))
	require.Equal(t, 1, c.Usage.cached())
	txt, err = parseChunk([]byte(`{"choices":[]}`), &c, nil)
	require.NoError(t, err)
	require.Empty(t, txt)
	require.Nil(t, c.Usage, "reset between chunks")
	_, err = parseChunk([]byte(`{"choices":[{"delta":`), &c, nil)
	require.ErrorIs(t, err, errMalformed)
}

func TestTokensPerChunk(t *testing.T) {
	cases := []struct {
		name  string
		sizes []int32
		cum   []int32
		total int
		want  []int
	}{
		{"one token per chunk", []int32{3, 3, 3}, []int32{-1, -1, -1}, 3, []int{1, 1, 1}},
		{"total equals chunks", []int32{3, 3}, []int32{-1, -1}, 2, []int{1, 1}},
		{"total below chunks keeps one each", []int32{3, 3, 3}, []int32{-1, -1, -1}, 2, []int{1, 1, 1}},
		{"continuous usage is exact", []int32{5, 1, 9}, []int32{2, 3, 7}, 7, []int{2, 1, 4}},
		{"continuous usage with a zero step", []int32{5, 1}, []int32{2, 2}, 2, []int{2, 0}},
		{"apportioned by length", []int32{4, 8, 4}, []int32{-1, -1, -1}, 8, []int{2, 4, 2}},
		{"largest remainder", []int32{1, 1, 1}, []int32{-1, -1, -1}, 5, []int{2, 2, 1}},
		{"largest remainder by size", []int32{1, 2, 3}, []int32{-1, -1, -1}, 5, []int{1, 2, 2}},
		{"mixed unknown falls back", []int32{2, 2}, []int32{1, -1}, 4, []int{2, 2}},
		{"no per-chunk usage", []int32{2, 2}, nil, 4, []int{2, 2}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := tokensPerChunkInto(nil, tc.sizes, tc.cum, tc.total)
			require.Equal(t, tc.want, got)
			if tc.total >= len(tc.sizes) {
				sum := 0
				for _, k := range got {
					sum += k
				}
				require.Equal(t, tc.total, sum)
			}
		})
	}
}

func TestReconcile(t *testing.T) {
	cases := []struct {
		name           string
		usage          int
		have           bool
		counted, slack int
		want           int
		from           string
		mismatch       bool
	}{
		{"no usage: counted", 0, false, 40, 2, 40, FromCounted, false},
		{"usage agrees exactly", 40, true, 40, 2, 40, FromUsage, false},
		{"usage within 25%", 50, true, 40, 2, 50, FromUsage, false},
		{"usage 25% under", 30, true, 40, 2, 30, FromUsage, false},
		{"usage past 25%", 51, true, 40, 2, 40, FromCounted, true},
		{"20 chunks, usage 100000", 100000, true, 20, 2, 20, FromCounted, true},
		{"small counts within slack", 3, true, 1, 2, 3, FromUsage, false},
		{"negative usage ignored", -4, true, 7, 2, 7, FromCounted, false},
		{"usage 0 for real text", 0, true, 10, 2, 10, FromCounted, true},
		{"chat template slack on input", 130, true, 100, 64, 130, FromUsage, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			n, from, mm := reconcile(tc.usage, tc.have, tc.counted, tc.slack)
			require.Equal(t, tc.want, n)
			require.Equal(t, tc.from, from)
			require.Equal(t, tc.mismatch, mm)
		})
	}
}

func TestAppendJSON(t *testing.T) {
	for _, s := range []string{"", "plain words", "q\"b\\s\n\r\t\x00\x1f", "é ü 漢字 🙂", "\u2028\u2029", "bad \xff\xfe utf8"} {
		b := appendJSONString(nil, s)
		var back string
		require.NoError(t, json.Unmarshal(b, &back), "%q -> %s", s, b)
		want := strings.ToValidUTF8(s, "\ufffd")
		if !utf8.ValidString(s) {
			want = strings.ReplaceAll(s, "\xff", "\ufffd")
			want = strings.ReplaceAll(want, "\xfe", "\ufffd")
		}
		require.Equal(t, want, back)
	}
}

// FuzzAppendJSON: any bytes become a JSON string that decodes to their
// valid-UTF-8 form.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{"", "a\"b", "\x00\xff", "🙂\u2028"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, s []byte) {
		b := appendJSONBytes(nil, s)
		var back string
		require.NoError(t, json.Unmarshal(b, &back))
		if utf8.Valid(s) {
			require.Equal(t, string(s), back)
		}
	})
}

// FuzzSSE: whatever a server streams, reading it yields a record that is
// either a success with consistent times and tokens, or a classified
// error: never a panic, never an unclassified failure.
func FuzzSSE(f *testing.F) {
	seeds := []string{
		"data: {\"choices\":[{\"delta\":{\"content\":\"hi\"}}]}\n\ndata: [DONE]\n\n",
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"completion_tokens\":1}}\n\ndata: {\"choices\":[{\"delta\":{\"content\":\"b c\"}}],\"usage\":{\"completion_tokens\":3}}\n\ndata: [DONE]\n\n",
		"data: {\"choices\":[{\"text\":\"x\"}]}\r\n\r\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":9,\"prompt_tokens_details\":{\"cached_tokens\":7}}}\r\n\r\ndata: [DONE]\r\n\r\n",
		"data: {\"error\":{\"message\":\"x\"}}\n\n",
		"data: {\"choices\": [ nope\n\n",
		": ping\n\ndata: {\"choices\":[{\"delta\":{}}]}\n\n",
		"data: null\n\ndata: 5\n\n",
		"data: {\"choices\":[{\"delta\":{\"content\":\"a\"}}],\"usage\":{\"completion_tokens\":-4}}\n\ndata: [DONE]\n\n",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	c := &caller{cfg: &Config{}, start: time.Now()}
	known := map[string]bool{ClassMalformedSSE: true, ClassStreamError: true, ClassTruncated: true, ClassEmpty: true, ClassDisconnect: true}
	f.Fuzz(func(t *testing.T, body []byte) {
		st := &reqState{}
		rec := &results.Record{Sent: 1, InputTokens: 10}
		ctx, cancel := context.WithCancelCause(t.Context())
		clk := newCtxClock(ctx, cancel, time.Hour, time.Hour)
		defer clk.stop()
		got, _ := c.readStream(strings.NewReader(string(body)), rec, st, clk, true)
		if !got.OK() {
			require.True(t, known[got.ErrorClass], "unexpected class %q (%s)", got.ErrorClass, got.Error)
			require.NotEmpty(t, got.Error)
			return
		}
		require.LessOrEqual(t, got.FirstToken, got.LastToken)
		for _, g := range got.ITL {
			require.GreaterOrEqual(t, g, int64(0))
		}
		require.LessOrEqual(t, got.CachedTokens, max(got.InputTokens, 0))
		require.GreaterOrEqual(t, got.OutputTokens, 0)
	})
}

func newSSEReader(r io.Reader) *sseReader {
	s := &sseReader{}
	s.reset(r)
	return s
}

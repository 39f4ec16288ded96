package runners

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// refChunk decodes data the way parseChunk did before the fast path:
// encoding/json alone, plus responseID.
func refChunk(data []byte) (text string, u *usage, errRaw string, id string, err error) {
	var c chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return "", nil, "", "", err
	}
	return string(c.appendText(nil)), c.Usage, string(c.Error), responseID(data), nil
}

var chunkSeeds = []string{
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":" hello"},"logprobs":null,"finish_reason":null}]}`,
	`{"id":"x","choices":[],"usage":{"prompt_tokens":16,"total_tokens":24,"completion_tokens":8,"prompt_tokens_details":{"cached_tokens":3}}}`,
	`{"id":"cmpl-2","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"a b c","reasoning_content":null,"tool_calls":[]},"finish_reason":"length"}],"usage":{"prompt_tokens":16,"completion_tokens":8,"prompt_tokens_details":null}}`,
	`{"choices":[{"text":" x\n\"q\" \\ \/ \b\f\r\t \u00e9 \ud83d\ude00 \ud800 \udc00x \ud800\u0041"}]}`,
	`{"choices":[{"delta":{"reasoning_content":"R","reasoning":"r","content":"C"}},{"delta":{"content":"2"}}],"usage":null}`,
	`{"error":{"message":"boom","code":500}}`,
	`{"error":null,"choices":null}`,
	` {"choices" : [ { "delta" : { "content" : "é🙂" } } ] } `,
	`{"Choices":[{"delta":{"content":"folded"}}]}`,
	`{"choices":[{"delta":{"Content":"folded"}}]}`,
	`{"choices":[{"delta":{"content":"a"},"delta":{"content":"b"}}]}`,
	`{"usage":{"completion_tokens":1.5}}`,
	`{"usage":{"completion_tokens":-0}}`,
	`{"usage":{"completion_tokens":123456789012345678901}}`,
	`{"usage":{"completion_tokens":"8"}}`,
	`{"choices":[{"delta":{"content":5}}]}`,
	`{"choices":[null]}`,
	`{"id":5,"choices":[]}`,
	`{"id":"a\"b","choices":[]}`,
	`{"choices":[{"text":"\xff"}]}`,
	`{"x":[1,-2.5e+3,true,false,null,{"y":"\u0000"}],"choices":[]}`,
	`{"choices":[{"delta":{}}]} x`,
	`{"choices":[{"delta":{"content":"a"}}],}`,
	`null`,
	``,
	`{"choices":[{"delta":{"content":"a\u00"}}]}`,
	`{"x":01}`,
	`{"x":1.}`,
	`{"x":-}`,
	`{"choices":[{"delta":{"content":"` + "\x01" + `"}}]}`,
	`{"uſage":{"completion_tokens":3}}`,
	`{"choices":[{"delta":{"ContenT":"x"}}],"ID":"y"}`,
}

// FuzzChunkFastPath: wherever the fast path answers, it answers exactly
// what encoding/json does (text, usage, error, id); parseChunk as a whole
// fails exactly when encoding/json does.
func FuzzChunkFastPath(f *testing.F) {
	for _, s := range chunkSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		text, u, errRaw, id, rerr := refChunk(data)
		var c chunk
		got, ok := fastChunk(data, &c, []byte("prefix:"))
		if ok {
			require.NoError(t, rerr, "fast path accepted what encoding/json refuses: %q", data)
			require.Equal(t, "prefix:"+text, string(got))
			require.Equal(t, u, c.Usage)
			require.Equal(t, errRaw, string(c.Error))
			require.Equal(t, id, c.responseID(data))
		} else {
			require.Equal(t, "prefix:", string(got), "a refused payload leaves dst alone")
		}
		// parseChunk, reusing a chunk that held something else.
		var d chunk
		_, _ = parseChunk([]byte(`{"choices":[{"delta":{"content":"old","reasoning":"old"}},{"text":"old"}],"usage":{"completion_tokens":9},"error":"old","id":"old"}`), &d, nil)
		out, err := parseChunk(data, &d, nil)
		if rerr != nil {
			require.Error(t, err)
			require.ErrorIs(t, err, errMalformed)
			return
		}
		require.NoError(t, err)
		require.Equal(t, text, string(out))
		require.Equal(t, u, d.Usage)
		require.Equal(t, errRaw, string(d.Error))
		require.Equal(t, id, d.responseID(data))
	})
}

// TestChunkFastPathTakesServerShapes: the shapes vLLM, SGLang and OpenAI
// send are decoded by the fast path, not handed to encoding/json.
func TestChunkFastPathTakesServerShapes(t *testing.T) {
	for _, s := range chunkSeeds[:9] {
		var c chunk
		_, ok := fastChunk([]byte(s), &c, nil)
		require.True(t, ok, "%s", s)
	}
}

func BenchmarkParseChunk(b *testing.B) {
	for _, bc := range []struct{ name, data string }{
		{"stream", chunkSeeds[1]},
		{"whole", chunkSeeds[3]},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var c chunk
			var dst []byte
			data := []byte(bc.data)
			b.ReportAllocs()
			for b.Loop() {
				dst, _ = parseChunk(data, &c, dst[:0])
			}
		})
		b.Run(bc.name+"-encoding-json", func(b *testing.B) {
			data := []byte(bc.data)
			b.ReportAllocs()
			for b.Loop() {
				_, _, _, _, _ = refChunk(data)
			}
		})
	}
}

// readAll keeps what a reader yields in pieces, stops at the limit and
// reuses the buffer it was given.
func TestReadAll(t *testing.T) {
	src := []byte(strings.Repeat("abcdefghij", 300))
	got, err := readAll(nil, iotest.HalfReader(bytes.NewReader(src)), 1<<20)
	require.NoError(t, err)
	require.Equal(t, src, got)
	again, err := readAll(got[:0], bytes.NewReader(src[:100]), 1<<20)
	require.NoError(t, err)
	require.Equal(t, src[:100], again)
	require.Same(t, &got[0], &again[0], "buffer reused")
	cut, err := readAll(nil, bytes.NewReader(src), 1000)
	require.NoError(t, err)
	require.Len(t, cut, 1000)
	_, err = readAll(nil, iotest.ErrReader(io.ErrUnexpectedEOF), 10)
	require.ErrorIs(t, err, io.ErrUnexpectedEOF)
}

package runners

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// maxEvent bounds one server-sent event; a stream chunk is a few hundred
// bytes, so anything near this is a broken or hostile server.
const maxEvent = 8 << 20

// errMalformed marks a stream that does not follow the SSE / OpenAI chunk
// format; the request's error class becomes "malformed_sse".
var errMalformed = errors.New("malformed SSE")

// sseReader reads server-sent events (the WHATWG format OpenAI-compatible
// servers stream with) and returns each event's data. Comments, event
// names, ids and retry fields are ignored; multi-line data is joined with
// "\n" as the specification says.
type sseReader struct {
	br   *bufio.Reader
	data []byte
	line []byte
}

// reset makes s read r, keeping its buffers (pooled per request). 4 KB
// holds any ordinary chunk line; longer lines are joined in s.line.
func (s *sseReader) reset(r io.Reader) {
	if s.br == nil {
		s.br = bufio.NewReaderSize(r, 4<<10)
	} else {
		s.br.Reset(r)
	}
	s.data, s.line = s.data[:0], s.line[:0]
}

// readLine returns the next line without its terminator (LF, CRLF or a
// trailing CR). The slice is valid until the next call.
func (s *sseReader) readLine() ([]byte, error) {
	l, err := s.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		s.line = append(s.line[:0], l...)
		for err == bufio.ErrBufferFull {
			if len(s.line) > maxEvent {
				return nil, fmt.Errorf("%w: line longer than %d bytes", errMalformed, maxEvent)
			}
			l, err = s.br.ReadSlice('\n')
			s.line = append(s.line, l...)
		}
		l = s.line
	}
	if err != nil && (err != io.EOF || len(l) == 0) {
		return nil, err
	}
	l = bytes.TrimSuffix(l, []byte{'\n'})
	l = bytes.TrimSuffix(l, []byte{'\r'})
	return l, nil
}

// Next returns the data of the next event that has data. At the end of the
// stream it returns io.EOF (a final event without its blank line is still
// returned first), or the transport's error (e.g. io.ErrUnexpectedEOF).
func (s *sseReader) Next() ([]byte, error) {
	s.data = s.data[:0]
	have := false
	for {
		l, err := s.readLine()
		if err != nil {
			if err == io.EOF && have {
				return s.data, nil
			}
			return nil, err
		}
		if len(l) == 0 { // blank line: dispatch
			if have {
				return s.data, nil
			}
			continue
		}
		if l[0] == ':' {
			continue // comment / keep-alive
		}
		field, value, found := bytes.Cut(l, []byte{':'})
		if found && len(value) > 0 && value[0] == ' ' {
			value = value[1:]
		}
		if string(field) != "data" {
			continue
		}
		if have {
			s.data = append(s.data, '\n')
		}
		if len(s.data)+len(value) > maxEvent {
			return nil, fmt.Errorf("%w: event longer than %d bytes", errMalformed, maxEvent)
		}
		s.data = append(s.data, value...)
		have = true
	}
}

// chunk is the part of an OpenAI streaming chunk (chat.completion.chunk or
// text_completion) the runner reads.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"` // vLLM, SGLang, DeepSeek
			Reasoning        string `json:"reasoning"`         // newer vLLM
		} `json:"delta"`
		Message struct { // non-streaming chat response
			Content          string `json:"content"`
			ReasoningContent string `json:"reasoning_content"`
		} `json:"message"`
		Text string `json:"text"` // completions
	} `json:"choices"`
	Usage *usage          `json:"usage"`
	Error json.RawMessage `json:"error"`

	// The fast path's state and buffers (chunkjson.go), kept across chunks.
	fast   bool   // the last payload was decoded by the fast path
	id     []byte // its "id" string (idOK), valid until the next read
	idOK   bool
	fc     []fastChoice
	sbuf   []byte // decoded escapes
	errBuf []byte
	ub     usage
	db     tokenDetails
}

// usage is the token accounting OpenAI-compatible servers report.
type usage struct {
	PromptTokens        int           `json:"prompt_tokens"`
	CompletionTokens    int           `json:"completion_tokens"`
	PromptTokensDetails *tokenDetails `json:"prompt_tokens_details"`
}

type tokenDetails struct {
	CachedTokens int `json:"cached_tokens"`
}

func (u *usage) cached() int {
	if u == nil || u.PromptTokensDetails == nil {
		return 0
	}
	return u.PromptTokensDetails.CachedTokens
}

// parseChunk decodes one data payload into c (reset first) and returns the
// generated text it carries (content, reasoning or completion text,
// appended to dst).
func parseChunk(data []byte, c *chunk, dst []byte) ([]byte, error) {
	if out, ok := fastChunk(data, c, dst); ok {
		return out, nil
	}
	// encoding/json decodes array elements into the existing backing array
	// without zeroing them, so clear it: a field absent from this chunk must
	// not keep the previous chunk's text.
	ch := c.Choices[:cap(c.Choices)]
	clear(ch)
	*c = chunk{Choices: ch[:0], fc: c.fc[:0], sbuf: c.sbuf[:0], errBuf: c.errBuf[:0]}
	if err := json.Unmarshal(data, c); err != nil {
		return dst, fmt.Errorf("%w: chunk is not JSON: %v (data %q)", errMalformed, err, clip(data, 120))
	}
	return c.appendText(dst), nil
}

// appendText appends the chunk's generated text to dst: per choice,
// reasoning, then content, then the legacy completions text (the order of
// the fast path's fc* slots). The reference decoder in the fast path's
// tests uses it too, so the order is written once.
func (c *chunk) appendText(dst []byte) []byte {
	for i := range c.Choices {
		ch := &c.Choices[i]
		dst = append(dst, ch.Delta.ReasoningContent...)
		dst = append(dst, ch.Delta.Reasoning...)
		dst = append(dst, ch.Delta.Content...)
		dst = append(dst, ch.Message.ReasoningContent...)
		dst = append(dst, ch.Message.Content...)
		dst = append(dst, ch.Text...)
	}
	return dst
}

// clip shortens b for an error message.
func clip(b []byte, n int) string {
	if len(b) <= n {
		return string(b)
	}
	return string(b[:n]) + "…"
}

// maxResponseID bounds the response id kept in a record.
const maxResponseID = 128

// responseID is the "id" of a response body or its first chunk ("" when
// absent or not JSON), read once per request rather than on every chunk.
func responseID(data []byte) string {
	var v struct {
		ID string `json:"id"`
	}
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	return clipID(v.ID)
}

// responseID is the id of the payload parseChunk last decoded (data):
// the fast path read it already; otherwise it is decoded from data.
func (c *chunk) responseID(data []byte) string {
	if c.fast {
		if !c.idOK {
			return ""
		}
		return clipID(string(c.id))
	}
	return responseID(data)
}

// clipID bounds an id a server sent, so a hostile one cannot bloat records.
func clipID(id string) string {
	if len(id) > maxResponseID {
		return id[:maxResponseID]
	}
	return id
}

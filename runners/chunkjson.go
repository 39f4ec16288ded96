package runners

import (
	"bytes"
	"unicode/utf16"
	"unicode/utf8"
)

// The fast path of parseChunk. encoding/json took 12% of the client's CPU
// non-streaming and 19% streaming (profiles of run against a trivial
// loopback server at 3,000-5,000 req/s): it validates the whole payload,
// then decodes it by reflection, allocating every string. Servers send the
// same few shapes, so this decoder reads them directly: it validates as it
// goes, appends the generated text to the caller's buffer without
// allocating, and gives up (ok false) on anything it does not handle
// exactly as encoding/json would: invalid JSON, a wrong type, a duplicate
// or case-folded known key, a key with escapes, invalid UTF-8 in a string
// it keeps, a non-integer or huge token count, nesting past maxFastDepth.
// parseChunk then decodes the payload with encoding/json, so the result
// (text, usage, error, id, or the error message) is always the reference
// decoder's; FuzzChunkFastPath checks that they agree wherever this one
// answers.

// maxFastDepth bounds the nesting the fast path follows in skipped values.
const maxFastDepth = 256

// fastChoice holds one choice's strings in the order parseChunk appends them.
type fastChoice [6][]byte

const (
	fcDeltaReasoningContent = iota
	fcDeltaReasoning
	fcDeltaContent
	fcMessageReasoningContent
	fcMessageContent
	fcText
)

// fastChunk is parseChunk's fast path. On success c holds Usage, Error and
// the response id (c.id, c.idOK; c.fast set) and the text is appended to
// dst; on failure it returns dst unchanged and false, c in any state.
func fastChunk(data []byte, c *chunk, dst []byte) ([]byte, bool) {
	c.Choices = c.Choices[:0]
	c.Usage, c.Error = nil, nil
	c.id, c.idOK, c.fast = nil, false, false
	c.fc = c.fc[:0]
	c.sbuf = c.sbuf[:0]
	s := jscan{d: data}
	s.ws()
	var seen uint8
	ok := s.object(func(key []byte) bool {
		switch string(key) {
		case "choices":
			return once(&seen, 1) && s.choices(c)
		case "usage":
			return once(&seen, 2) && s.usage(c)
		case "error":
			if !once(&seen, 4) {
				return false
			}
			start := s.i
			if !s.skip(0) {
				return false
			}
			c.errBuf = append(c.errBuf[:0], s.d[start:s.i]...)
			c.Error = c.errBuf
			return true
		case "id":
			if !once(&seen, 8) {
				return false
			}
			if s.peek() != '"' { // not a string: no id (as responseID), but valid JSON
				return s.skip(0)
			}
			raw, esc, ok := s.str()
			if !ok || esc || !utf8.Valid(raw) {
				return false
			}
			c.id, c.idOK = raw, true
			return true
		}
		return !folds(key, "choices", "usage", "error", "id") && s.skip(0)
	})
	s.ws()
	if !ok || s.i != len(s.d) {
		return dst, false
	}
	for i := range c.fc {
		for _, t := range c.fc[i] {
			dst = append(dst, t...)
		}
	}
	c.fast = true
	return dst, true
}

// once sets bit in *seen and says whether it was clear: a known key seen
// twice leaves the fast path (encoding/json's merging rules for repeats
// are not worth copying).
func once(seen *uint8, bit uint8) bool {
	if *seen&bit != 0 {
		return false
	}
	*seen |= bit
	return true
}

// folds reports whether key matches one of names case-insensitively:
// encoding/json would decode it into that field, so the fast path gives up.
func folds(key []byte, names ...string) bool {
	ascii := true
	for _, b := range key {
		ascii = ascii && b < utf8.RuneSelf
	}
	for _, n := range names {
		if ascii && len(key) != len(n) {
			continue // ASCII folds only to ASCII of the same length (K and ſ are not ASCII)
		}
		if bytes.EqualFold(key, []byte(n)) {
			return true
		}
	}
	return false
}

// jscan reads JSON from d at i.
type jscan struct {
	d []byte
	i int
}

func (s *jscan) peek() byte {
	if s.i < len(s.d) {
		return s.d[s.i]
	}
	return 0
}

func (s *jscan) ws() {
	for s.i < len(s.d) {
		switch s.d[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// lit consumes the literal l (true, false, null).
func (s *jscan) lit(l string) bool {
	if len(s.d)-s.i < len(l) || string(s.d[s.i:s.i+len(l)]) != l {
		return false
	}
	s.i += len(l)
	return true
}

// object reads an object, calling f with each key (no escapes) and s at
// its value; f consumes the value.
func (s *jscan) object(f func(key []byte) bool) bool {
	if s.peek() != '{' {
		return false
	}
	s.i++
	s.ws()
	if s.peek() == '}' {
		s.i++
		return true
	}
	for {
		s.ws()
		key, esc, ok := s.str()
		if !ok || esc {
			return false
		}
		s.ws()
		if s.peek() != ':' {
			return false
		}
		s.i++
		s.ws()
		if !f(key) {
			return false
		}
		s.ws()
		switch s.peek() {
		case '}':
			s.i++
			return true
		case ',':
			s.i++
		default:
			return false
		}
	}
}

// array reads an array, calling f with s at each element.
func (s *jscan) array(f func() bool) bool {
	if s.peek() != '[' {
		return false
	}
	s.i++
	s.ws()
	if s.peek() == ']' {
		s.i++
		return true
	}
	for {
		s.ws()
		if !f() {
			return false
		}
		s.ws()
		switch s.peek() {
		case ']':
			s.i++
			return true
		case ',':
			s.i++
		default:
			return false
		}
	}
}

// str reads a string and returns its raw contents and whether it has
// escapes; it checks the escapes and that no control character appears.
func (s *jscan) str() (raw []byte, esc bool, ok bool) {
	if s.peek() != '"' {
		return nil, false, false
	}
	start := s.i + 1
	for i := start; i < len(s.d); i++ {
		switch b := s.d[i]; {
		case b == '"':
			s.i = i + 1
			return s.d[start:i], esc, true
		case b < 0x20:
			return nil, false, false
		case b == '\\':
			esc = true
			i++
			if i >= len(s.d) {
				return nil, false, false
			}
			switch s.d[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
			case 'u':
				if hex4(s.d[i+1:]) < 0 {
					return nil, false, false
				}
				i += 4
			default:
				return nil, false, false
			}
		}
	}
	return nil, false, false
}

// hex4 is the value of 4 hex digits at the start of b, or -1.
func hex4(b []byte) rune {
	if len(b) < 4 {
		return -1
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r*16 + rune(c)
	}
	return r
}

// text reads a string field's value: its decoded bytes (nil for null,
// which leaves the field as it was); decoded escapes go to *buf.
func (s *jscan) text(buf *[]byte) (v []byte, ok bool) {
	if s.peek() == 'n' {
		return nil, s.lit("null")
	}
	raw, esc, ok := s.str()
	if !ok || !utf8.Valid(raw) {
		return nil, false // invalid UTF-8: encoding/json substitutes U+FFFD; leave that to it
	}
	if !esc {
		return raw, true
	}
	start := len(*buf)
	b := *buf
	for i := 0; i < len(raw); i++ {
		if raw[i] != '\\' {
			b = append(b, raw[i])
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r := hex4(raw[i+1:])
			i += 4
			if utf16.IsSurrogate(r) {
				// As encoding/json: a valid pair is one rune, anything
				// else one U+FFFD (the next escape is read on its own).
				r2 := rune(-1)
				if i+2 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					r2 = hex4(raw[i+3:])
				}
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					r = d
					i += 6
				} else {
					r = utf8.RuneError
				}
			}
			b = utf8.AppendRune(b, r)
		default: // '"', '\\', '/'
			b = append(b, raw[i])
		}
	}
	*buf = b
	return b[start:], true
}

// int reads a token count: an integer literal (null leaves it as it was).
// Fractions, exponents and more than 18 digits leave the fast path.
func (s *jscan) int(dst *int) bool {
	if s.peek() == 'n' {
		return s.lit("null")
	}
	i, neg := s.i, false
	if i < len(s.d) && s.d[i] == '-' {
		neg = true
		i++
	}
	start := i
	v := 0
	for ; i < len(s.d) && '0' <= s.d[i] && s.d[i] <= '9'; i++ {
		v = v*10 + int(s.d[i]-'0')
	}
	n := i - start
	if n == 0 || n > 18 || (n > 1 && s.d[start] == '0') {
		return false
	}
	if i < len(s.d) && (s.d[i] == '.' || s.d[i] == 'e' || s.d[i] == 'E') {
		return false
	}
	if neg {
		v = -v
	}
	*dst, s.i = v, i
	return true
}

// number skips a JSON number, checking its grammar.
func (s *jscan) number() bool {
	i := s.i
	if i < len(s.d) && s.d[i] == '-' {
		i++
	}
	digits := func() int {
		n := 0
		for ; i < len(s.d) && '0' <= s.d[i] && s.d[i] <= '9'; i++ {
			n++
		}
		return n
	}
	if i < len(s.d) && s.d[i] == '0' {
		i++
	} else if digits() == 0 {
		return false
	}
	if i < len(s.d) && s.d[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s.d) && (s.d[i] == 'e' || s.d[i] == 'E') {
		i++
		if i < len(s.d) && (s.d[i] == '+' || s.d[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	s.i = i
	return true
}

// skip reads any value, checking it is valid JSON.
func (s *jscan) skip(depth int) bool {
	if depth > maxFastDepth {
		return false
	}
	switch s.peek() {
	case '{':
		return s.object(func([]byte) bool { return s.skip(depth + 1) })
	case '[':
		return s.array(func() bool { return s.skip(depth + 1) })
	case '"':
		_, _, ok := s.str()
		return ok
	case 't':
		return s.lit("true")
	case 'f':
		return s.lit("false")
	case 'n':
		return s.lit("null")
	}
	return s.number()
}

// choices reads the choices array (null: none).
func (s *jscan) choices(c *chunk) bool {
	if s.peek() == 'n' {
		return s.lit("null")
	}
	return s.array(func() bool {
		c.fc = append(c.fc, fastChoice{})
		fc := &c.fc[len(c.fc)-1]
		var seen uint8
		return s.object(func(key []byte) bool {
			switch string(key) {
			case "delta":
				return once(&seen, 1) && s.message(c, fc, fcDeltaContent, fcDeltaReasoningContent, fcDeltaReasoning)
			case "message":
				return once(&seen, 2) && s.message(c, fc, fcMessageContent, fcMessageReasoningContent, -1)
			case "text":
				if !once(&seen, 4) {
					return false
				}
				v, ok := s.text(&c.sbuf)
				fc[fcText] = v
				return ok
			}
			return !folds(key, "delta", "message", "text") && s.skip(0)
		})
	})
}

// message reads a delta or message object (null: nothing) into fc's slots;
// reasoning < 0: the object has no "reasoning" field (message).
func (s *jscan) message(c *chunk, fc *fastChoice, content, reasoningContent, reasoning int) bool {
	if s.peek() == 'n' {
		return s.lit("null")
	}
	var seen uint8
	return s.object(func(key []byte) bool {
		slot, bit := -1, uint8(0)
		switch string(key) {
		case "content":
			slot, bit = content, 1
		case "reasoning_content":
			slot, bit = reasoningContent, 2
		case "reasoning":
			slot, bit = reasoning, 4
		}
		if slot < 0 {
			known := folds(key, "content", "reasoning_content") || reasoning >= 0 && folds(key, "reasoning")
			return !known && s.skip(0)
		}
		if !once(&seen, bit) {
			return false
		}
		v, ok := s.text(&c.sbuf)
		fc[slot] = v
		return ok
	})
}

// usage reads the usage object (null: none).
func (s *jscan) usage(c *chunk) bool {
	if s.peek() == 'n' {
		return s.lit("null")
	}
	c.ub, c.db = usage{}, tokenDetails{}
	c.Usage = &c.ub
	var seen uint8
	return s.object(func(key []byte) bool {
		switch string(key) {
		case "prompt_tokens":
			return once(&seen, 1) && s.int(&c.ub.PromptTokens)
		case "completion_tokens":
			return once(&seen, 2) && s.int(&c.ub.CompletionTokens)
		case "prompt_tokens_details":
			if !once(&seen, 4) {
				return false
			}
			if s.peek() == 'n' {
				return s.lit("null")
			}
			c.ub.PromptTokensDetails = &c.db
			var seen2 uint8
			return s.object(func(key []byte) bool {
				if string(key) == "cached_tokens" {
					return once(&seen2, 1) && s.int(&c.db.CachedTokens)
				}
				return !folds(key, "cached_tokens") && s.skip(0)
			})
		}
		return !folds(key, "prompt_tokens", "completion_tokens", "prompt_tokens_details") && s.skip(0)
	})
}

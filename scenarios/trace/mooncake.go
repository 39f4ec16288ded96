package trace

import (
	"encoding/json"
	"errors"
	"io"
	"math"
)

// mooncakeReader reads Mooncake JSONL: one object per line with
// "timestamp" (ms), "input_length", "output_length" and "hash_ids".
//
// Lines are parsed by a small hand-written scanner that accepts exactly
// the shape the traces use (those four keys, integers, any whitespace and
// order). Anything else (other keys, floats, escapes, nulls, bad syntax)
// goes through encoding/json, which either decodes it or produces the
// error message, so both paths agree on what is valid (FuzzMooncake
// checks that).
type mooncakeReader struct {
	lines
	hash    []uint64
	first   float64
	started bool
	rec     mooncakeRecord
}

// NewMooncakeReader streams a Mooncake JSONL trace; name prefixes error
// messages (usually the file path).
func NewMooncakeReader(r io.Reader, name string) Reader {
	return &mooncakeReader{lines: newLines(r, name)}
}

// mooncakeRecord is one parsed line, before validation.
type mooncakeRecord struct {
	ts                   float64
	input, output        int64
	hasTS, hasIn, hasOut bool
	hasHash              bool
}

func (m *mooncakeReader) Next() (Entry, error) {
	b, err := m.next()
	if err != nil {
		return Entry{}, err
	}
	m.rec = mooncakeRecord{}
	hash, ok := m.rec.parseFast(b, m.hash[:0])
	if !ok {
		if hash, err = m.rec.parseJSON(b, m.hash[:0]); err != nil {
			return Entry{}, m.fail(m.line, "%v", err)
		}
	}
	m.hash = hash
	rec := &m.rec
	switch {
	case !rec.hasTS:
		return Entry{}, m.fail(m.line, `missing "timestamp" (ms since the trace start)`)
	case !rec.hasIn:
		return Entry{}, m.fail(m.line, `missing "input_length"`)
	case !rec.hasOut:
		return Entry{}, m.fail(m.line, `missing "output_length"`)
	case !rec.hasHash:
		return Entry{}, m.fail(m.line, `missing "hash_ids"`)
	case rec.input < 0 || rec.input > maxTokens:
		return Entry{}, m.fail(m.line, "input_length %d is outside [0, %d]", rec.input, int64(maxTokens))
	case rec.output < 0 || rec.output > maxTokens:
		return Entry{}, m.fail(m.line, "output_length %d is outside [0, %d]", rec.output, int64(maxTokens))
	}
	if want := (rec.input + BlockTokens - 1) / BlockTokens; int64(len(hash)) != want {
		return Entry{}, m.fail(m.line, "hash_ids has %d ids but input_length %d needs %d (one per %d-token block)", len(hash), rec.input, want, BlockTokens)
	}
	if !m.started {
		m.started, m.first = true, rec.ts
	}
	ns := math.Round((rec.ts - m.first) * 1e6)
	if math.IsNaN(ns) || math.Abs(ns) > 9e18 {
		return Entry{}, m.fail(m.line, "timestamp %v ms is out of range", rec.ts)
	}
	return Entry{Time: int64(ns), Input: int(rec.input), Output: int(rec.output), HashIDs: hash, Line: m.line}, nil
}

// parseFast handles the common shape without allocating; ok=false means
// "not sure", and the caller falls back to encoding/json.
func (rec *mooncakeRecord) parseFast(b []byte, hash []uint64) (_ []uint64, ok bool) {
	p := skipWS(b, 0)
	if p >= len(b) || b[p] != '{' {
		return hash, false
	}
	p = skipWS(b, p+1)
	if p < len(b) && b[p] == '}' {
		return hash, skipWS(b, p+1) == len(b)
	}
	for {
		if p >= len(b) || b[p] != '"' {
			return hash, false
		}
		start := p + 1
		for p = start; p < len(b) && b[p] != '"'; p++ {
			if b[p] == '\\' || b[p] < 0x20 {
				return hash, false
			}
		}
		if p >= len(b) {
			return hash, false
		}
		key := b[start:p]
		p = skipWS(b, p+1)
		if p >= len(b) || b[p] != ':' {
			return hash, false
		}
		p = skipWS(b, p+1)
		var v int64
		switch string(key) { // no allocation: the compiler special-cases this
		case "timestamp":
			if v, p, ok = parseInt(b, p); !ok {
				return hash, false
			}
			rec.ts, rec.hasTS = float64(v), true
		case "input_length":
			if rec.input, p, ok = parseInt(b, p); !ok {
				return hash, false
			}
			rec.hasIn = true
		case "output_length":
			if rec.output, p, ok = parseInt(b, p); !ok {
				return hash, false
			}
			rec.hasOut = true
		case "hash_ids":
			if hash, p, ok = parseIDs(b, p, hash[:0]); !ok {
				return hash, false
			}
			rec.hasHash = true
		default:
			return hash, false
		}
		p = skipWS(b, p)
		if p >= len(b) {
			return hash, false
		}
		switch b[p] {
		case ',':
			p = skipWS(b, p+1)
		case '}':
			return hash, skipWS(b, p+1) == len(b)
		default:
			return hash, false
		}
	}
}

func skipWS(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\r' || b[p] == '\n') {
		p++
	}
	return p
}

// parseInt reads a JSON integer (no fraction or exponent, at most 18
// digits so it cannot overflow); anything else is left to encoding/json.
func parseInt(b []byte, p int) (v int64, end int, ok bool) {
	neg := p < len(b) && b[p] == '-'
	if neg {
		p++
	}
	start := p
	for p < len(b) && b[p] >= '0' && b[p] <= '9' {
		v = v*10 + int64(b[p]-'0')
		p++
	}
	n := p - start
	if n == 0 || n > 18 || (n > 1 && b[start] == '0') {
		return 0, p, false
	}
	if p < len(b) && (b[p] == '.' || b[p] == 'e' || b[p] == 'E') {
		return 0, p, false
	}
	if neg {
		v = -v
	}
	return v, p, true
}

func parseIDs(b []byte, p int, out []uint64) ([]uint64, int, bool) {
	if p >= len(b) || b[p] != '[' {
		return out, p, false
	}
	p = skipWS(b, p+1)
	if p < len(b) && b[p] == ']' {
		return out, p + 1, true
	}
	for {
		if p < len(b) && b[p] == '-' { // uint64 ids; let encoding/json word the error
			return out, p, false
		}
		v, q, ok := parseInt(b, p)
		if !ok {
			return out, p, false
		}
		out = append(out, uint64(v))
		p = skipWS(b, q)
		if p >= len(b) {
			return out, p, false
		}
		switch b[p] {
		case ',':
			p = skipWS(b, p+1)
		case ']':
			return out, p + 1, true
		default:
			return out, p, false
		}
	}
}

// mooncakeJSON is the fallback decoding target; pointers tell a missing key
// (or null) from a zero.
type mooncakeJSON struct {
	Timestamp    *float64  `json:"timestamp"`
	InputLength  *int64    `json:"input_length"`
	OutputLength *int64    `json:"output_length"`
	HashIDs      *[]uint64 `json:"hash_ids"`
}

func (rec *mooncakeRecord) parseJSON(b []byte, hash []uint64) ([]uint64, error) {
	var v mooncakeJSON // HashIDs starts nil so a missing key stays visible; this path is rare enough to allocate
	if err := json.Unmarshal(b, &v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field == "" {
			return hash, errors.New("line is a JSON " + te.Value + `, want an object with "timestamp", "input_length", "output_length", "hash_ids"`)
		}
		if errors.As(err, &te) {
			return hash, errors.New(te.Field + ": got a JSON " + te.Value + ", want " + wantFor(te.Field))
		}
		return hash, errors.New("invalid JSON: " + err.Error())
	}
	if v.Timestamp != nil {
		rec.ts, rec.hasTS = *v.Timestamp, true
	}
	if v.InputLength != nil {
		rec.input, rec.hasIn = *v.InputLength, true
	}
	if v.OutputLength != nil {
		rec.output, rec.hasOut = *v.OutputLength, true
	}
	if v.HashIDs != nil {
		rec.hasHash = true
		hash = append(hash[:0], *v.HashIDs...)
	}
	return hash, nil
}

func wantFor(field string) string {
	switch field {
	case "timestamp":
		return "a number of milliseconds"
	case "hash_ids":
		return "an array of non-negative integers"
	}
	return "an integer"
}

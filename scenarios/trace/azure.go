package trace

import (
	"bytes"
	"io"
	"time"
)

// azureReader reads the Azure LLM inference trace 2023 CSV:
//
//	TIMESTAMP,ContextTokens,GeneratedTokens
//	2023-11-16 18:15:46.6805900,374,44
//
// Columns are found by header name (case-insensitive), so reordered or extra
// columns are fine. Timestamps are UTC wall-clock times with up to nine
// fractional digits; entries are returned in file order and Time may go
// backwards if the file does (the published files are sorted).
type azureReader struct {
	lines
	col     [3]int // index of TIMESTAMP, ContextTokens, GeneratedTokens
	ncol    int
	header  bool
	first   int64
	started bool
	fields  [][]byte
}

// NewAzureReader streams an Azure 2023 trace CSV; name prefixes error
// messages (usually the file path).
func NewAzureReader(r io.Reader, name string) Reader {
	return &azureReader{lines: newLines(r, name)}
}

var azureColumns = [3]string{"TIMESTAMP", "ContextTokens", "GeneratedTokens"}

func (a *azureReader) Next() (Entry, error) {
	if !a.header {
		if err := a.readHeader(); err != nil {
			return Entry{}, err
		}
	}
	b, err := a.next()
	if err != nil {
		return Entry{}, err
	}
	a.fields = splitCSV(b, a.fields[:0])
	if len(a.fields) != a.ncol {
		return Entry{}, a.fail(a.line, "%d fields, want %d as in the header", len(a.fields), a.ncol)
	}
	ts, ok := parseAzureTime(a.fields[a.col[0]])
	if !ok {
		return Entry{}, a.fail(a.line, "TIMESTAMP %q is not a time like 2023-11-16 18:15:46.6805900", a.fields[a.col[0]])
	}
	var n [2]int64
	for i := range n {
		f := a.fields[a.col[i+1]]
		v, ok := parseCSVInt(f)
		if !ok {
			return Entry{}, a.fail(a.line, "%s %q is not an integer", azureColumns[i+1], f)
		}
		if v < 0 || v > maxTokens {
			return Entry{}, a.fail(a.line, "%s %d is outside [0, %d]", azureColumns[i+1], v, int64(maxTokens))
		}
		n[i] = v
	}
	if !a.started {
		a.started, a.first = true, ts
	}
	return Entry{Time: ts - a.first, Input: int(n[0]), Output: int(n[1]), Line: a.line}, nil
}

func (a *azureReader) readHeader() error {
	b, err := a.next()
	if err == io.EOF {
		return a.fail(1, "empty file; want a header TIMESTAMP,ContextTokens,GeneratedTokens")
	}
	if err != nil {
		return err
	}
	a.header = true
	a.fields = splitCSV(b, a.fields[:0])
	a.ncol = len(a.fields)
	for i, want := range azureColumns {
		a.col[i] = -1
		for j, f := range a.fields {
			if bytes.EqualFold(f, []byte(want)) {
				a.col[i] = j
			}
		}
		if a.col[i] < 0 {
			return a.fail(a.line, "header %q lacks column %s; want TIMESTAMP,ContextTokens,GeneratedTokens", b, want)
		}
	}
	return nil
}

// splitCSV splits a line on commas, trimming spaces and one pair of
// surrounding double quotes per field. The traces never quote commas, so
// full RFC 4180 handling is not needed.
func splitCSV(b []byte, out [][]byte) [][]byte {
	for {
		i := bytes.IndexByte(b, ',')
		f := b
		if i >= 0 {
			f = b[:i]
		}
		f = bytes.TrimSpace(f)
		if len(f) >= 2 && f[0] == '"' && f[len(f)-1] == '"' {
			f = f[1 : len(f)-1]
		}
		out = append(out, f)
		if i < 0 {
			return out
		}
		b = b[i+1:]
	}
}

// parseAzureTime parses "YYYY-MM-DD hh:mm:ss[.fffffffff]" (or with a T) as
// UTC into ns since the Unix epoch, without allocating.
func parseAzureTime(b []byte) (int64, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != ' ' && b[10] != 'T') || b[13] != ':' || b[16] != ':' {
		return 0, false
	}
	num := func(s []byte) (int, bool) {
		v := 0
		for _, c := range s {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	var f [6]int
	for i, r := range [6][2]int{{0, 4}, {5, 7}, {8, 10}, {11, 13}, {14, 16}, {17, 19}} {
		v, ok := num(b[r[0]:r[1]])
		if !ok {
			return 0, false
		}
		f[i] = v
	}
	year, month, day, hour, minute, sec := f[0], f[1], f[2], f[3], f[4], f[5]
	// UnixNano is defined for years 1678-2262; traces are recent.
	if year < 1900 || year > 2200 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || sec > 59 {
		return 0, false
	}
	nsec := 0
	if rest := b[19:]; len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return 0, false
		}
		v, ok := num(rest[1:])
		if !ok {
			return 0, false
		}
		for i := len(rest) - 1; i < 9; i++ {
			v *= 10
		}
		nsec = v
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).UnixNano(), true
}

func daysIn(year, month int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// parseCSVInt reads an optionally negative decimal integer of at most 18
// digits (leading zeros allowed, unlike JSON).
func parseCSVInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

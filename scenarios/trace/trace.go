// Package trace streams request traces recorded from production LLM
// services, so a scenario can replay their arrival times and lengths:
// Mooncake (FAST'25) JSONL with prefix-block hash ids, and the Azure LLM
// inference trace 2023 CSV. Readers hold one line at a time, so memory does
// not grow with the trace.
package trace

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// BlockTokens is the Mooncake block size: one hash id per 512 prompt tokens
// (the last block may be partial).
const BlockTokens = 512

// Entry is one request of a trace.
type Entry struct {
	Time    int64    // ns since the trace's first entry (Mooncake: timestamp ms; Azure: TIMESTAMP relative to the first row); may be negative if the file is not sorted
	Input   int      // input (prompt) tokens
	Output  int      // output (generated) tokens
	HashIDs []uint64 // Mooncake block ids (512-token blocks); nil for Azure. Valid until the next call to Next.
	Line    int      // 1-based source line
}

// Reader yields a trace's entries in file order.
type Reader interface {
	// Next returns the next entry, io.EOF at the end, or an error reading
	// "name:line: message" after which the reader stays stopped and returns
	// the same error.
	Next() (Entry, error)
}

// maxLine bounds one line of a trace; a Mooncake line of a 1M-token prompt
// holds ~2000 ids (~16 KB), so 16 MiB only trips on a file that is not a
// trace at all.
const maxLine = 16 << 20

// maxTokens bounds input and output lengths so that arithmetic on them in
// int cannot overflow anywhere downstream.
const maxTokens = 1 << 31

// Formats lists the format names Open accepts.
var Formats = []string{"mooncake", "azure"}

// Open opens a trace file. format is "mooncake", "azure", or "" to guess from
// the extension (.jsonl/.json: mooncake, .csv: azure; a .gz after it is
// skipped) and otherwise from the first bytes ('{' or an Azure header). A
// gzip-compressed file (by its magic bytes, whatever its name) is
// decompressed as it is read. Close the returned Closer when done.
func Open(path, format string) (Reader, io.Closer, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("trace: %w (check the path; relative paths are relative to the scenario file)", err)
	}
	if st, err := f.Stat(); err == nil && st.IsDir() {
		f.Close()
		return nil, nil, fmt.Errorf("trace: %s is a directory, not a trace file (name the .jsonl or .csv file in it)", path)
	}
	br := bufio.NewReaderSize(f, 64<<10)
	var closer io.Closer = f
	if magic, _ := br.Peek(2); bytes.Equal(magic, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			f.Close()
			return nil, nil, fmt.Errorf("%s: gzip: %v (is the file complete?)", path, err)
		}
		br = bufio.NewReaderSize(zr, 64<<10)
		closer = closers{zr, f}
	}
	if format == "" {
		format, err = guess(strings.TrimSuffix(path, ".gz"), br)
		if err != nil {
			closer.Close()
			return nil, nil, err
		}
	}
	switch strings.ToLower(format) {
	case "mooncake":
		return NewMooncakeReader(br, path), closer, nil
	case "azure":
		return NewAzureReader(br, path), closer, nil
	}
	closer.Close()
	return nil, nil, fmt.Errorf("%s: unknown trace format %q (use one of %s, or leave it empty to guess)", path, format, strings.Join(Formats, ", "))
}

// gzipMagic starts every gzip stream (RFC 1952).
var gzipMagic = []byte{0x1f, 0x8b}

// closers closes each in order, returning the first error.
type closers []io.Closer

func (cs closers) Close() error {
	var first error
	for _, c := range cs {
		if err := c.Close(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func guess(path string, br *bufio.Reader) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".jsonl", ".json":
		return "mooncake", nil
	case ".csv":
		return "azure", nil
	}
	head, _ := br.Peek(4096) // a short file gives what it has; the error is irrelevant here
	head = bytes.TrimLeft(bytes.TrimPrefix(head, utf8BOM), " \t\r\n")
	if len(head) > 0 && head[0] == '{' {
		return "mooncake", nil
	}
	if bytes.HasPrefix(bytes.ToUpper(head), []byte("TIMESTAMP")) {
		return "azure", nil
	}
	return "", fmt.Errorf("%s: cannot tell the trace format from the name or content (set format: mooncake or azure)", path)
}

var utf8BOM = []byte{0xEF, 0xBB, 0xBF}

// lines is the scanning shared by both readers: line counting, CR and blank
// line handling, the sticky error.
type lines struct {
	sc   *bufio.Scanner
	name string
	line int
	err  error
}

func newLines(r io.Reader, name string) lines {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxLine)
	return lines{sc: sc, name: name}
}

// next returns the next non-blank line without its line ending. The slice is
// valid until the following call.
func (l *lines) next() ([]byte, error) {
	if l.err != nil {
		return nil, l.err
	}
	for l.sc.Scan() {
		l.line++
		b := bytes.TrimRight(l.sc.Bytes(), " \t\r")
		if l.line == 1 {
			b = bytes.TrimPrefix(b, utf8BOM)
		}
		if len(bytes.TrimLeft(b, " \t")) > 0 {
			return b, nil
		}
	}
	if err := l.sc.Err(); err != nil {
		if err == bufio.ErrTooLong {
			return nil, l.fail(l.line+1, "line longer than %d MiB; is this a trace file?", maxLine>>20)
		}
		return nil, l.fail(l.line+1, "read error: %v", err)
	}
	l.err = io.EOF
	return nil, io.EOF
}

// fail records and returns a "name:line: message" error.
func (l *lines) fail(line int, format string, args ...any) error {
	l.err = fmt.Errorf("%s:%d: %s", l.name, line, fmt.Sprintf(format, args...))
	return l.err
}

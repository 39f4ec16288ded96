package results

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
)

// RecordWriter writes per-request records as JSON lines (one Record per
// line), for --records FILE. It buffers; call Flush before closing the
// underlying writer.
type RecordWriter struct {
	bw  *bufio.Writer
	enc *json.Encoder
}

// NewRecordWriter returns a RecordWriter on w.
func NewRecordWriter(w io.Writer) *RecordWriter {
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	return &RecordWriter{bw: bw, enc: enc}
}

// Write appends one record as a JSON line.
func (w *RecordWriter) Write(r *Record) error {
	if r == nil {
		return errors.New("results: RecordWriter.Write: nil record")
	}
	if err := w.enc.Encode(r); err != nil {
		return fmt.Errorf("results: write record %d: %w", r.ID, err)
	}
	return nil
}

// Flush writes buffered records to the underlying writer.
func (w *RecordWriter) Flush() error {
	if err := w.bw.Flush(); err != nil {
		return fmt.Errorf("results: flush records: %w", err)
	}
	return nil
}

// maxRecordLine bounds one JSON line (a record with per-token ITL of a very
// long generation stays far below it).
const maxRecordLine = 64 << 20

// ReadRecords reads JSON-lines records written by RecordWriter and calls fn
// for each, stopping at the first error. name is used in error messages,
// which carry the line number. Blank lines are skipped. The Record passed
// to fn is reused: copy it to keep it.
func ReadRecords(r io.Reader, name string, fn func(*Record) error) error {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxRecordLine)
	var rec Record
	for line := 1; sc.Scan(); line++ {
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 {
			continue
		}
		rec = Record{}
		dec := json.NewDecoder(bytes.NewReader(b))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&rec); err != nil {
			return fmt.Errorf("results: %s:%d: bad record: %v (want one JSON object per line as written by --records)", name, line, err)
		}
		if dec.More() {
			return fmt.Errorf("results: %s:%d: more than one JSON value on the line", name, line)
		}
		if err := fn(&rec); err != nil {
			return fmt.Errorf("results: %s:%d: %w", name, line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("results: read %s: %w", name, err)
	}
	return nil
}

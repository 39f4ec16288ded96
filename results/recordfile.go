package results

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// RecordFile is a records file (--records) that reaches the disk at least
// once every flush interval (a second for the CLI), so a run killed with
// SIGKILL keeps the records of everything that finished before the last
// flush, and that reports write, flush and close errors instead of
// dropping them: Write returns the first error met so far (a background
// flush included), Close the first error of all. Safe for concurrent use.
type RecordFile struct {
	mu     sync.Mutex
	f      *os.File
	rw     *RecordWriter
	err    error
	closed bool
	stop   chan struct{}
	done   chan struct{}
}

// CreateRecordFile creates (truncates) path and flushes it every interval
// (> 0) from a background goroutine until Close.
func CreateRecordFile(path string, interval time.Duration) (*RecordFile, error) {
	if interval <= 0 {
		return nil, errors.New("results: record file flush interval must be > 0")
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("records: %w", err)
	}
	rf := &RecordFile{f: f, rw: NewRecordWriter(f), stop: make(chan struct{}), done: make(chan struct{})}
	go rf.flusher(interval)
	return rf, nil
}

func (rf *RecordFile) flusher(interval time.Duration) {
	defer close(rf.done)
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-rf.stop:
			return
		case <-t.C:
			rf.mu.Lock()
			rf.flushLocked()
			rf.mu.Unlock()
		}
	}
}

func (rf *RecordFile) flushLocked() {
	if rf.err == nil {
		if err := rf.rw.Flush(); err != nil {
			rf.err = fmt.Errorf("records %s: %w", rf.f.Name(), err)
		}
	}
}

// Write appends one record; it returns the first error met so far, so the
// caller learns of a failed background flush at its next record.
func (rf *RecordFile) Write(r *Record) error {
	rf.mu.Lock()
	defer rf.mu.Unlock()
	if rf.closed {
		return fmt.Errorf("records %s: write after close", rf.f.Name())
	}
	if rf.err != nil {
		return rf.err
	}
	if err := rf.rw.Write(r); err != nil {
		rf.err = fmt.Errorf("records %s: %w", rf.f.Name(), err)
	}
	return rf.err
}

// Close stops the flusher, flushes, syncs and closes the file, and returns
// the first error of the file's life. Calling it again returns the same.
func (rf *RecordFile) Close() error {
	rf.mu.Lock()
	if rf.closed {
		defer rf.mu.Unlock()
		return rf.err
	}
	rf.closed = true
	rf.mu.Unlock()
	close(rf.stop)
	<-rf.done
	rf.mu.Lock()
	defer rf.mu.Unlock()
	rf.flushLocked()
	if err := rf.f.Sync(); err != nil && rf.err == nil && !errors.Is(err, os.ErrInvalid) && !isUnsupportedSync(err) {
		rf.err = fmt.Errorf("records %s: sync: %w", rf.f.Name(), err)
	}
	if err := rf.f.Close(); err != nil && rf.err == nil {
		rf.err = fmt.Errorf("records %s: close: %w", rf.f.Name(), err)
	}
	return rf.err
}

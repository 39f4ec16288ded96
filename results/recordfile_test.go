package results

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// Records reach the file within the flush interval, before Close (a run
// killed with SIGKILL used to leave 0 bytes: 1 MiB buffer flushed at exit).
func TestRecordFileFlushesPeriodically(t *testing.T) {
	p := filepath.Join(t.TempDir(), "r.jsonl")
	rf, err := CreateRecordFile(p, 20*time.Millisecond)
	require.NoError(t, err)
	for i := range 5 {
		require.NoError(t, rf.Write(&Record{ID: uint64(i + 1), Class: "c", Kind: "chat"}))
	}
	require.Eventually(t, func() bool {
		n := 0
		f, err := os.Open(p)
		if err != nil {
			return false
		}
		defer f.Close()
		_ = ReadRecords(f, p, func(*Record) error { n++; return nil })
		return n == 5
	}, 5*time.Second, 10*time.Millisecond, "records on disk without Close")
	require.NoError(t, rf.Close())
	require.NoError(t, rf.Close(), "idempotent")
	require.Error(t, rf.Write(&Record{ID: 9}), "write after close")
}

// Write and flush errors are reported, not dropped.
func TestRecordFileReportsErrors(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	rf, err := CreateRecordFile("/dev/full", time.Hour)
	require.NoError(t, err)
	var werr error
	for i := range 5000 { // past the 64 KiB buffer
		if werr = rf.Write(&Record{ID: uint64(i + 1), Class: "chat", Kind: "chat", Error: "padding padding padding padding"}); werr != nil {
			break
		}
	}
	require.ErrorContains(t, werr, "no space left on device")
	require.ErrorContains(t, rf.Close(), "no space left on device")

	// A flush error with few records (still in the buffer) comes from Close.
	rf, err = CreateRecordFile("/dev/full", time.Hour)
	require.NoError(t, err)
	require.NoError(t, rf.Write(&Record{ID: 1}))
	require.ErrorContains(t, rf.Close(), "no space left on device")
}

package main

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWriteFileAtomicKeepsNonRegularTargets reproduces `-o /dev/null`
// replacing the device with a regular file: a named pipe stands in for the
// device (the test must not touch /dev/null itself).
func TestWriteFileAtomicKeepsNonRegularTargets(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "out.fifo")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	got := make(chan string, 1)
	go func() {
		f, err := os.Open(fifo)
		if err != nil {
			got <- "open: " + err.Error()
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- string(b)
	}()
	require.NoError(t, writeFileAtomic(fifo, func(w io.Writer) error {
		_, err := io.WriteString(w, "hello")
		return err
	}))
	select {
	case s := <-got:
		require.Equal(t, "hello", s)
	case <-time.After(5 * time.Second):
		t.Fatal("nothing reached the pipe: it was replaced by a regular file")
	}
	st, err := os.Lstat(fifo)
	require.NoError(t, err)
	require.Equal(t, os.ModeNamedPipe, st.Mode().Type(), "the pipe must stay a pipe")

	// A regular file is still replaced atomically.
	reg := filepath.Join(t.TempDir(), "out.json")
	require.NoError(t, os.WriteFile(reg, []byte("old"), 0o644))
	require.NoError(t, writeFileAtomic(reg, func(w io.Writer) error {
		_, err := io.WriteString(w, "new")
		return err
	}))
	b, err := os.ReadFile(reg)
	require.NoError(t, err)
	require.Equal(t, "new", string(b))
}

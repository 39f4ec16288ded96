package main

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// lockedBuffer is a child's stderr, read while the child writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Ctrl-C killed a running fleetbench sim and lost everything simulated
// (a platform-hour run is ~6 minutes). SIGINT now ends the simulation at
// its next virtual second: the -o file and the records are written, the
// result is marked interrupted with a warning saying where it stopped, and
// the exit status is 130, as run's.
func TestSimInterruptedWritesResult(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process for a few seconds")
	}
	dir := t.TempDir()
	out, recs := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.jsonl")
	// A day of chat at 4x takes far longer than the test waits.
	args := []string{"sim", "chat", "--duration", "24h", "--rate-scale", "4", "--progress", "-o", out, "--records", recs}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "FLEETBENCH_TEST_CLI_ARGS="+strings.Join(args, "\x1f"))
	var stdout bytes.Buffer
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = &stdout, stderr
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	// The first progress line (after 2 wall seconds) says the simulation,
	// and so the signal handler, is running.
	require.Eventually(t, func() bool { return strings.Contains(stderr.String(), "sim: virtual") }, 60*time.Second, 20*time.Millisecond, stderr.String())
	require.NoError(t, cmd.Process.Signal(syscall.SIGINT))
	err := cmd.Wait()
	var ee *exec.ExitError
	require.True(t, errors.As(err, &ee), "exit: %v\n%s", err, stderr.String())
	require.Equal(t, 130, ee.ExitCode(), stderr.String())
	require.Contains(t, stderr.String(), "fleetbench: simulation interrupted at virtual time ")
	require.Contains(t, stderr.String(), "(written)")
	require.Contains(t, stdout.String(), "WARNING: simulation interrupted at virtual time ", "the table says so")

	res, err := results.ReadFile(out)
	require.NoError(t, err)
	require.Equal(t, true, res.Extra["interrupted"])
	require.Greater(t, res.Totals.Requests, int64(0))
	require.Less(t, res.Window.EndNs, int64(24*time.Hour), "the window ends at the stop")
	found := false
	for _, w := range res.Warnings {
		found = found || strings.HasPrefix(w, "simulation interrupted at virtual time ")
	}
	require.True(t, found, res.Warnings)
	f, err := os.Open(recs)
	require.NoError(t, err)
	defer f.Close()
	n := int64(0)
	require.NoError(t, results.ReadRecords(f, recs, func(*results.Record) error { n++; return nil }))
	require.GreaterOrEqual(t, n, res.Totals.Requests, "the records of everything finished")
}

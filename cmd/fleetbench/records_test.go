package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/openaitest"
)

// TestMain lets a test re-run this binary as the fleetbench CLI (a child
// process the test can SIGKILL).
func TestMain(m *testing.M) {
	if args := os.Getenv("FLEETBENCH_TEST_CLI_ARGS"); args != "" {
		os.Exit(execute(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// kill -9 of a run mid-way used to leave a 0-byte records file (1 MiB
// buffer flushed only at exit). Records reach the disk at least once a
// second, so the killed run leaves what finished before its last flush.
func TestKilledRunLeavesRecords(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a child process for a few seconds")
	}
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		return openaitest.Steady(4, time.Millisecond, time.Millisecond)
	})
	defer srv.Close()
	recs := filepath.Join(t.TempDir(), "r.jsonl")
	args := []string{"run", "chat", "--target", srv.BaseURL(), "--model", "m", "--rate", "50", "--duration", "60s", "--records", recs, "-q"}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "FLEETBENCH_TEST_CLI_ARGS="+strings.Join(args, "\x1f"))
	require.NoError(t, cmd.Start())
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	count := func() int {
		f, err := os.Open(recs)
		if err != nil {
			return 0
		}
		defer f.Close()
		n := 0
		_ = results.ReadRecords(f, recs, func(*results.Record) error { n++; return nil })
		return n
	}
	require.Eventually(t, func() bool { return count() >= 20 }, 30*time.Second, 50*time.Millisecond,
		"records reach the disk while the run is going")
	require.NoError(t, cmd.Process.Kill()) // SIGKILL: no deferred flush runs
	_ = cmd.Wait()
	require.GreaterOrEqual(t, count(), 20, "the killed run left its records")
}

// A records file that cannot be written fails the command (exit 1); the
// error used to be ignored at Flush/Close.
func TestRecordsWriteErrorExit1(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	code, _, stderr := runCLI("sim", "chat", "--duration", "60s", "--records", "/dev/full")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "no space left on device")
	require.Equal(t, 1, strings.Count(stderr, "no space left"), "reported once")
}

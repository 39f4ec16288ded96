package main

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/runners/openaitest"
)

// chatVideoScenario has one chat and one video class, a few requests each.
const chatVideoScenario = `
name: cv
seed: 1
duration: 2s
warmup: 0s
classes:
  - name: chat
    kind: chat
    arrival: {process: constant, rate: 4}
    input: 20
    output: 4
  - name: clip
    kind: video
    arrival: {process: constant, rate: 2}
    video: {model: wan2.1-14b, resolution: 480p, seconds: 1, fps: 16, steps: 4}
`

// TestScrapeAndVideoTargetCredentialsRedacted: credentials in --scrape and
// --video-target (user info, api-key query parameters) never reach stdout,
// stderr, the result file or the records, whether the URL is refused at
// validation or fails at run time. Before, --target was redacted but these
// two were echoed as given.
func TestScrapeAndVideoTargetCredentialsRedacted(t *testing.T) {
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		return openaitest.Steady(4, time.Millisecond, time.Millisecond)
	})
	defer srv.Close()
	dir := t.TempDir()
	scen := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(scen, []byte(chatVideoScenario), 0o644))
	leaks := []string{"hunter2", "s3cretkey", "alice"}
	secret := "alice:hunter2@127.0.0.1:1/%s?api-key=s3cretkey"
	check := func(wantCode int, args ...string) {
		t.Helper()
		out, recs := filepath.Join(dir, "r.json"), filepath.Join(dir, "r.jsonl")
		_ = os.Remove(out)
		_ = os.Remove(recs)
		code, stdout, stderr := runCLI(append(args, "-o", out, "--records", recs, "--max-error-rate", "1", "--max-lag", "1000")...)
		require.Equal(t, wantCode, code, "%v: %s", args, stderr)
		files := ""
		for _, p := range []string{out, recs} {
			if b, err := os.ReadFile(p); err == nil {
				files += string(b)
			}
		}
		for _, leak := range leaks {
			require.NotContains(t, stdout, leak, "stdout of %v", args)
			require.NotContains(t, stderr, leak, "stderr of %v", args)
			require.NotContains(t, files, leak, "files of %v", args)
		}
	}
	base := []string{"run", scen, "--target", srv.BaseURL(), "--model", "m"}
	// Refused at validation (exit 2).
	check(2, append(base, "--scrape", "ftp://"+sprintf(secret, "metrics"))...)
	check(2, append(base, "--video-target", "ftp://"+sprintf(secret, "v1"))...)
	// Failing at run time: connection refused, quoted in errors. The clip
	// class completes nothing (the test server serves no video): exit 1,
	// whatever --max-error-rate (class_failed).
	check(1, append(base, "--scrape", "http://"+sprintf(secret, "metrics"))...)
	check(1, append(base, "--video-target", "http://"+sprintf(secret, "v1"))...)
}

func sprintf(format, a string) string { return fmt.Sprintf(format, a) }

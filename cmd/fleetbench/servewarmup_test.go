package main

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// serve's own result, fetched after a run that started 2.9 s after the
// server, read "window 2.916-8.310 s (5.394 s, warm-up 2.916 s)": serve
// measures from its first request plus serve --warmup (default 0), so
// nothing was excluded; the 2.916 s were the server idle before the
// first request. The header says so now.
func TestServeResultHeaderSaysWhereItsWindowStarts(t *testing.T) {
	url := serveFleet(t, "1C")
	time.Sleep(300 * time.Millisecond) // the server idles before the first request
	code, _, stderr := runCLI("run", liveScenario, "--target", url, "--requests", "3", "-q")
	require.Equal(t, 0, code, stderr)
	resp, err := http.Get(strings.TrimSuffix(url, "/v1") + "/fleetbench/result")
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	f := filepath.Join(t.TempDir(), "serve.json")
	require.NoError(t, os.WriteFile(f, data, 0o644))
	code, out, stderr := runCLI("report", f)
	require.Equal(t, 0, code, stderr)
	head := strings.SplitN(out, "\n", 2)[0]
	require.Contains(t, head, "; serve measures from its first request, which arrived ")
	require.True(t, strings.HasSuffix(head, " s after it started, plus serve --warmup 0 s: nothing before it was excluded)"), head)
}

package serve

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// testConfig is a small colocated fleet: one llama-3.1-8b instance on an H100.
func testConfig() sim.Config {
	return sim.Config{Fleet: "1C+1V", Model: "llama-3.1-8b", GPU: "h100", TP: 1}
}

// startServer runs serve on a loopback httptest server for the test.
func startServer(t testing.TB, sc *scenarios.Scenario, cfg sim.Config) (*Server, string) {
	t.Helper()
	s, err := New(Options{Scenario: sc, Config: cfg})
	require.NoError(t, err)
	return s, serveHTTP(t, s)
}

// serveHTTP serves s on a loopback httptest server for the test.
func serveHTTP(t testing.TB, s *Server) string {
	t.Helper()
	hs := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.Close() // fail in-flight streams so hs.Close does not wait on them
		hs.Close()
	})
	return hs.URL
}

// post sends a JSON body and returns the status and body.
func post(t testing.TB, url string, body any, hdr ...string) (int, []byte) {
	t.Helper()
	b, err := json.Marshal(body)
	require.NoError(t, err)
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(b))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, out
}

// sseEvents splits an SSE body into its data payloads.
func sseEvents(t testing.TB, body []byte) []string {
	t.Helper()
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		if d, ok := strings.CutPrefix(sc.Text(), "data: "); ok {
			out = append(out, d)
		}
	}
	return out
}

// containsGauge reports whether exposition body has a sample of name with
// a value of at least min.
func containsGauge(body, name string, min float64) bool {
	for _, line := range strings.Split(body, "\n") {
		if !strings.HasPrefix(line, name+"{") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		var v float64
		if _, err := fmt.Sscan(line[i+1:], &v); err == nil && v >= min {
			return true
		}
	}
	return false
}

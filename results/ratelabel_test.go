package results

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRequestRateIsLabelledCompleted: requests_per_s counts completed
// requests; the table called it "requests/s", so a run whose 135 requests
// all failed read "requests 135 ... requests/s 0.00", as if nothing had
// been offered. The row says "completed/s".
func TestRequestRateIsLabelledCompleted(t *testing.T) {
	c := &ClassResult{Kind: "chat", Requests: 135, Errors: 135, ErrorsByClass: map[string]int64{"http_4xx": 135}}
	r := &Result{Schema: Schema, Backend: "endpoint", Window: Window{StartS: 0.3, EndS: 3.1, DurationS: 2.8},
		Classes: map[string]*ClassResult{"chat": c}, Totals: c}
	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	require.NotContains(t, b.String(), "requests/s")
	require.Regexp(t, `completed/s +0\.00`, b.String())
}

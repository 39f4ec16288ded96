package runners

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestProgressLineWithoutTTFT: the progress line read "TTFT p50 0.0 ms"
// when no first token had been seen (every request failed, or --no-stream):
// a latency of 0 that was never measured. It reads "-" then.
func TestProgressLineWithoutTTFT(t *testing.T) {
	failed := progressLine(3100*time.Millisecond, snapshot{done: 150, errors: 150}, -1)
	require.Contains(t, failed, "TTFT p50 -")
	require.NotContains(t, failed, "0.0 ms")
	ok := progressLine(time.Second, snapshot{done: 10, hasTTFT: true, ttftP50Ms: 42.5}, 10)
	require.Contains(t, ok, "TTFT p50 42.5 ms")
}

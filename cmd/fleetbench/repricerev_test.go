package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// report FILE --gpu-price re-priced the cost and dropped the revenue,
// margins and break-evens the file had (chat: revenue $0.289784) with no
// word: a result file keeps no price lists. It says so now, with the
// revenue it had and how to price it again.
func TestReportRepricingSaysRevenueIsNotRecomputed(t *testing.T) {
	file := filepath.Join(t.TempDir(), "chat.json")
	code, _, stderr := runCLI("sim", "chat", "--duration", "1m", "-o", file)
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr := runCLI("report", file, "--gpu-price", "h100=2")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "revenue, margins and break-evens are not recomputed")
	require.Contains(t, stdout, "give --price-file")
	code, stdout, stderr = runCLI("report", file, "--gpu-price", "h100=2", "--format", "json")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "revenue, margins and break-evens are not recomputed")
}

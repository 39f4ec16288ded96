package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// report's help said it reads result files written by "sweep", and
// `report sweep.json` then refused the file: a sweep file is read with
// --html only. The help names the writers of result files, and the
// table refusal points at --html.
func TestReportHelpSaysWhatItReads(t *testing.T) {
	code, out, _ := runCLI("report", "--help")
	require.Equal(t, 0, code)
	require.Contains(t, out, `written by "fleetbench sim", "run" or "merge"`)
	require.Contains(t, out, `a sweep file (fleetbench.sweep/v1) only with --html`)

	sw := filepath.Join(t.TempDir(), "sweep.json")
	code, _, stderr := runCLI("sweep", "chat", "--fleet", "1P1D", "--requests", "50", "-o", sw)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI("report", sw)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "is a sweep file")
	require.Contains(t, stderr, "--html")
}

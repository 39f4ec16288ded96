package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A scale curve written with -o charts with report --html (as scale --html
// does): the curve, its decomposition and the levels' fleets.
func TestScaleFileCharts(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates")
	}
	dir := t.TempDir()
	curve, page := filepath.Join(dir, "s.json"), filepath.Join(dir, "s.html")
	code, _, stderr := runCLI("scale", "chat", "--traffic", "1,3", "--kinds", "colocated", "--duration", "40s", "-o", curve)
	require.Equal(t, 0, code, stderr)
	code, stdout, stderr := runCLI("report", curve, "--html", page)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "1 sweep")
	b, err := os.ReadFile(page)
	require.NoError(t, err)
	for _, want := range []string{"GPUs per unit of traffic", "Where the change comes from", "×3: ", "traffic levels"} {
		require.Contains(t, string(b), want)
	}
}

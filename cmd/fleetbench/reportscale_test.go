package main

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scale"
)

// report curve.json said "a scale curve ..., not one result: fleetbench
// scale prints it", but scale runs a new search and prints nothing of an
// existing file; report --html charts one (docs/economics.md). The
// message now says that, and that merge combines shards.
func TestReportOfAScaleCurveSaysHowToReadIt(t *testing.T) {
	path := filepath.Join(t.TempDir(), "curve.json")
	require.NoError(t, writeFileAtomic(path, func(w io.Writer) error { return scale.WriteJSON(w, &scale.Curve{Schema: scale.Schema}) }))
	code, _, stderr := runCLI("report", path)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "is a scale curve (fleetbench.scale/v1), not one result: chart it with --html (fleetbench report "+path+" --html report.html); fleetbench merge combines shards of one curve")
	require.NotContains(t, stderr, "fleetbench scale prints it")
}

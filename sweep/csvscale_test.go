package sweep

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// sweep --format csv wrote scale 0 on every point of a sweep that is no
// scale curve (the JSON leaves scale out there, tp and routing cells are
// empty where they do not apply): a 0 multiplier that was never applied.
// The cell is empty now; a scale curve's points keep theirs.
func TestCSVScaleEmptyOutsideScaleCurves(t *testing.T) {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Points: []sweepfile.Point{{Fleet: "8V", GPU: "h100", RateScale: 1, GPUs: 8}}}
	var b bytes.Buffer
	require.NoError(t, Render(&b, s, "csv"))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Equal(t, "scale", rows[0][6])
	require.Equal(t, "", rows[1][6])

	b.Reset()
	require.NoError(t, Render(&b, fixtureSweep(), "csv"))
	rows, err = csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	require.Equal(t, "10", rows[2][6])
}

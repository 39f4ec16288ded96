package sweep

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// A sweep of a scenario whose fleet sets no tp (mixfail: qwen3-32b on one
// h100) wrote "tp": 0 for every point (the table "-", as for a video
// fleet), though the simulator ran each instance at TP 1 (gpus 1): a 0
// where the figure is known. The point's tp is now the TP the fleet ran
// with, from the result.
func TestPointTPIsTheTPTheFleetRanWith(t *testing.T) {
	for _, p := range mixFailSweep(t).Points {
		require.Empty(t, p.Error)
		require.Equal(t, 1, p.TP, "point %d %s", p.Index, p.Fleet)
		require.Equal(t, p.GPUs, map[string]int{"1C": 1, "2C": 2}[p.Fleet])
	}
}

// A point with no TP to give (a video-only fleet) leaves tp out of the
// JSON; it wrote "tp": 0.
func TestPointWithoutTPLeavesItOut(t *testing.T) {
	b, err := json.Marshal(sweepfile.Point{Fleet: "8V", GPU: "h100", GPUs: 8})
	require.NoError(t, err)
	require.NotContains(t, string(b), `"tp"`)
	b, err = json.Marshal(sweepfile.Point{Fleet: "1C", GPU: "h100", TP: 1, GPUs: 1})
	require.NoError(t, err)
	require.Contains(t, string(b), `"tp":1`)
}

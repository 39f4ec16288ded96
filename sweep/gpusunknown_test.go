package sweep

import (
	"bytes"
	"encoding/csv"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// sweep live.yaml --target ... --format csv wrote gpus 0 for its step, and
// a simulated point whose fleet could not be built read "gpus 0" in the
// table: counts nobody measured. An empty cell and "-" now.
func TestUnknownGPUCountIsNotZero(t *testing.T) {
	live := &sweepfile.Sweep{Schema: sweepfile.Schema, Target: "http://127.0.0.1:1/v1",
		Points: []sweepfile.Point{{Index: 0, Fleet: "endpoint", RateScale: 1, MeetsSLO: true, Metrics: map[string]float64{"ttft_p99_ms": 107}}}}
	var b bytes.Buffer
	require.NoError(t, Render(&b, live, "csv"))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	col := slices.Index(rows[0], "gpus")
	require.GreaterOrEqual(t, col, 0)
	require.Equal(t, "", rows[1][col])

	sim := &sweepfile.Sweep{Schema: sweepfile.Schema, Points: []sweepfile.Point{
		{Index: 0, Fleet: "1P1D", GPU: "h100", TP: 4, GPUs: 8, RateScale: 1, MeetsSLO: true, Metrics: map[string]float64{"ttft_p99_ms": 107}},
		{Index: 1, Fleet: "0P2D", GPU: "h100", RateScale: 1, Error: "fleet needs at least one prefill instance"}}}
	b.Reset()
	require.NoError(t, Render(&b, sim, "table"))
	var f []string
	for _, l := range strings.Split(b.String(), "\n") {
		if x := strings.Fields(l); len(x) > 7 && x[0] == "1" && x[1] == "0P2D" {
			f = x
		}
	}
	require.NotNil(t, f, b.String())
	require.Equal(t, "-", f[6], b.String()) // #, fleet, gpu, tp, routing, load, gpus
}

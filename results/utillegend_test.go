package results

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The cost section's pool table printed "util 100.0%" for a one-instance
// pool serving 2 requests/s (sim mixfail: it steps continuously with small
// batches) with no word on what util is, a figure read as saturation; the
// sweep and scale tables and the wide pools table say it. A legend line
// now follows it when some pool has a util.
func TestCostUtilIsLabelled(t *testing.T) {
	u := 1.0
	r := &Result{Backend: "sim", Classes: map[string]*ClassResult{}, Totals: &ClassResult{},
		Cost: &Cost{WindowS: 10, GPUHours: 1, USD: 2.69, ByPool: map[string]*PoolCost{
			"colocated": {GPUHours: 1, USD: 2.69, GPU: "h100", USDPerGPUHour: 2.69, Utilization: &u}}}}
	var b strings.Builder
	require.NoError(t, RenderCost(&b, r))
	require.Contains(t, b.String(), "100.0%")
	require.Contains(t, b.String(), UtilNote)

	r.Cost.ByPool["colocated"].Utilization = nil
	b.Reset()
	require.NoError(t, RenderCost(&b, r))
	require.NotContains(t, b.String(), UtilNote, "no util, no legend")
}

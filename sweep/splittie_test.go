package sweep

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// sweep chat --search best-split --gpus 16 --objective cost answered 1P3D
// with no word that every split cost the same per task ($0.00211: one GPU
// budget, every task completed): the pick was the first by index, not a
// cheaper split. And the goodput objective's note, when every split meets
// every SLO, advised "--objective cost", which ties the same way. The cost
// tie is noted now, and the goodput note no longer points at it.
func TestBestSplitCostTieIsNoted(t *testing.T) {
	plainPassOnly(t)
	const tie = "every split meeting every SLO costs the same per task"
	sw, err := Run(chatRunner(t, 2), Spec{Search: sweepfile.SearchBestSplit, Budget: 16, Objective: sweepfile.ObjectiveCost})
	require.NoError(t, err)
	require.NotNil(t, sw.Answer)
	found := false
	for _, n := range sw.Notes {
		if strings.Contains(n, tie) {
			found = true
			require.Contains(t, n, "the answer is the first by index")
			require.Contains(t, n, "--rate-scale")
		}
	}
	require.True(t, found, "%v", sw.Notes)

	sw, err = Run(chatRunner(t, 2), Spec{Search: sweepfile.SearchBestSplit, Budget: 16})
	require.NoError(t, err)
	for _, n := range sw.Notes {
		require.NotContains(t, n, "--objective cost", n)
		require.NotContains(t, n, tie)
	}
}

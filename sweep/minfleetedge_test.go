package sweep

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// sweep chat --prefill 2..3 --decode 2..3 --search min-fleet answered
// 2P2D, "the smallest fleet meeting every SLO", though no smaller fleet
// was tried (1P1D meets chat's SLOs at 1x). An answer in the grid's
// smallest GPU tier now carries a note saying so and how to search below
// it; an answer with smaller fleets evaluated and failing does not, nor
// one of single-instance pools (no fleet has fewer instances).
func TestMinFleetAnswerAtTheGridsEdgeIsNoted(t *testing.T) {
	plainPassOnly(t)
	const note = "in the grid's smallest GPU tier: no smaller fleet was tried"
	for _, tc := range []struct {
		name   string
		grid   Grid
		answer string
		noted  bool
	}{
		{"edge", Grid{Fleets: []string{"2P2D", "3P3D"}}, "2P2D", true},
		{"edge, exhaustive", Grid{Fleets: []string{"2P2D", "3P3D"}}, "2P2D", true},
		{"smaller failed", minFleetGrid, "2P1D", false},
		{"one instance per pool", Grid{Fleets: []string{"1P1D", "2P2D"}}, "1P1D", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sw, err := Run(chatRunner(t, 2), Spec{Search: sweepfile.SearchMinFleet, Grid: tc.grid, Exhaustive: tc.name == "edge, exhaustive"})
			require.NoError(t, err)
			require.NotNil(t, sw.Answer, "%v", sw.Notes)
			require.Equal(t, tc.answer, sw.Answer.Fleet)
			found := false
			for _, n := range sw.Notes {
				if strings.Contains(n, note) {
					found = true
					require.Contains(t, n, "the answer "+tc.answer+" (")
					require.Contains(t, n, "--prefill/--decode")
				}
			}
			require.Equal(t, tc.noted, found, "%v", sw.Notes)
		})
	}
}

package htmlreport

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestInterruptedSweepVerdict: an interrupted sweep (Ctrl-C: points cut
// short or not run) read "none of 3 points meets every SLO" in red, a
// verdict on fleets that never ran to their end; a sweep whose every
// point failed read the same. Both now say what happened instead.
func TestInterruptedSweepVerdict(t *testing.T) {
	pts := []sweepfile.Point{
		{Index: 0, Fleet: "1P1D", GPU: "h100", TP: 4, Error: "interrupted at virtual time 5h12m32s: the point was cut short, its partial figures are left out"},
		{Index: 1, Fleet: "2P2D", GPU: "h100", TP: 4, Error: "not run: the sweep was interrupted"},
	}
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Points: pts, Interrupted: true, Notes: []string{"interrupted: 0 of 2 points ran, 1 cut short (partial figures left out), the others were not run; no answer"}}
	v := sweepSection(&builder{}, 0, SweepRun{Label: "s", Sweep: s})
	require.Equal(t, "none", v.Verdict.Status)
	require.Equal(t, "Interrupted: 0 of 2 points ran to their end; no verdict", v.Verdict.Text)

	s.Interrupted = false
	pts[0].Error, pts[1].Error = "configuration: bad fleet", "configuration: bad fleet"
	v = sweepSection(&builder{}, 0, SweepRun{Label: "s", Sweep: s})
	require.Equal(t, "bad", v.Verdict.Status)
	require.Equal(t, "no point ran: every one of the 2 failed (see each point's error)", v.Verdict.Text)
}

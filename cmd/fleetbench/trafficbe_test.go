package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// price capped the traffic break-even at 1/u (u the fleet's busy share)
// and called the utilization break-even above 100% "impossible on any
// fleet at these prices". Busy share is not capacity: with continuous
// batching a pool steps whenever it holds a request. chat on 2P4D at
// 72.6% busy sustains 6.06x its traffic within its SLOs (sweep --search
// max-load); at input 0.6 / cached 0.15 / output 2.4 per Mtok price said
// "needs 3.04x the traffic, 220% utilization: more than this fleet
// carries (at most 1.38x)", while `sim --rate-scale 3.04` on it meets
// every SLO at markup -2.3% (break-even), and "impossible on any fleet"
// while `sim --fleet 1C` meets every SLO at markup +96.5%.
func TestPriceTrafficBreakEvenIsNotCappedByBusyShare(t *testing.T) {
	pf := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(pf, []byte("default: {input_per_mtok: 0.6, cached_input_per_mtok: 0.15, output_per_mtok: 2.4}\n"), 0o644))
	code, stdout, stderr := runCLI("price", "chat", "--duration", "2m", "--price-file", pf, "--format", "json")
	require.Equal(t, 0, code, stderr)
	var rep struct {
		Classes []struct {
			List struct {
				Solves []struct {
					Variable  string   `json:"variable"`
					OK        bool     `json:"ok"`
					BreakEven *float64 `json:"break_even"`
					Note      string   `json:"note"`
				} `json:"break_even"`
			} `json:"list"`
		} `json:"classes"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	seen := 0
	for _, s := range rep.Classes[0].List.Solves {
		switch s.Variable {
		case "traffic_multiple":
			seen++
			require.True(t, s.OK, s.Note)
			require.InDelta(t, 3.04, *s.BreakEven, 0.01)
			require.Contains(t, s.Note, "sweep --search max-load")
		case "utilization":
			seen++
			require.False(t, s.OK)
			require.NotContains(t, s.Note, "impossible")
			require.Contains(t, s.Note, "sweep --search min-fleet")
		}
	}
	require.Equal(t, 2, seen)

	// The evidence: the same fleet at 3.04x meets every SLO and breaks even.
	code, stdout, stderr = runCLI("sim", "chat", "--duration", "2m", "--rate-scale", "3.04", "--price-file", pf, "--slo-gate", "--format", "json")
	require.Equal(t, 0, code, stderr)
	var res struct {
		Cost struct {
			MarkupPct float64 `json:"markup_pct"`
		} `json:"cost"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &res))
	require.InDelta(t, 0, res.Cost.MarkupPct, 5)
}

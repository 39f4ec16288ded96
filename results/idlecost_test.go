package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/pricing"
)

// A class that sent no request in the window, with nothing charged to it,
// has no cost (key left out), not {usd: 0, revenue: 0, margin: 0}; the
// totals and the fleet are unchanged. An older file that wrote those
// zeros reads the same way. A class with requests keeps a cost of 0.
func TestApplyCostLeavesOutAnIdleClass(t *testing.T) {
	r := pdResult()
	r.Classes["t2v"] = &ClassResult{Kind: "video"}
	pl := map[string]*pricing.List{"*": {InputPerMTok: 1, OutputPerMTok: 4}, "t2v": {PerVideoSecond: 0.1}}
	require.NoError(t, ApplyCost(r, CostInputs{Prices: pl}))
	require.Nil(t, r.Classes["t2v"].Cost)
	require.NotNil(t, r.Classes["chat"].Cost.Revenue)
	want := pdResult()
	require.NoError(t, ApplyCost(want, CostInputs{Prices: pl}))
	require.Equal(t, want.Totals.Cost.USD, r.Totals.Cost.USD)
	require.Equal(t, want.Cost.MarginPct, r.Cost.MarginPct)

	var b bytes.Buffer
	require.NoError(t, RenderCost(&b, r))
	for _, l := range strings.Split(b.String(), "\n") {
		if f := strings.Fields(l); len(f) == 5 && f[0] == "USD" {
			require.Equal(t, "-", f[3], l) // agent, chat, t2v, total
		}
	}

	// An older file: t2v written with a cost of 0.
	r.Classes["t2v"].Cost = &ClassCost{Revenue: &Revenue{Currency: "USD"}}
	b.Reset()
	require.NoError(t, WriteJSON(&b, r))
	require.Contains(t, b.String(), `"margin_usd": 0`)
	old, err := Decode(&b, "old.json")
	require.NoError(t, err)
	require.Nil(t, old.Classes["t2v"].Cost)
	require.NotNil(t, old.Classes["chat"].Cost)
}

package main

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// price mixed-platform --duration 1m printed "t2v at list prices: revenue
// 0 USD, cost 0 USD, margin 0 USD" and its break-evens, exit 0, for a class
// no request of which arrived in the window (video bursts come every 5
// minutes): zeros of nothing measured, beside a video pool whose cost is
// charged to no class. Such a class is not priced now, with why and what
// to do, and price exits 1 (README: a class it would price that completed
// no request), the other classes still priced.
func TestPriceRefusesAClassWithNoRequest(t *testing.T) {
	code, stdout, stderr := runCLI("price", "mixed-platform", "--duration", "1m")
	require.Equal(t, 1, code, stderr)
	require.NotContains(t, stdout, "t2v at list prices")
	require.Contains(t, stdout, "chat at list prices")
	const why = "class t2v: no request of the class arrived in the measured window 6.000-59.905 s: nothing to price; lengthen the run (--duration)"
	require.Contains(t, stdout, "t2v: not priced: "+why)
	require.Contains(t, stderr, why)

	code, stdout, _ = runCLI("price", "mixed-platform", "--duration", "1m", "--format", "json")
	require.Equal(t, 1, code)
	var rep struct {
		NotPriced map[string]string `json:"not_priced"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Equal(t, why, rep.NotPriced["t2v"])

	code, _, stderr = runCLI("price", "mixed-platform", "--duration", "1m", "--class", "chat")
	require.Equal(t, 0, code, stderr)
}

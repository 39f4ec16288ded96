package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// fleet.block_tokens out of range was refused at the fleet: key, as if a
// flag were wrong ("9:1: fleet: --block-tokens -1: must be in [1,
// 4096]"), and an explicit fleet.tp: 0 was taken as the default, where
// --tp 0 is an error. Both are refused at their key.
func TestFleetKeysRefusedAtTheirKey(t *testing.T) {
	for _, tc := range []struct{ fleet, want string }{
		{"{spec: 1C, block_tokens: -1}", "t.yaml:8:19: fleet.block_tokens: must be in [1, 4096], got -1"},
		{"{spec: 1C, block_tokens: 99999}", "t.yaml:8:19: fleet.block_tokens: must be in [1, 4096], got 99999"},
		{"{spec: 1C, tp: 0}", "t.yaml:8:19: fleet.tp: must be >= 1, got 0 (leave it out for the default)"},
	} {
		require.ErrorContains(t, parseWithFleet(tc.fleet), tc.want, tc.fleet)
	}
	require.NoError(t, parseWithFleet("{spec: 1C, block_tokens: 16, tp: 2}"))
}

// parseWithFleet parses minimal with the fleet: mapping fleet (on line 8,
// from column 8).
func parseWithFleet(fleet string) error {
	_, err := Parse("t.yaml", []byte(strings.Replace(minimal, "    output: 20\n", "    output: 20\nfleet: "+fleet+"\n", 1)), "")
	return err
}

// fleet.gpu_hour_usd for a GPU the catalog does not know (a typo: h1OO)
// was accepted and never used, the catalog's price charged instead, where
// --gpu-price refuses it; and a GPU-hour price had no upper limit
// (gpu_hour_usd: {h100: 25000} for 2.5 was priced).
func TestGPUHourPricesChecked(t *testing.T) {
	for _, tc := range []struct{ prices, want string }{
		{"{h1OO: 2}", `t.yaml:8:34: fleet.gpu_hour_usd.h1OO: unknown GPU "h1OO": known GPUs are`},
		{"{h100: 25000}", "t.yaml:8:34: fleet.gpu_hour_usd.h100: price must be 0 to 1000 USD per GPU-hour, got 25000"},
		{"{h100: -1}", "t.yaml:8:34: fleet.gpu_hour_usd.h100: price must be 0 to 1000 USD per GPU-hour, got -1"},
	} {
		require.ErrorContains(t, parseWithFleet("{spec: 1C, gpu_hour_usd: "+tc.prices+"}"), tc.want, tc.prices)
	}
	require.NoError(t, parseWithFleet("{spec: 1C, gpu_hour_usd: {H100: 2.5, h20: 0}}"))
}

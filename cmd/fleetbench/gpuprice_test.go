package main

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// sim chat --gpu-price h999=2 ran and priced the fleet at the catalog's
// $2.69, exit 0, without a word: a mistyped GPU's price is never used. A
// GPU the catalog does not know is refused now (exit 2, the known ones
// listed); a known GPU no pool of the simulated fleet runs on is warned
// about (its price is not used).
func TestGPUPriceForAGPUNotInTheFleet(t *testing.T) {
	code, stdout, stderr := runCLI("sim", "chat", "--requests", "50", "--gpu-price", "h999=2")
	require.Equal(t, 2, code, stderr)
	require.Empty(t, stdout)
	require.Contains(t, stderr, `--gpu-price: unknown GPU "h999": known GPUs are`)

	code, _, stderr = runCLI("sim", "chat", "--requests", "50", "--gpu-price", "h200=3,h100=2")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, "fleetbench: warning: --gpu-price h200: no pool of the fleet runs on h200 (it runs on h100): that price is not used")
	require.NotContains(t, stderr, "--gpu-price h100")

	code, _, stderr = runCLI("sim", "chat", "--requests", "50", "--gpu-price", "h100=2")
	require.Equal(t, 0, code, stderr)
	require.NotContains(t, stderr, "--gpu-price")
}

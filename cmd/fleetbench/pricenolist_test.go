package main

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// price of a result file whose scenario had price lists said "no class has
// a price list": the scenario's classes had them, the result file carries
// none. It now says where the lists are to come from.
func TestPriceResultWithoutLists(t *testing.T) {
	out := filepath.Join(t.TempDir(), "r.json")
	code, _, stderr := runCLI("sim", "chat", "--requests", "20", "-o", out)
	require.Equal(t, 0, code, stderr)
	code, _, stderr = runCLI("price", out)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "a result file carries no price lists: give --price-file, or price the scenario itself (fleetbench price chat)")
}

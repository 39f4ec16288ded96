package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// price printed "huge at list prices: revenue 0 USD, cost 0 USD, margin 0
// USD" and its break-evens for a class none of whose requests completed
// (every one too_long), and exited 0: figures of a class nothing was
// measured for. The class is now not priced, a line says why (as sim's
// class_failed does), the JSON lists it under not_priced, and price exits
// 1 after printing the other classes.
func TestPriceRefusesAClassThatFailedWhole(t *testing.T) {
	dir := t.TempDir()
	scen := mixFailScenario
	res := filepath.Join(dir, "m.json")
	code, _, stderr := runCLI("sim", scen, "-o", res)
	require.Equal(t, 1, code, stderr)
	prices := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(prices, []byte("default: {currency: USD, input_per_mtok: 0.6, output_per_mtok: 2.4}\n"), 0o644))

	code, stdout, stderr := runCLI("price", res, "--price-file", prices)
	require.Equal(t, 1, code, stderr)
	require.NotContains(t, stdout, "huge at list prices")
	require.Contains(t, stdout, "ok at list prices")
	require.Contains(t, stdout, "huge: not priced: class huge: none of its 31 measured requests completed (31 too_long)")
	require.Contains(t, stderr, "class huge: none of its 31 measured requests completed")

	code, stdout, _ = runCLI("price", res, "--price-file", prices, "--format", "json")
	require.Equal(t, 1, code)
	var rep struct {
		NotPriced map[string]string `json:"not_priced"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Contains(t, rep.NotPriced["huge"], "none of its 31 measured requests completed")

	// --class ok prices the class that was served: exit 0.
	code, _, stderr = runCLI("price", res, "--price-file", prices, "--class", "ok")
	require.Equal(t, 0, code, stderr)
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// cost --output-tokens 1e8 against a list with an input price (and a
// cached discount) priced the input as 0 tokens: "input_per_mtok 0.27
// USD/Mtok  0 Mtok  0", revenue 110 instead of what was billed, exit 0.
// A volume the list bills but the flags do not give is now refused
// (exit 2), naming the line and the flag; an explicit 0 is an answer.
func TestCostRefusesAVolumeTheListBillsButIsNotGiven(t *testing.T) {
	pf := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(pf, []byte("default: {input_per_mtok: 0.27, cached_input_per_mtok: 0.07, output_per_mtok: 1.1, per_task: 0.01}\n"), 0o644))
	base := []string{"cost", "--gpu-hours", "800", "--gpu-price", "h100=2.5", "--price-file", pf}
	all := append(append([]string{}, base...), "--input-tokens", "1e9", "--cached-tokens", "3e8", "--output-tokens", "1e8", "--tasks", "5e5")
	code, _, stderr := runCLI(all...)
	require.Equal(t, 0, code, stderr)

	for _, tc := range []struct{ drop, want string }{
		{"--input-tokens", "the price list bills input tokens (input_per_mtok 0.27) but --input-tokens is not given"},
		{"--cached-tokens", "the price list discounts cached input (cached_input_per_mtok 0.07) but --cached-tokens is not given"},
		{"--output-tokens", "the price list bills output tokens (output_per_mtok 1.1) but --output-tokens is not given"},
		{"--tasks", "the price list bills tasks (per_task 0.01) but --tasks is not given"},
	} {
		var args []string
		for i := 0; i < len(all); i++ {
			if all[i] == tc.drop {
				i++
				continue
			}
			args = append(args, all[i])
		}
		code, stdout, stderr := runCLI(args...)
		require.Equal(t, 2, code, tc.drop)
		require.Empty(t, stdout, tc.drop)
		require.Contains(t, stderr, tc.want, tc.drop)
		require.Contains(t, stderr, "(0 if there were none)", tc.drop)
	}
	// Explicit zeros are answers.
	code, _, stderr = runCLI(append(append([]string{}, base...), "--input-tokens", "0", "--cached-tokens", "0", "--output-tokens", "1e8", "--tasks", "0")...)
	require.Equal(t, 0, code, stderr)
}

// cost with a tiered list billed every token at the first tier (totals
// carry no per-request lengths) and said so only in --help: the output
// read as the list's revenue. It says so now, in the table and the JSON.
func TestCostSaysATieredListIsBilledAtItsFirstTier(t *testing.T) {
	pf := filepath.Join(t.TempDir(), "tier.yaml")
	require.NoError(t, os.WriteFile(pf, []byte("default:\n  currency: CNY\n  tiers:\n    - {up_to_tokens: 32768, input_per_mtok: 0.8, cached_input_per_mtok: 0.16, output_per_mtok: 8}\n    - {up_to_tokens: 131072, input_per_mtok: 1.2, cached_input_per_mtok: 0.16, output_per_mtok: 16}\n"), 0o644))
	args := []string{"cost", "--gpu-hours", "h100=100", "--input-tokens", "1e9", "--cached-tokens", "5e8", "--output-tokens", "1e7", "--price-file", pf}
	const note = "tiered price list: every token billed at its first tier (up to 32768 tokens): totals carry no per-request lengths, so requests a higher tier bills are priced at the first tier's prices"
	code, stdout, stderr := runCLI(args...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "note: "+note)
	code, stdout, stderr = runCLI(append(args, "--format", "json")...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, `"note": "`+note+`"`)
}

package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// behindScenario's only instance fails at 3 s and is repaired after 10
// minutes: the fleet falls far behind its offered load.
const behindScenario = `name: behind
seed: 1
duration: 1m
warmup: 5s
classes:
  - name: chat
    kind: chat
    arrival: {process: poisson, rate: 5}
    input: {dist: lognormal, mean: 755, median: 620, max: 16000}
    output: {dist: lognormal, mean: 211, median: 129, max: 4096}
    pricing: {currency: USD, input_per_mtok: 0.27, output_per_mtok: 1.10}
fleet:
  spec: 1C
  model: llama-3.1-8b
  gpu: h100
  tp: 1
  failures:
    repair_s: 600
    policy: fail
    at: [{pool: colocated, instance: 0, at_s: 3}]
`

// TestPriceSaysTheResultsWarnings: price of a point whose fleet fell
// behind printed its margins (markup 229.6%) and break-evens with no word
// that its cost leaves out the backlog (a lower bound: sim's cost table
// says LOWER BOUND). The result's warnings now head price's output and its
// JSON. It then exited 0 where sim of the same point exits 1, its JSON
// had no lower_bound and each class's block read as a plain figure: now
// the blocks say the bound, the JSON has lower_bound: true and price
// exits 1 after printing them, as sim does.
func TestPriceSaysTheResultsWarnings(t *testing.T) {
	scen := writeScenario(t, behindScenario)
	code, stdout, stderr := runCLI("price", scen)
	require.Equal(t, 1, code, stderr)
	head := stdout[:strings.Index(stdout, "chat at list prices")]
	require.Contains(t, head, "WARNING: the fleet fell behind the offered load")
	require.Contains(t, head, "cost per task is a lower bound and margin an upper bound")
	require.Contains(t, stdout, "chat at list prices (cost a lower bound, margins upper bounds: the fleet fell behind)")
	require.Contains(t, stderr, "the fleet fell behind")

	code, stdout, stderr = runCLI("price", scen, "--format", "json")
	require.Equal(t, 1, code, stderr)
	var rep struct {
		Warnings   []string `json:"warnings"`
		LowerBound bool     `json:"lower_bound"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.NotEmpty(t, rep.Warnings)
	require.True(t, rep.LowerBound)
}

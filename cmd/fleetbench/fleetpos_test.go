package main

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// moeScenario is a small wide-EP scenario; its fleet is filled in by each
// case. Line 12 holds fleet.spec, line 18 prefill's redundant_experts.
const moeScenario = `name: moe-bad
seed: 1
duration: 20s
classes:
  - name: chat
    kind: chat
    arrival: {process: poisson, rate: 5}
    input: {dist: lognormal, mean: 755, median: 620, max: 16000}
    output: {dist: lognormal, mean: 211, median: 129, max: 4096}
fleet:
  model: deepseek-v3
  spec: %s
  dtype: fp8
  routing: cache-aware
  decode_prefix_cache: false
  pools:
    prefill:
      redundant_experts: %d
`

// An invalid EP/DP/TP layout or expert count in a scenario file was
// refused with no position ("prefill pool: perf: EP 33 must divide the
// instance's 32 GPUs"), and `scenario validate` said "ok" for the same
// file (exit 0). Both now point at the key, file:line:col, and say what
// to do; a flag that overrides the fleet keeps the plain message (the
// file is not at fault).
func TestWideEPLayoutErrorsPointIntoTheScenario(t *testing.T) {
	for _, c := range []struct {
		name, spec string
		redundant  int
		at, want   string
	}{
		{"EP does not divide the GPUs", "1P:h800x32/ep33/dp32 1D:h800x144/ep144/dp144", 32, ":12:3: fleet.spec: prefill pool: perf: EP 33 must divide the instance's 32 GPUs", "use EP = GPUs"},
		{"TP x DP is not the GPUs", "1P:h800x32/ep32/dp16/tp4 1D:h800x144/ep144/dp144", 32, ":12:3: fleet.spec: prefill pool: perf: attention TP 4 × DP 16 = 64", "make TP·DP equal the GPU count"},
		{"DP does not divide the GPUs", "1P:h800x32/ep32/dp32 1D:h800x144/ep144/dp7", 32, ":12:3: fleet.spec: decode pool: perf: DP 7 does not divide", "use a DP that divides it"},
		{"experts do not divide over EP", "1P:h800x32/ep32/dp32 1D:h800x144/ep144/dp144", 31, ":18:7: fleet.pools.prefill.redundant_experts: prefill pool: perf: EP 32 does not divide deepseek-v3's 287 experts", "add redundant experts"},
	} {
		t.Run(c.name, func(t *testing.T) {
			scen := writeScenario(t, fmt.Sprintf(moeScenario, c.spec, c.redundant))
			code, _, stderr := runCLI("sim", scen, "--requests", "5")
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, scen+c.at)
			require.Contains(t, stderr, c.want)

			code, stdout, stderr := runCLI("scenario", "validate", scen)
			require.Equal(t, 2, code, stdout)
			require.NotContains(t, stdout, "ok ")
			require.Contains(t, stderr, scen+c.at)

			code, _, stderr = runCLI("price", scen, "--duration", "5s", "--price-file", writePriceFile(t))
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, scen+c.at)
		})
	}
	// A --fleet that overrides the file's fleet is what is wrong: no position.
	scen := writeScenario(t, fmt.Sprintf(moeScenario, "1P:h800x32/ep32/dp32 1D:h800x144/ep144/dp144", 32))
	code, _, stderr := runCLI("sim", scen, "--requests", "5", "--fleet", "1P:h800x32/ep33/dp32 1D:h800x144/ep144/dp144")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "EP 33 must divide")
	require.NotContains(t, stderr, scen+":")
	// The valid file validates, and the built-in wide-EP scenario too.
	code, stdout, stderr := runCLI("scenario", "validate", scen)
	require.Equal(t, 0, code, stderr)
	require.True(t, strings.HasPrefix(stdout, "ok "), stdout)
}

// A layout set by a pool's keys (fleet.pools.ROLE.ep, dp) rather than in
// the spec is placed at that key.
func TestWideEPPoolKeysPointAtTheirKey(t *testing.T) {
	body := strings.Replace(moeScenario, "  spec: %s\n", "  spec: \"1P:h800x32 1D:h800x144\"\n", 1)
	body = strings.Replace(body, "      redundant_experts: %d\n", "      ep: 33\n      dp: 32\n    decode:\n      ep: 144\n      dp: 144\n", 1)
	scen := writeScenario(t, body)
	code, stdout, stderr := runCLI("scenario", "validate", scen)
	require.Equal(t, 2, code, stdout)
	require.Contains(t, stderr, scen+":18:7: fleet.pools.prefill.ep: prefill pool: perf: EP 33 must divide")
	scen = writeScenario(t, strings.Replace(strings.Replace(body, "ep: 33", "ep: 32", 1), "dp: 144", "dp: 7", 1))
	code, _, stderr = runCLI("sim", scen, "--requests", "5")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, scen+":22:7: fleet.pools.decode.dp: decode pool: perf: DP 7 does not divide")
}

// sweep and serve of the same file said the refusal without its position
// ("every point of the sweep failed; the first (point 0, ...):
// configuration: prefill pool: perf: EP 33 ..."); they check the file's
// fleet first when no flag reshapes it.
func TestSweepAndServePlaceTheFilesFleet(t *testing.T) {
	scen := writeScenario(t, fmt.Sprintf(moeScenario, "1P:h800x32/ep33/dp32 1D:h800x144/ep144/dp144", 32))
	code, _, stderr := runCLI("sweep", scen, "--duration", "5s", "-j", "1")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, scen+":12:3: fleet.spec: prefill pool: perf: EP 33 must divide")
	code, _, stderr = runCLI("serve", scen, "--addr", "127.0.0.1:0")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, scen+":12:3: fleet.spec: prefill pool: perf: EP 33 must divide")
	// A grid that replaces the fleet is not the file's fault.
	code, _, stderr = runCLI("sweep", scen, "--duration", "5s", "-j", "1", "--fleet", "1P:h800x32/ep33/dp32 1D:h800x144/ep144/dp144")
	require.Equal(t, 2, code, stderr)
	require.NotContains(t, stderr, scen+":")
}

func writePriceFile(t *testing.T) string {
	t.Helper()
	return writeScenario(t, "default: {currency: USD, input_per_mtok: 0.27, output_per_mtok: 1.1}\n")
}

// The same for the keys of a dense fleet: an unknown model, GPU or routing
// policy, and a TP that does not divide the heads, each at its own key
// (`scenario validate` said "ok" for all four).
func TestFleetErrorsPointAtTheirKey(t *testing.T) {
	base := strings.Replace(moeScenario, "  spec: %s\n", "  spec: 1P1D\n  gpu: h100\n  tp: 4\n", 1)
	base = strings.Replace(base, "  pools:\n    prefill:\n      redundant_experts: %d\n", "", 1)
	for _, c := range []struct{ from, to, at string }{
		{"model: deepseek-v3", "model: deepseek-v9", ":11:3: fleet.model: unknown model \"deepseek-v9\""},
		{"gpu: h100", "gpu: h1000", ":13:3: fleet.gpu: unknown GPU \"h1000\""},
		{"routing: cache-aware", "routing: cache-awar", ":16:3: fleet.routing: unknown routing policy"},
		{"model: deepseek-v3", "model: llama-3.1-70b", ""},
	} {
		body := strings.Replace(base, c.from, c.to, 1)
		if c.at == "" {
			body = strings.Replace(strings.Replace(body, "tp: 4", "tp: 3", 1), "  dtype: fp8\n", "", 1)
			c.at = ":14:3: fleet.tp: prefill pool: perf: attention TP 3 does not divide llama-3.1-70b's 64 attention heads"
		}
		scen := writeScenario(t, body)
		code, stdout, stderr := runCLI("scenario", "validate", scen)
		require.Equal(t, 2, code, stdout)
		require.Contains(t, stderr, scen+c.at)
		code, _, stderr = runCLI("sim", scen, "--requests", "5")
		require.Equal(t, 2, code, stderr)
		require.Contains(t, stderr, scen+c.at)
		// scale built each probe on the file's fleet and said "no probe
		// at 1x could run (1 tried), e.g. fleet 1C: ...", without the key.
		code, _, stderr = runCLI("scale", scen, "--traffic", "1", "--max-instances", "1")
		require.Equal(t, 2, code, stderr)
		require.Contains(t, stderr, scen+c.at)
	}
}

// sweep --gpu h100,h200 over a fleet that names every pool's GPU ran
// the same fleet twice (points 0 and 1 identical) and labelled them h100
// and h200 (now both h200+h20, what they ran on): the axis changed
// nothing, with no word. It is said now.
func TestSweepSaysGPUAxisDoesNotApply(t *testing.T) {
	code, _, stderr := runCLI("sweep", "chat", "--fleet", "2P:h200 4D:h20,2P4D", "--gpu", "h100,h200", "--duration", "10s", "-j", "1")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, `warning: --gpu h100,h200: fleet "2P:h200 4D:h20" names the GPU of every pool, so its points run the same fleet on each --gpu`)
	require.NotContains(t, stderr, `fleet "2P4D"`)
	// The scenario's own fleet, when the grid lists none.
	code, _, stderr = runCLI("sweep", "moe-platform", "--gpu", "h100,h200", "--duration", "5s", "-j", "1")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stderr, `names the GPU of every pool`)
}

package sim

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
)

// A scenario's fleet can name its model by a config.json (relative to the
// scenario file): the result is the same as with the catalog entry the
// config reproduces, and the checkpoint's FP8 quantization sets the dtype.
func TestScenarioModelConfig(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(filepath.Join("models", "testdata", "hfconfig", "deepseek-v3.json"))
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "ds"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "ds", "config.json"), data, 0o644))
	yaml := func(model string) string {
		return `name: mc
seed: 2
duration: 20s
classes:
  - name: chat
    kind: chat
    arrival: {process: poisson, rate: 20}
    input: {dist: lognormal, mean: 1500, median: 1200, max: 8000}
    output: {dist: lognormal, mean: 150, median: 100, max: 1000}
fleet:
  spec: "1P:h800x32/ep32/dp32 1D:h800x32/ep32/dp32"
  model: ` + model + `
`
	}
	path := filepath.Join(dir, "mc.yaml")
	require.NoError(t, os.WriteFile(path, []byte(yaml("{config: ds/config.json, id: deepseek-v3}")), 0o644))
	sc, err := scenarios.Load(path)
	require.NoError(t, err)
	cfg := ConfigFromScenario(sc)
	require.Equal(t, filepath.Join(dir, "ds", "config.json"), cfg.ModelConfig)
	wo := scenarios.WorkloadOptions{Duration: 20 * time.Second}
	fromConfig, _, err := Run(sc, cfg, wo)
	require.NoError(t, err)

	cat, err := scenarios.Parse("mc.yaml", []byte(yaml("deepseek-v3")), dir)
	require.NoError(t, err)
	ccfg := ConfigFromScenario(cat)
	ccfg.DType = "fp8"
	fromCatalog, _, err := Run(cat, ccfg, wo)
	require.NoError(t, err)
	// Step times come from the architecture, identical in both; the KV
	// capacity differs by the parameter count's rounding (0.1%), which this
	// light load never reaches.
	require.Equal(t, fromCatalog.Totals, fromConfig.Totals)
	require.Equal(t, "deepseek-v3", fromConfig.Fleet.Model)
	require.InEpsilon(t, fromCatalog.Fleet.Pools[1].KVCapacityTokens, fromConfig.Fleet.Pools[1].KVCapacityTokens, 0.002)

	_, err = scenarios.Parse("bad.yaml", []byte(yaml("{config: nowhere/config.json}")), dir)
	require.ErrorContains(t, err, "fleet.model.config: cannot read")
}

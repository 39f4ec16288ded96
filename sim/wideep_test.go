package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/fleetbench/fleetbench/sim/perf"
)

// One request through a 32-GPU wide-EP instance (DP attention over 32
// ranks, EP32, two-batch overlap forced on, MTP speculative decoding): TTFT
// is exactly the prefill step and every later token exactly one decode step
// of the performance model, whose wide-EP step is checked against a hand
// computation in sim/perf (TestStepTimeExactWideEP).
func TestWideEPOneRequestExact(t *testing.T) {
	const in, out = 3000, 12
	cfg := Config{Fleet: "1C:h800x32/ep32/dp32", Model: "deepseek-v3", DType: "fp8",
		Pools: []PoolOptions{{Role: "colocated", TBO: "on", Spec: perf.Spec{Draft: 1, Accept: 0.8}}}}
	recs, res, _ := run(t, cfg, req(1, 0, out, scenarios.Block{ID: 7, Tokens: in}))
	r := recs[1]
	m, err := models.Lookup("deepseek-v3")
	require.NoError(t, err)
	g, err := hardware.Lookup("h800")
	require.NoError(t, err)
	pm, err := perf.New(m, g, perf.Config{GPUs: 32, DP: 32, EP: 32, DType: "fp8", TBO: "on", MemFraction: 0.9,
		Spec: perf.Spec{Draft: 1, Accept: 0.8}})
	require.NoError(t, err)
	prefill := pm.StepTime(perf.Step{PrefillTokens: in, PrefillAttn: attn(0, in)})
	require.Equal(t, prefill, r.FirstToken)
	var decode int64
	for j := 1; j < out; j++ {
		decode += pm.StepTime(perf.Step{DecodeSeqs: 1, DecodeCtx: int64(in + j)})
	}
	require.Equal(t, prefill+decode, r.LastToken)
	require.Equal(t, "tp1 dp32 ep32 spec1@0.80", res.Fleet.Pools[0].Layout)
	require.Equal(t, 32, res.Fleet.Pools[0].GPUsPerInstance)
}

// Per-rank batch limits scale with the DP ranks of an instance.
func TestWideEPLimitsPerRank(t *testing.T) {
	cfg := Config{Fleet: "1P:h800x32/ep32/dp32 1D:h800x144/ep144/dp144", Model: "deepseek-v3", DType: "fp8", MaxSeqs: 100, MaxBatchTokens: 4096,
		Pools: []PoolOptions{{Role: "prefill", MaxBatchTokens: 16384}}}
	cfg.applyDefaults()
	require.NoError(t, cfg.validate())
	f, err := buildFleet(cfg, oneClass())
	require.NoError(t, err)
	require.Equal(t, 16384*32, f.entry.maxBatchTokens)
	require.Equal(t, 100*32, f.entry.maxSeqs)
	require.Equal(t, 4096*144, f.decode.maxBatchTokens)
	require.Equal(t, perf.A2ALowLatency, f.decode.model.Config().A2A)
	require.Equal(t, perf.A2ANormal, f.entry.model.Config().A2A)
	require.Equal(t, "on", f.decode.model.Config().TBO, "wide EP overlaps by default")

	cfg.Fleet = "1P:h800x32/ep32/dp5 1D:h800x144/ep144/dp144"
	_, err = buildFleet(cfg, oneClass())
	require.ErrorContains(t, err, "prefill pool: perf: DP 5 does not divide the instance's 32 GPUs")
}

// The moe-platform built-in, scaled down: its wide pools explain their
// throughput (tokens per node, batch per rank, step time) and every class
// meets its SLOs on the default fleet.
func TestMoEPlatformScaledDown(t *testing.T) {
	if testing.Short() {
		t.Skip("a few seconds of simulation")
	}
	sc := mustBuiltin(t, "moe-platform")
	cfg := ConfigFromScenario(sc)
	res, _, err := Run(sc, cfg, scenarios.WorkloadOptions{Duration: 40 * time.Second, RateScale: 0.25})
	require.NoError(t, err)
	require.Len(t, res.Fleet.Pools, 2)
	for _, p := range res.Fleet.Pools {
		require.NotEmpty(t, p.Layout, p.Role)
		require.Positive(t, p.Steps, p.Role)
		require.Positive(t, p.WindowTokensPerNode, p.Role)
		require.GreaterOrEqual(t, p.BusyTokensPerNode, p.WindowTokensPerNode, p.Role)
		require.Positive(t, p.RankBatch, p.Role)
		require.Equal(t, 8, p.NodeGPUs)
	}
	require.Equal(t, "tp1 dp144 ep144 spec1@0.85", res.Fleet.Pools[1].Layout)
	require.Equal(t, 128, res.Fleet.Pools[1].RankBatchLimit)
	require.Equal(t, 16384, res.Fleet.Pools[0].RankBatchLimit)
	for name, c := range res.Classes {
		require.NotNil(t, c.SLO, name)
		require.True(t, c.SLO.Met, "%s: %+v", name, c.SLO.Targets)
	}
}

// A wide decode pool never runs more sequences than max_seqs per rank:
// transfers wait until the batch has room.
func TestWideDecodeBatchCapped(t *testing.T) {
	sc, err := scenarios.Parse("cap.yaml", []byte(`name: cap
seed: 1
requests: 400
classes:
  - name: c
    kind: chat
    arrival: {process: constant, rate: 200}
    input: 500
    output: 60
`), "")
	require.NoError(t, err)
	cfg := Config{Fleet: "1P:h800x16/ep16/dp16 1D:h800x16/ep16/dp16", Model: "deepseek-v3", DType: "fp8",
		Pools: []PoolOptions{{Role: "decode", MaxSeqs: 2}}}
	res, _, err := Run(sc, cfg, scenarios.WorkloadOptions{})
	require.NoError(t, err)
	require.EqualValues(t, 400, res.Totals.Completed)
	d := res.Fleet.Pools[1]
	require.Equal(t, 2, d.RankBatchLimit)
	require.LessOrEqual(t, d.RankBatch, 2.0)
	require.Greater(t, d.RankBatch, 1.5, "the cap is what binds")
}

package perf

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/stretchr/testify/require"
)

// Published measurements from docs/calibration.md, held here in Go (tests
// never read docs). Sources are named per section there.

var trtllmRows = TRTLLMOfflineRows

// vidurRows: Vidur H100 profiles (MIT), sum of per-layer operator means
// (norms, projections, RoPE, activation, add) at TP1, in ms.
var vidurRows = []struct {
	model     string
	tokens    int
	published float64
}{
	{"llama-2-7b", 1, 0.176}, {"llama-2-7b", 512, 0.375}, {"llama-2-7b", 4096, 2.621},
	{"llama-2-70b", 1, 0.626}, {"llama-2-70b", 512, 1.259}, {"llama-2-70b", 4096, 10.804},
}

// xditRows: xDiT HunyuanVideo 1280×720, 129 frames, 50 steps, Ulysses,
// seconds per clip.
var xditRows = []struct {
	gpu       string
	sp        int
	published float64
}{
	{"h100", 1, 1904}, {"h100", 2, 925}, {"h100", 4, 514}, {"h100", 8, 338},
	{"h20", 1, 6639}, {"h20", 2, 3401}, {"h20", 4, 1763}, {"h20", 8, 941},
}

func relErr(pred, pub float64) float64 { return (pred - pub) / pub * 100 }

func medianAbs(errs []float64) float64 {
	a := make([]float64, len(errs))
	for i, e := range errs {
		a[i] = math.Abs(e)
	}
	slices.Sort(a)
	n := len(a)
	if n%2 == 1 {
		return a[n/2]
	}
	return (a[n/2-1] + a[n/2]) / 2
}

func mustModel(t testing.TB, model, g string, cfg Config) *Model {
	t.Helper()
	m, err := models.Lookup(model)
	require.NoError(t, err)
	gs, err := hardware.Lookup(g)
	require.NoError(t, err)
	p, err := New(m, gs, cfg)
	require.NoError(t, err)
	return p
}

func TestCalibrationTRTLLMOffline(t *testing.T) {
	// The overview runs with --kv_cache_free_gpu_mem_fraction 0.95 and the
	// ModelOpt FP8 checkpoint (FP8 weights; FP8 KV assumed).
	p := mustModel(t, "llama-3.1-8b", "h100", Config{DType: "fp8", KVDType: "fp8", MemFraction: 0.95})
	t.Logf("§1 TensorRT-LLM offline, llama-3.1-8b fp8, 1×h100 (KV capacity %d tokens)", p.KVCapacityTokens())
	t.Logf("%-12s %8s %8s %10s %10s %7s", "in/out", "maxseqs", "maxtok", "predicted", "published", "err%")
	var errs []float64
	for _, r := range trtllmRows {
		s := TRTLLMBenchSched(p, r.In, r.Out)
		got := OfflineThroughput(p, r.In, r.Out, r.Requests, s)
		e := relErr(got, r.Value)
		errs = append(errs, e)
		t.Logf("%-12s %8d %8d %10.0f %10.0f %+7.1f", fmt.Sprintf("%d/%d", r.In, r.Out), s.MaxSeqs, s.MaxBatchTokens, got, r.Value, e)
		require.LessOrEqual(t, math.Abs(e), 40.0, "row %d/%d wildly off", r.In, r.Out)
	}
	med := medianAbs(errs)
	t.Logf("median |error| %.1f%%", med)
	require.LessOrEqual(t, med, 15.0)
}

// denseLayerLinear is the model's time for one dense layer's non-attention
// operators (projections, FFN, norms, activation, adds) over tokens, the
// quantity the Vidur rows sum.
func (p *Model) denseLayerLinear(tokens int) float64 {
	L := float64(p.m.Layers)
	T := float64(tokens)
	return (max(p.cNE*(T+gemmPadTokens), p.wNE)+p.elem*T)/L + 4*kernelFloor
}

func TestCalibrationVidurOperators(t *testing.T) {
	t.Logf("§2 Vidur H100 per-layer operator sums, TP1 bf16 (printed, not asserted)")
	t.Logf("%-12s %6s %10s %10s %7s", "model", "tokens", "pred ms", "pub ms", "err%")
	for _, r := range vidurRows {
		m, err := models.Lookup(r.model)
		require.NoError(t, err)
		g, err := hardware.Lookup("h100")
		require.NoError(t, err)
		p, err := build(m, g, Config{}, false) // 70B weights exceed one H100: time only
		require.NoError(t, err)
		got := p.denseLayerLinear(r.tokens) * 1e3
		t.Logf("%-12s %6d %10.3f %10.3f %+7.1f", r.model, r.tokens, got, r.published, relErr(got, r.published))
	}
}

func TestCalibrationXDiTVideo(t *testing.T) {
	v, err := models.LookupVideo("hunyuanvideo-13b")
	require.NoError(t, err)
	t.Logf("§3 xDiT HunyuanVideo 1280x720x129, 50 steps (%d latent tokens)", v.LatentTokens(1280, 720, 129))
	t.Logf("%-5s %3s %10s %10s %7s", "gpu", "sp", "pred s", "pub s", "err%")
	var errs []float64
	for _, r := range xditRows {
		g, err := hardware.Lookup(r.gpu)
		require.NoError(t, err)
		x, err := NewVideo(v, g, r.sp)
		require.NoError(t, err)
		got := float64(x.ClipTime(1280, 720, 129, 50)) / 1e9
		e := relErr(got, r.published)
		errs = append(errs, e)
		t.Logf("%-5s %3d %10.0f %10.0f %+7.1f", r.gpu, r.sp, got, r.published, e)
	}
	med := medianAbs(errs)
	t.Logf("median |error| %.1f%%", med)
	require.LessOrEqual(t, med, 20.0)
}

package results

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/pricing"
)

// pdResult is a hand-sized PD fleet: 2 prefill instances of 4 h200 and 4
// decode instances of 4 h100, 1800 s window, known attribution.
func pdResult() *Result {
	return &Result{
		Schema: Schema, Backend: "sim",
		Window: Window{StartS: 0, EndS: 1800, DurationS: 1800},
		Fleet: &FleetInfo{Spec: "2P:h200 4D:h100", GPUs: 24, Pools: []PoolInfo{
			{Role: "prefill", Instances: 2, GPU: "h200", GPUsPerInstance: 4, GPUs: 8, USDPerGPUHour: 3.59, TDPWatts: 700, BusySeconds: 900},
			{Role: "decode", Instances: 4, GPU: "h100", GPUsPerInstance: 4, GPUs: 16, USDPerGPUHour: 2.0, TDPWatts: 700, BusySeconds: 3600},
		}},
		Classes: map[string]*ClassResult{
			"chat":  {Kind: "chat", Requests: 1000, Completed: 1000, Tasks: 1000, InputTokens: new(int64(2_000_000)), CachedTokens: new(int64(1_000_000)), OutputTokens: new(int64(500_000))},
			"agent": {Kind: "agent", Requests: 200, Completed: 200, Tasks: 10, InputTokens: new(int64(6_000_000)), CachedTokens: new(int64(5_000_000)), OutputTokens: new(int64(500_000))},
		},
		Totals: &ClassResult{Kind: "mixed", Requests: 1200, Completed: 1200, Tasks: 1010, InputTokens: new(int64(8_000_000)), CachedTokens: new(int64(6_000_000)), OutputTokens: new(int64(1_000_000))},
		Attribution: map[string]map[string]float64{
			"chat":  {"prefill": 0.25, "decode": 0.5},
			"agent": {"prefill": 0.75, "decode": 0.5},
		},
	}
}

// TestApplyCostHandComputed checks every figure against a hand calculation:
// prefill 8 GPUs x 0.5 h = 4 GPU-h at the scenario's $3 = $12; decode 16 x
// 0.5 = 8 GPU-h at the command line's $2.50 = $20 (catalog $2 loses).
// chat = 0.25 x 12 + 0.5 x 20 = $13 over 1000 tasks; its prefill $3 splits
// 1M uncached : 1M x 0.25 cached = 2.4 : 0.6; decode $10 over 0.5 Mtok.
func TestApplyCostHandComputed(t *testing.T) {
	r := pdResult()
	err := ApplyCost(r, CostInputs{
		ScenarioGPUHourUSD: map[string]float64{"h200": 3, "h100": 1},
		GPUHourUSD:         map[string]float64{"h100": 2.5},
		Split:              CostSplit{CachedInput: 0.25, Output: 4},
	})
	require.NoError(t, err)
	c := r.Cost
	require.Equal(t, 12.0, c.GPUHours)
	require.Equal(t, 32.0, c.USD)
	require.Equal(t, 1800.0, c.WindowS)
	require.Equal(t, &PoolCost{GPUHours: 4, USD: 12, Role: "prefill", GPU: "h200", USDPerGPUHour: 3, PriceSource: PriceScenario,
		Utilization: ptrF(0.25), EnergyKWh: ptrF(0.7)}, c.ByPool["prefill"])
	require.Equal(t, &PoolCost{GPUHours: 8, USD: 20, Role: "decode", GPU: "h100", USDPerGPUHour: 2.5, PriceSource: PriceOverride,
		Utilization: ptrF(0.5), EnergyKWh: ptrF(2.8)}, c.ByPool["decode"])
	require.Equal(t, 3.5, c.EnergyKWh)
	require.Zero(t, c.UnattributedUSD)

	chat := r.Classes["chat"].Cost
	require.Equal(t, 13.0, chat.USD)
	require.Equal(t, 0.013, chat.PerTaskUSD)
	require.Equal(t, 2.4, chat.InputUSD)
	require.Equal(t, 0.6, chat.CachedUSD)
	require.Equal(t, 10.0, chat.OutputUSD)
	require.Equal(t, 2.4, chat.USDPerMTokInput) // $2.4 over 1M uncached
	require.Equal(t, 0.6, chat.USDPerMTokCached)
	require.Equal(t, 20.0, chat.USDPerMTokOutput)
	require.Equal(t, 1.575, chat.EnergyKWh) // 0.25 x 0.7 + 0.5 x 2.8
	require.Equal(t, 11.34, chat.JPerOutTok)

	agent := r.Classes["agent"].Cost
	require.Equal(t, 19.0, agent.USD) // 0.75 x 12 + 0.5 x 20
	require.Equal(t, 1.9, agent.PerTaskUSD)
	require.Equal(t, 4.0, agent.USDPerMTokInput) // $9 split 1M : 5M x 0.25 = 4 : 5
	require.Equal(t, 1.0, agent.USDPerMTokCached)
	require.Equal(t, 20.0, agent.USDPerMTokOutput)

	tot := r.Totals.Cost
	require.Equal(t, 32.0, tot.USD)
	require.InDelta(t, 32.0/1010, tot.PerTaskUSD, 1e-7)
	require.Equal(t, 20.0, tot.USDPerMTokOutput)
	require.InDelta(t, (2.4+4)/2.0, tot.USDPerMTokInput, 1e-9)
}

func TestApplyCostCatalogAndRepricing(t *testing.T) {
	r := pdResult()
	require.NoError(t, ApplyCost(r, CostInputs{}))
	require.Equal(t, PriceCatalog, r.Cost.ByPool["prefill"].PriceSource)
	require.InDelta(t, 4*3.59+8*2.0, r.Cost.USD, 1e-9)

	// A scenario price survives a later re-pricing that overrides only h100.
	require.NoError(t, ApplyCost(r, CostInputs{ScenarioGPUHourUSD: map[string]float64{"h200": 3}}))
	require.NoError(t, ApplyCost(r, CostInputs{GPUHourUSD: map[string]float64{"h100": 1}}))
	require.Equal(t, PriceScenario, r.Cost.ByPool["prefill"].PriceSource)
	require.Equal(t, 12.0+8, r.Cost.USD)
}

// TestApplyCostColocatedTokenShare has no attribution (an endpoint run), so
// the colocated pool is shared by output tokens, and each class's share is
// split by the weights: 0.5M uncached x 1 : 0.5M cached x 0.5 : 125k out x 2
// = 2 : 1 : 1.
func TestApplyCostColocatedTokenShare(t *testing.T) {
	r := &Result{Schema: Schema, Backend: "endpoint", Window: Window{EndS: 3600, DurationS: 3600},
		Fleet: &FleetInfo{Pools: []PoolInfo{{Role: "colocated", Instances: 10, GPU: "h100", GPUsPerInstance: 1, GPUs: 10, USDPerGPUHour: 1}}},
		Classes: map[string]*ClassResult{
			"a": {Kind: "chat", Tasks: 100, InputTokens: new(int64(1_000_000)), CachedTokens: new(int64(500_000)), OutputTokens: new(int64(125_000))},
			"b": {Kind: "chat", Tasks: 50, InputTokens: new(int64(10)), OutputTokens: new(int64(125_000))},
		},
		Totals: &ClassResult{}}
	require.NoError(t, ApplyCost(r, CostInputs{Split: CostSplit{CachedInput: 0.5, Output: 2}}))
	require.Equal(t, 10.0, r.Cost.USD)
	a := r.Classes["a"].Cost
	require.Equal(t, 5.0, a.USD)
	require.Equal(t, 0.05, a.PerTaskUSD)
	require.Equal(t, 5.0, a.USDPerMTokInput) // $2.5 / 0.5M
	require.Equal(t, 2.5, a.USDPerMTokCached)
	require.Equal(t, 10.0, a.USDPerMTokOutput)
	require.Equal(t, 0.1, r.Classes["b"].Cost.PerTaskUSD)
	require.Zero(t, r.Cost.EnergyKWh, "no TDP: energy unknown, not zero-cost")
}

// TestApplyCostElasticAndVideo: an elastic pool's GPU-seconds are already
// integrated over the window (3600 GPU-s = 1 GPU-hour); its busy time is
// within the window, so utilization is busy / (GPU-s / TP) = 900 / 1800.
// The video pool is charged to the video class by clips.
func TestApplyCostElasticAndVideo(t *testing.T) {
	r := &Result{Schema: Schema, Backend: "sim", Window: Window{StartS: 1800, EndS: 3600, DurationS: 1800},
		Fleet: &FleetInfo{Pools: []PoolInfo{
			{Role: "colocated", Instances: 2, GPU: "h100", GPUsPerInstance: 2, GPUs: 4, USDPerGPUHour: 2, GPUSeconds: 3600, BusySeconds: 900},
			{Role: "video", Instances: 1, GPU: "h100", GPUsPerInstance: 8, GPUs: 8, USDPerGPUHour: 2},
		}},
		Classes: map[string]*ClassResult{
			"chat": {Kind: "chat", Tasks: 10, OutputTokens: new(int64(1000))},
			"clip": {Kind: "video", Tasks: 4, Clips: 4, VideoSeconds: 20},
		},
		Totals: &ClassResult{Tasks: 14, Clips: 4, VideoSeconds: 20}}
	require.NoError(t, ApplyCost(r, CostInputs{}))
	require.Equal(t, 1.0, r.Cost.ByPool["colocated"].GPUHours)
	require.Equal(t, ptrF(0.5), r.Cost.ByPool["colocated"].Utilization)
	require.Equal(t, 4.0, r.Cost.ByPool["video"].GPUHours)
	clip := r.Classes["clip"].Cost
	require.Equal(t, 8.0, clip.USD)
	require.Equal(t, 2.0, clip.USDPerClip)
	require.Equal(t, 0.4, clip.USDPerVideoSecond)
	require.Equal(t, 0.4, r.Totals.Cost.USDPerVideoSecond, "totals: video pool only")
	require.Equal(t, 0.2, r.Classes["chat"].Cost.PerTaskUSD)
}

func TestApplyCostErrors(t *testing.T) {
	require.ErrorIs(t, ApplyCost(&Result{Totals: &ClassResult{}}, CostInputs{}), ErrNoFleet)
	require.Error(t, ApplyCost(nil, CostInputs{}))
	r := pdResult()
	err := ApplyCost(r, CostInputs{Prices: map[string]*pricing.List{"chat": {Currency: "EUR"}}})
	require.ErrorContains(t, err, `class "chat"`)
	require.ErrorContains(t, err, "USD or CNY")
	require.Error(t, ApplyCost(r, CostInputs{Split: CostSplit{Output: -1}}))
}

// TestApplyCostUnattributed: a pool no class used keeps its cost in the
// fleet total and in UnattributedUSD.
func TestApplyCostUnattributed(t *testing.T) {
	r := &Result{Schema: Schema, Backend: "sim", Window: Window{EndS: 3600, DurationS: 3600},
		Fleet:   &FleetInfo{Pools: []PoolInfo{{Role: "video", GPUs: 1, GPU: "h100", USDPerGPUHour: 2}}},
		Classes: map[string]*ClassResult{"chat": {Kind: "chat", Tasks: 3}}, Totals: &ClassResult{}}
	require.NoError(t, ApplyCost(r, CostInputs{}))
	require.Equal(t, 2.0, r.Cost.UnattributedUSD)
	require.Zero(t, r.Classes["chat"].Cost.USD)
}

func BenchmarkApplyCost(b *testing.B) {
	b.ReportAllocs()
	pl := map[string]*pricing.List{"*": {InputPerMTok: 1, OutputPerMTok: 4}}
	for b.Loop() {
		r := pdResult()
		if err := ApplyCost(r, CostInputs{Prices: pl}); err != nil {
			b.Fatal(err)
		}
	}
}

func TestRenderCostGolden(t *testing.T) {
	r := pdResult()
	require.NoError(t, ApplyCost(r, CostInputs{
		GPUHourUSD: map[string]float64{"h100": 2.5},
		Prices: map[string]*pricing.List{
			"chat":  {InputPerMTok: 1, CachedInputPerMTok: 0.1, OutputPerMTok: 40},
			"agent": {Currency: "CNY", CNYPerUSD: 7.2, PerTask: 7.2},
		}}))
	var b strings.Builder
	require.NoError(t, RenderCost(&b, r))
	golden(t, "cost.golden.txt", []byte(b.String()))
	b.Reset()
	require.NoError(t, RenderCost(&b, &Result{}))
	require.Empty(t, b.String(), "no cost: nothing to render")
}

func ptrF(v float64) *float64 { return &v }

// TestIdlePoolUtilizationIsZeroNotUnknown: a simulated pool that did nothing
// in the window was measured idle: 0% in JSON and tables. An endpoint run
// cannot see busy time: utilization is absent and "-". Before, both were
// one float64 with omitempty, and an idle pool printed "-".
func TestIdlePoolUtilizationIsZeroNotUnknown(t *testing.T) {
	mk := func(backend string) *Result {
		return &Result{Schema: Schema, Backend: backend, Window: Window{StartS: 0, EndS: 100, DurationS: 100},
			Fleet: &FleetInfo{Pools: []PoolInfo{
				{Role: "colocated", Instances: 1, GPU: "h100", GPUsPerInstance: 1, GPUs: 1, USDPerGPUHour: 2, BusySeconds: 50},
				{Role: "video", Instances: 1, GPU: "h100", GPUsPerInstance: 8, GPUs: 8, USDPerGPUHour: 2},
			}},
			Classes: map[string]*ClassResult{"chat": {Kind: "chat", Tasks: 10, OutputTokens: new(int64(1000))}},
			Totals:  &ClassResult{Tasks: 10, OutputTokens: new(int64(1000))}}
	}
	sim := mk("sim")
	require.NoError(t, ApplyCost(sim, CostInputs{}))
	u, ok := sim.Cost.ByPool["video"].Util()
	require.True(t, ok)
	require.Zero(t, u)
	b, err := json.Marshal(sim.Cost.ByPool["video"])
	require.NoError(t, err)
	require.Contains(t, string(b), `"utilization":0`)
	var txt strings.Builder
	require.NoError(t, RenderCost(&txt, sim))
	require.Regexp(t, `(?m)^video .* 0\.0%$`, txt.String())
	fu, ok := FleetUtilization(sim)
	require.True(t, ok)
	require.InDelta(t, 50.0/900, fu, 1e-9, "busy GPU time / GPU time of both pools")

	ep := mk("endpoint")
	ep.Fleet.Pools[0].BusySeconds = 0
	require.NoError(t, ApplyCost(ep, CostInputs{}))
	_, ok = ep.Cost.ByPool["colocated"].Util()
	require.False(t, ok)
	b, err = json.Marshal(ep.Cost.ByPool["colocated"])
	require.NoError(t, err)
	require.NotContains(t, string(b), "utilization")
	txt.Reset()
	require.NoError(t, RenderCost(&txt, ep))
	require.Regexp(t, `(?m)^colocated .* -$`, txt.String())
	_, ok = FleetUtilization(ep)
	require.False(t, ok, "an endpoint run's utilization is unknown, not 0")
}

// TestFleetUtilizationWeighsGPUs: mixed-platform's fleet utilization read
// 68.8% (price, sweep's util, the HTML report) while its GPUs were busy
// 66.8% of their time: each instance weighed the same, a video instance of
// 8 GPUs as a prefill instance of 4. Cost (and the break-even
// utilization, cost ∝ 1/u) and scale's balance count GPU time.
func TestFleetUtilizationWeighsGPUs(t *testing.T) {
	r := &Result{Backend: "sim", Window: Window{DurationS: 100},
		Fleet: &FleetInfo{Pools: []PoolInfo{
			{Role: "prefill", Instances: 4, GPUsPerInstance: 4, BusySeconds: 4 * 17.2},
			{Role: "decode", Instances: 8, GPUsPerInstance: 4, BusySeconds: 8 * 99.8},
			{Role: "video", Instances: 4, GPUsPerInstance: 8, BusySeconds: 4 * 58.4},
		}},
		Attribution: map[string]map[string]float64{"chat": {"prefill": 0.4, "decode": 0.4}, "t2v": {"video": 1}},
	}
	u, ok := FleetUtilization(r)
	require.True(t, ok)
	require.InDelta(t, (16*17.2+32*99.8+32*58.4)/80/100, u, 1e-12)
	u, _ = ClassUtilization(r, "chat")
	require.InDelta(t, (16*17.2+32*99.8)/48/100, u, 1e-12)
	u, _ = ClassUtilization(r, "t2v")
	require.InDelta(t, 0.584, u, 1e-12)
}

// TestClassUtilization: price's break-even utilization of a video class
// started from the fleet's (62.4% in mixed-platform, LLM pools included)
// while its video pool ran at 40.4%; a class uses the pools charged to it.
func TestClassUtilization(t *testing.T) {
	r := &Result{Backend: "sim", Window: Window{DurationS: 100},
		Fleet: &FleetInfo{Pools: []PoolInfo{
			{Role: "prefill", Instances: 4, BusySeconds: 72},
			{Role: "decode", Instances: 8, BusySeconds: 800},
			{Role: "video", Instances: 4, BusySeconds: 160},
		}},
		Attribution: map[string]map[string]float64{"chat": {"prefill": 0.4, "decode": 0.4}, "t2v": {"video": 1}},
	}
	fleet, ok := FleetUtilization(r)
	require.True(t, ok)
	require.InDelta(t, 1032.0/1600, fleet, 1e-12)
	u, ok := ClassUtilization(r, "t2v")
	require.True(t, ok)
	require.InDelta(t, 0.4, u, 1e-12)
	u, _ = ClassUtilization(r, "chat")
	require.InDelta(t, 872.0/1200, u, 1e-12)
	u, _ = ClassUtilization(r, "unattributed")
	require.Equal(t, fleet, u)
	_, ok = ClassUtilization(nil, "t2v")
	require.False(t, ok)
}

// TestTotalJPerTokenLeavesVideoOut: mixed-platform's totals read 17.3 J
// per output token against 9.6 (chat) and 16.1 (coding): the video pool's
// energy was divided by the LLM classes' output tokens. Like $/Mtok, J per
// output token counts the energy of the pools that make tokens.
func TestTotalJPerTokenLeavesVideoOut(t *testing.T) {
	r := pdResult()
	r.Fleet.Pools = append(r.Fleet.Pools, PoolInfo{Role: "video", Instances: 2, GPU: "h100", GPUsPerInstance: 8, GPUs: 16, USDPerGPUHour: 2, TDPWatts: 700, BusySeconds: 3000})
	r.Fleet.GPUs += 16
	r.Classes["t2v"] = &ClassResult{Kind: "video", Requests: 10, Completed: 10, Tasks: 10, Clips: 10, VideoSeconds: 50}
	r.Totals.Requests, r.Totals.Completed, r.Totals.Tasks, r.Totals.Clips, r.Totals.VideoSeconds = 1210, 1210, 1020, 10, 50
	r.Attribution["t2v"] = map[string]float64{"video": 1}
	require.NoError(t, ApplyCost(r, CostInputs{}))
	var llmKWh float64
	for _, n := range []string{"chat", "agent"} {
		llmKWh += r.Classes[n].Cost.EnergyKWh
	}
	require.InEpsilon(t, llmKWh*3.6e6/1_000_000, r.Totals.Cost.JPerOutTok, 1e-4)
	require.Greater(t, r.Totals.Cost.EnergyKWh, llmKWh, "the totals' energy still has the video pool's")
	require.Zero(t, r.Classes["t2v"].Cost.JPerOutTok)
}

// A simulated pool that did no work in the window used 0 kWh at TDP while
// busy: a measured 0, written as 0 (it was left out, as for a pool whose
// energy is unknown: an endpoint's, whose busy time nobody measured).
func TestIdlePoolEnergyIsZeroNotAbsent(t *testing.T) {
	r := pdResult()
	r.Fleet.Pools = append(r.Fleet.Pools, PoolInfo{Role: "video", Instances: 1, GPU: "h100", GPUsPerInstance: 1, GPUs: 1, USDPerGPUHour: 2, TDPWatts: 700})
	require.NoError(t, ApplyCost(r, CostInputs{}))
	e, ok := r.Cost.ByPool["video"].Energy()
	require.True(t, ok, "a simulated idle pool's energy is measured")
	require.Zero(t, e)
	raw, err := json.Marshal(r.Cost.ByPool["video"])
	require.NoError(t, err)
	require.Contains(t, string(raw), `"energy_kwh":0`)
	e, ok = r.Cost.ByPool["decode"].Energy()
	require.True(t, ok)
	require.Equal(t, 2.8, e)

	r = pdResult()
	r.Backend = "endpoint"
	r.Fleet.Pools[0].BusySeconds, r.Fleet.Pools[1].BusySeconds = 0, 0
	require.NoError(t, ApplyCost(r, CostInputs{}))
	_, ok = r.Cost.ByPool["prefill"].Energy()
	require.False(t, ok, "an endpoint's busy time is unknown: no energy figure")
	raw, err = json.Marshal(r.Cost.ByPool["prefill"])
	require.NoError(t, err)
	require.NotContains(t, string(raw), "energy_kwh")
}

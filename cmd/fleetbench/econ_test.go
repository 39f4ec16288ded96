package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// TestRunDeclaredFleetCost: run --fleet 2C --gpu h100 --tp 4
// --usd-per-gpu-hour 3 gives an endpoint result the cost section: 8 GPUs
// at $3 = $24/hour, so cost = 24 x window / 3600 by hand, all of it
// charged to the one class.
func TestRunDeclaredFleetCost(t *testing.T) {
	srv := usageServer(t)
	scen := writeScenario(t, runScenario)
	dir := filepath.Dir(scen)
	out := filepath.Join(dir, "r.json")
	code, stdout, stderr := runCLI("run", scen, "--target", srv.BaseURL(), "--model", "m", "-o", out, "-q",
		"--fleet", "2C", "--gpu", "h100", "--tp", "4", "--usd-per-gpu-hour", "3")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "cost over")
	r, err := results.ReadFile(out)
	require.NoError(t, err)
	require.NotNil(t, r.Fleet)
	require.Equal(t, 8, r.Fleet.GPUs)
	require.NotNil(t, r.Cost)
	want := 8 * 3 * r.Cost.WindowS / 3600
	require.InDelta(t, want, r.Cost.USD, 1e-6)
	require.InDelta(t, r.Cost.USD, r.Classes["chat"].Cost.USD, 1e-6)
	require.Zero(t, r.Cost.EnergyKWh, "busy time is unknown for an endpoint: no energy figure")

	// Fleet details without --fleet, and a bad fleet, are usage errors.
	code, _, stderr = runCLI("run", scen, "--target", srv.BaseURL(), "--model", "m", "-q", "--tp", "4")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "give --fleet")
	code, _, _ = runCLI("run", scen, "--target", srv.BaseURL(), "--model", "m", "-q", "--fleet", "2Q")
	require.Equal(t, 2, code)
}

// TestCostFromTotals: 1000 GPU-hours at $2.5 = $2500; 9,000 Mtok input of
// which 6,000 cached, 400 Mtok output at 0.6 / 0.15 / 2.4 per Mtok:
// revenue 3000 x 0.6 + 6000 x 0.15 + 400 x 2.4 = 1800 + 900 + 960 = 3660.
// Markup on cost 1160 / 2500 = 46.4%, margin on revenue 1160 / 3660 =
// 31.69%; break-even input price (2500 - 1860) / 3000 = 0.21333; the GPU
// price may rise to 2.5 x 3660 / 2500 = 3.66.
func TestCostFromTotals(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(pf, []byte("default: {input_per_mtok: 0.6, cached_input_per_mtok: 0.15, output_per_mtok: 2.4}\n"), 0o644))
	args := []string{"cost", "--gpu-hours", "1000", "--gpu-price", "h100=2.5", "--input-tokens", "9000000000",
		"--cached-tokens", "6000000000", "--output-tokens", "400000000", "--price-file", pf}
	code, stdout, stderr := runCLI(args...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "markup on cost (markup_pct) 46.40%; margin on revenue (margin_pct) 31.69%")
	code, stdout, stderr = runCLI(append(args, "--format", "json")...)
	require.Equal(t, 0, code, stderr)
	var got struct {
		CostUSD   float64 `json:"cost_usd"`
		Revenue   float64 `json:"revenue"`
		MarkupPct float64 `json:"markup_pct"`
		MarginPct float64 `json:"margin_pct"`
		Solves    []struct {
			Variable  string  `json:"variable"`
			BreakEven float64 `json:"break_even"`
			OK        bool    `json:"ok"`
		} `json:"break_even"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	require.InDelta(t, 2500, got.CostUSD, 1e-9)
	require.InDelta(t, 3660, got.Revenue, 1e-9)
	require.InDelta(t, 46.4, got.MarkupPct, 1e-9)
	require.InDelta(t, 1160.0/3660*100, got.MarginPct, 1e-9)
	be := map[string]float64{}
	for _, s := range got.Solves {
		if s.OK {
			be[s.Variable] = s.BreakEven
		}
	}
	require.InDelta(t, 640.0/3000, be["input_per_mtok"], 1e-9)
	require.InDelta(t, 3.66, be["usd_per_gpu_hour"], 1e-9)
	require.InDelta(t, 2500.0/3660, be["traffic_multiple"], 1e-9)

	// Bad input: cached above input, no price for the hours.
	code, _, stderr = runCLI("cost", "--gpu-hours", "10", "--gpu-price", "h100=2", "--input-tokens", "5", "--cached-tokens", "6", "--output-tokens", "0", "--price-file", pf)
	require.Equal(t, 2, code)
	require.Contains(t, stderr, "include the cached")
	code, _, _ = runCLI("cost", "--gpu-hours", "10", "--input-tokens", "5", "--price-file", pf)
	require.Equal(t, 2, code)
	// 0 GPU-hours printed "cost 0 USD, margin 100%" and "mean $0/GPU-hour".
	for _, h := range []string{"0", "h100=0,h20=0"} {
		code, stdout, stderr := runCLI("cost", "--gpu-hours", h, "--gpu-price", "h100=2", "--input-tokens", "5", "--price-file", pf)
		require.Equal(t, 2, code, h)
		require.Empty(t, stdout, h)
		require.Contains(t, stderr, "--gpu-hours adds up to 0", h)
	}
}

// TestPriceCutAndPlan: price on a simulated chat prints both margins, the
// output price after a 50% cut, and a plan's loss-making share.
func TestPriceCutAndPlan(t *testing.T) {
	code, stdout, stderr := runCLI("price", "chat", "--duration", "1m", "--cut", "output=-50%", "--format", "json",
		"--plan", "name=pro,fee=20,mean=300,median=120")
	require.Equal(t, 0, code, stderr)
	var rep priceReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	require.Len(t, rep.Classes, 1)
	c := rep.Classes[0]
	require.NotNil(t, c.Cut)
	var listOut, cutOut float64
	for _, l := range c.List.Lines {
		if l.Name == "output_per_mtok" {
			listOut = l.Price
		}
	}
	for _, l := range c.Cut.Lines {
		if l.Name == "output_per_mtok" {
			cutOut = l.Price
		}
	}
	require.InDelta(t, 1.10, listOut, 1e-12)
	require.InDelta(t, 0.55, cutOut, 1e-12)
	require.Less(t, c.Cut.Revenue, c.List.Revenue)
	require.Equal(t, c.List.Cost, c.Cut.Cost)
	require.Len(t, rep.Plans, 1)
	p := rep.Plans[0]
	require.InDelta(t, 20/p.CostPerTask, p.LossTasks, 1e-6)
	require.Greater(t, p.LossShare, 0.0)
	code, _, _ = runCLI("price", "chat", "--cut", "gpu=-5%")
	require.Equal(t, 2, code)
}

// A cut of a price a class's list does not set (output on a per-task
// list) printed the list's whole analysis again under "after output=-50%",
// as if it had been priced: it says the cut changes nothing there.
func TestPriceCutOfAPriceTheListLacks(t *testing.T) {
	code, stdout, stderr := runCLI("price", "mixed-platform", "--duration", "2m", "--cut", "output=-50%")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "chat after output=-50%: revenue")
	require.Contains(t, stdout, "coding after output=-50%: unchanged (its list sets no price the cut changes)")
	require.NotContains(t, stdout, "coding after output=-50%: revenue")
	code, stdout, stderr = runCLI("price", "mixed-platform", "--duration", "2m", "--cut", "output=-50%", "--format", "json")
	require.Equal(t, 0, code, stderr)
	var rep priceReport
	require.NoError(t, json.Unmarshal([]byte(stdout), &rep))
	for _, c := range rep.Classes {
		require.Equal(t, c.Class == "chat", c.Cut != nil, c.Class)
		require.Equal(t, c.Class != "chat", c.CutUnchanged, c.Class)
	}
}

// price SCENARIO --duration used to keep the scenario's whole warm-up (chat:
// 30 s of a 1 m run) while sim cut it to 10%: the same point priced over
// two different windows. price now takes sim's warm-up rule.
func TestPriceWindowMatchesSim(t *testing.T) {
	code, simOut, stderr := runCLI("sim", "chat", "--duration", "1m", "--format", "json")
	require.Equal(t, 0, code, stderr)
	var r results.Result
	require.NoError(t, json.Unmarshal([]byte(simOut), &r))
	code, priceOut, stderr := runCLI("price", "chat", "--duration", "1m")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, priceOut, fmt.Sprintf("cost over %s s: %s GPU-hours", fmtF(r.Cost.WindowS), fmtF(r.Cost.GPUHours)))
}

// cost --format json wrote "cost_usd": 1.9344650799999998 for 0.719132
// GPU-hours at $2.69 (its own analysis beside it: "cost": 1.93446508):
// the head figures are rounded to 12 significant digits as the rest.
func TestCostJSONHeadHasNoFloatNoise(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(pf, []byte("default: {input_per_mtok: 0.27, cached_input_per_mtok: 0.07, output_per_mtok: 1.1}\n"), 0o644))
	code, stdout, stderr := runCLI("cost", "--gpu-hours", "h100=0.719132,h20=0.1", "--gpu-price", "h100=2.69,h20=1.1", "--input-tokens", "697797",
		"--cached-tokens", "228016", "--output-tokens", "133620", "--price-file", pf, "--format", "json")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, `"cost_usd": 2.04446508,`)
	require.Contains(t, stdout, `"gpu_hours": 0.819132,`)
	code, stdout, stderr = runCLI("cost", "--gpu-hours", "0.719132", "--gpu-price", "h100=2.69", "--input-tokens", "697797",
		"--cached-tokens", "228016", "--output-tokens", "133620", "--price-file", pf, "--format", "json")
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, `"cost_usd": 1.93446508,`)
}

// TestCostReproducesDeepSeeksPublishedDay: DeepSeek's "Day 6" overview
// (open-infra-index, 2025-03-01; docs/economics.md) published one day of
// its V3/R1 service: 226.75 H800 nodes on average at $2 per GPU-hour =
// $87,072; 608B input tokens of which 342B hit the cache, 168B output;
// at R1 list prices (0.55 / 0.14 / 2.19 per Mtok) $562,027 of revenue, a
// "cost profit margin" of 545%. cost, from those totals: 266,000 x 0.55 +
// 342,000 x 0.14 + 168,000 x 2.19 = 562,100 (+0.013%: the published
// token counts are rounded to billions) and markup 545.56%.
func TestCostReproducesDeepSeeksPublishedDay(t *testing.T) {
	// The price list docs/economics.md's command names (R1's list prices).
	pf := "../../docs/examples/deepseek-r1-prices.yaml"
	code, stdout, stderr := runCLI("cost", "--gpu-hours", fmt.Sprint(226.75*8*24), "--gpu-price", "h800=2", "--input-tokens", "608e9",
		"--cached-tokens", "342e9", "--output-tokens", "168e9", "--price-file", pf, "--format", "json")
	require.Equal(t, 0, code, stderr)
	var got struct {
		CostUSD   float64 `json:"cost_usd"`
		Revenue   float64 `json:"revenue"`
		MarkupPct float64 `json:"markup_pct"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	require.Equal(t, 87072.0, got.CostUSD)
	require.InDelta(t, 562100, got.Revenue, 1e-6)
	require.InDelta(t, 562027, got.Revenue, 562027*0.0002, "published revenue")
	require.InDelta(t, 545, got.MarkupPct, 1, "published 545%")
}

// cost --gpu-hours h100=10,h20=5 --gpu-price h100=2 priced the h20 hours
// at the catalog's $1.20 (an unverified list price, docs/catalog.md) and
// said only "mean $1.73333/GPU-hour": which price came from where was not
// shown. The text and the JSON (by_type) now give each type's hours,
// price and its source, as sim's pool table does.
func TestCostSaysEachGPUTypesPriceAndSource(t *testing.T) {
	pf := filepath.Join(t.TempDir(), "p.yaml")
	require.NoError(t, os.WriteFile(pf, []byte("default: {input_per_mtok: 0.27, output_per_mtok: 1.1}\n"), 0o644))
	args := []string{"cost", "--gpu-hours", "h100=10,h20=5", "--gpu-price", "h100=2", "--input-tokens", "1e9", "--output-tokens", "1e7", "--price-file", pf}
	code, stdout, stderr := runCLI(args...)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, "cost: 15 GPU-hours, $26 (mean $1.73333/GPU-hour): h100 10 GPU-h at $2/GPU-hour (--gpu-price), h20 5 GPU-h at $1.2/GPU-hour (catalog)\n")
	code, stdout, stderr = runCLI(append(args, "--format", "json")...)
	require.Equal(t, 0, code, stderr)
	var got struct {
		ByType []map[string]any `json:"by_type"`
	}
	require.NoError(t, json.Unmarshal([]byte(stdout), &got))
	require.Equal(t, []map[string]any{
		{"gpu": "h100", "gpu_hours": 10.0, "usd_per_gpu_hour": 2.0, "usd": 20.0, "price_source": "override"},
		{"gpu": "h20", "gpu_hours": 5.0, "usd_per_gpu_hour": 1.2, "usd": 6.0, "price_source": "catalog"},
	}, got.ByType)
}

package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/slo"

	"github.com/fleetbench/fleetbench/results"
)

// writeRun writes a result (with a priced-able fleet) and its records for
// 300 chat requests; slow multiplies TTFT, as a crafted regression.
func writeRun(t *testing.T, dir, name string, slow float64) (result, records string) {
	t.Helper()
	classes := []results.ClassInfo{{Name: "chat", Kind: "chat", SLO: slo.Spec{TTFTms: &slo.Targets{P99: 500}}}}
	s := results.NewSummary(classes, 0)
	records = filepath.Join(dir, name+".jsonl")
	rf, err := os.Create(records)
	require.NoError(t, err)
	rw := results.NewRecordWriter(rf)
	for i := range 300 {
		at := int64(i) * 200e6
		ttft := int64(float64(40+(i*37)%160) * slow * 1e6)
		r := &results.Record{ID: uint64(i), Class: "chat", Kind: "chat", Intended: at, Sent: at, FirstToken: at + ttft,
			LastToken: at + ttft + 99*20e6, InputTokens: 1000, CachedTokens: 400, OutputTokens: 100, TaskDone: true, TaskStart: at}
		s.Add(r)
		require.NoError(t, rw.Write(r))
	}
	require.NoError(t, rw.Flush())
	require.NoError(t, rf.Close())
	res := s.Result(results.Meta{Backend: "sim", Scenario: results.ScenarioInfo{Name: "demo", Seed: 1},
		Fleet: &results.FleetInfo{Spec: "1P1D", GPUs: 2, Pools: []results.PoolInfo{
			{Role: "prefill", Instances: 1, GPU: "h100", GPUsPerInstance: 1, GPUs: 1, USDPerGPUHour: 2},
			{Role: "decode", Instances: 1, GPU: "h100", GPUsPerInstance: 1, GPUs: 1, USDPerGPUHour: 2}}}})
	require.NoError(t, results.ApplyCost(res, results.CostInputs{}))
	result = filepath.Join(dir, name+".json")
	require.NoError(t, writeFileAtomic(result, resultJSON(res)))
	return result, records
}

func TestCompareExitCodes(t *testing.T) {
	dir := t.TempDir()
	base, baseRecs := writeRun(t, dir, "base", 1)
	same, sameRecs := writeRun(t, dir, "same", 1)
	slow, slowRecs := writeRun(t, dir, "slow", 1.5)
	gates := "ttft.p99>+10%,cache_hit_rate<-0.02,cost.per_task_usd>+5%"

	run := func(args ...string) (int, string, string) {
		var out, errb bytes.Buffer
		code := execute(append([]string{"compare"}, args...), &out, &errb)
		return code, out.String(), errb.String()
	}
	code, out, errs := run(base, same, "--fail-on", gates)
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "PASS: all 6 gate checks passed")

	code, out, errs = run(base, slow, "--fail-on", gates)
	require.Equal(t, 1, code)
	require.Contains(t, out, "FAIL  ttft.p99>+10%")
	require.Contains(t, errs, "2 gate check(s) failed") // chat and total

	code, _, errs = run(base, slow)
	require.Equal(t, 0, code, "no gates: report only: %s", errs)

	code, out, errs = run(base, slow, "--format", "markdown", "--records-base", baseRecs, "--records-new", slowRecs, "--fail-on", "chat:ttft.p50>+10%")
	require.Equal(t, 1, code, errs)
	require.Contains(t, out, "## fleetbench compare")
	require.Contains(t, out, "❌")
	require.Regexp(t, `\| ttft\.p50 ms \| [0-9.]+ \| [0-9.]+ \| \+[0-9.]+% \| p<0\.001 n=300\+300 \|`, out)

	code, out, errs = run(base, same, "--format", "json", "--records-base", baseRecs, "--records-new", sameRecs)
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, `"significant": false`)
}

func TestCompareBadInputExits2(t *testing.T) {
	dir := t.TempDir()
	base, recs := writeRun(t, dir, "base", 1)
	junk := filepath.Join(dir, "junk.jsonl")
	require.NoError(t, os.WriteFile(junk, []byte("{nope\n"), 0o644))
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"bad gate":       {[]string{base, base, "--fail-on", "ttft.p99=+10%"}, "no > or <"},
		"unknown metric": {[]string{base, base, "--fail-on", "latency>1"}, "unknown metric"},
		"unknown class":  {[]string{base, base, "--fail-on", "video:e2e.p99>1%"}, `no class "video"`},
		"absent metric":  {[]string{base, base, "--fail-on", "cost.margin_pct<-1"}, "neither result"},
		"missing file":   {[]string{base, filepath.Join(dir, "nope.json")}, "nope.json"},
		"one records":    {[]string{base, base, "--records-base", recs}, "go together"},
		"bad records":    {[]string{base, base, "--records-base", recs, "--records-new", junk}, "junk.jsonl:1"},
		"bad format":     {[]string{base, base, "--format", "html"}, `--format "html"`},
		"bad alpha":      {[]string{base, base, "--alpha", "2"}, "--alpha"},
		"one arg":        {[]string{base}, "accepts 2 arg"},
	} {
		t.Run(name, func(t *testing.T) {
			var out, errb bytes.Buffer
			require.Equal(t, 2, execute(append([]string{"compare"}, tc.args...), &out, &errb), out.String())
			require.Contains(t, errb.String(), tc.want)
		})
	}
}

func TestReportReprices(t *testing.T) {
	dir := t.TempDir()
	base, _ := writeRun(t, dir, "base", 1)
	prices := filepath.Join(dir, "prices.yaml")
	require.NoError(t, os.WriteFile(prices, []byte("default: {input_per_mtok: 1, cached_input_per_mtok: 0.1, output_per_mtok: 4}\n"), 0o644))
	var out, errb bytes.Buffer
	require.Equal(t, 0, execute([]string{"report", base, "--gpu-price", "h100=4", "--price-file", prices}, &out, &errb), errb.String())
	require.Contains(t, out.String(), "override")
	require.Contains(t, out.String(), "break-even /Mtok output ¤")
	// 2 GPUs x window x $4/h.
	r, err := results.ReadFile(base)
	require.NoError(t, err)
	want := 2 * r.Window.DurationS / 3600 * 4
	out.Reset()
	require.Equal(t, 0, execute([]string{"report", base, "--gpu-price", "h100=4", "--format", "json"}, &out, &errb), errb.String())
	require.Contains(t, out.String(), `"price_source": "override"`)
	back, err := results.Decode(strings.NewReader(out.String()), "out.json")
	require.NoError(t, err)
	require.InDelta(t, want, back.Cost.USD, 1e-6)

	for _, args := range [][]string{
		{"report", base, "--gpu-price", "h100=cheap"},
		{"report", base, "--price-file", filepath.Join(dir, "none.yaml")},
		{"report", writeShard(t, dir, "nofleet.json", 0, 20, "demo"), "--gpu-price", "h100=1"},
	} {
		errb.Reset()
		require.Equal(t, 2, execute(args, &out, &errb), "%v", args)
		require.NotEmpty(t, errb.String())
	}
}

func TestSimCostFlags(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 2, execute([]string{"sim", "chat", "--requests", "20", "--gpu-price", "h100"}, &out, &errb))
	require.Contains(t, errb.String(), "--gpu-price")
	out.Reset()
	errb.Reset()
	require.Equal(t, 0, execute([]string{"sim", "chat", "--requests", "200", "--gpu-price", "h100=1.5", "--format", "json"}, &out, &errb), errb.String())
	r, err := results.Decode(strings.NewReader(out.String()), "sim.json")
	require.NoError(t, err)
	require.NotNil(t, r.Cost)
	for _, p := range r.Cost.ByPool {
		require.Equal(t, 1.5, p.USDPerGPUHour)
		require.Equal(t, results.PriceOverride, p.PriceSource)
	}
	require.InDelta(t, r.Cost.GPUHours*1.5, r.Cost.USD, 1e-5)
	require.Positive(t, r.Classes["chat"].Cost.PerTaskUSD)
	require.NotNil(t, r.Classes["chat"].Cost.Revenue, "the chat scenario has a price list")
}

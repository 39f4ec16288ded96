package scale

import (
	"bytes"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/results/htmlreport"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// minimize finds the threshold of any monotone predicate, from any guess.
func TestMinimize(t *testing.T) {
	for _, tc := range []struct{ need, lo, guess, max int }{
		{1, 1, 1, 100}, {7, 1, 1, 100}, {64, 1, 1, 100}, {65, 1, 1, 100}, {40, 10, 30, 4096},
		{30, 10, 30, 4096}, {11, 10, 30, 4096}, {4096, 1, 1, 4096}, {50, 50, 50, 100},
	} {
		probes := 0
		n, ok := minimize(tc.lo, tc.guess, tc.max, func(ns []int) []bool {
			out := make([]bool, len(ns))
			for i, n := range ns {
				probes++
				out[i] = n >= tc.need
			}
			return out
		})
		require.True(t, ok, "%+v", tc)
		require.Equal(t, tc.need, n, "%+v", tc)
		require.LessOrEqual(t, probes, 40, "%+v", tc)
	}
	_, ok := minimize(1, 1, 8, func(ns []int) []bool { return make([]bool, len(ns)) })
	require.False(t, ok, "nothing passes")
}

// The four factors multiply back to GPUs per request/s exactly, and the
// decomposition's contributions add up to the total change.
func TestDecompositionIsAnIdentity(t *testing.T) {
	a := Factors{RequestsPerS: 5, TokensPerRequest: 1000, BusyGPUSecondsPerToken: 0.004, BindingUtilization: 0.5, Balance: 0.8, HitRate: 0.3}
	b := Factors{RequestsPerS: 500, TokensPerRequest: 800, BusyGPUSecondsPerToken: 0.003, BindingUtilization: 0.8, Balance: 0.95, HitRate: 0.5}
	for _, f := range []*Factors{&a, &b} {
		f.GPUsPerRPS = f.TokensPerRequest * f.BusyGPUSecondsPerToken / (f.BindingUtilization * f.Balance)
	}
	// 1000 x 0.004 / 0.4 = 10 GPUs per req/s; 800 x 0.003 / 0.76 = 3.158.
	require.InDelta(t, 10, a.GPUsPerRPS, 1e-12)
	la := Level{Traffic: 1, Factors: &a, GPUs: 50, Metrics: map[string]float64{"usd_per_task": 0.01}}
	lb := Level{Traffic: 100, Factors: &b, GPUs: 1579, Metrics: map[string]float64{"usd_per_task": 0.005}}
	c := between(&la, &lb)
	R := b.GPUsPerRPS / a.GPUsPerRPS
	require.InDelta(t, (R-1)*100, c.Total, 1e-9)
	require.InDelta(t, c.Total, c.CacheReuse+c.Batching+c.Utilization+c.PDBalance, 1e-9)
	// Each share is its factor's log-share of the total.
	require.InDelta(t, math.Log(0.8)/math.Log(R)*(R-1)*100, c.CacheReuse, 1e-9)
	require.Less(t, c.Utilization, 0.0, "a hotter binding pool saves GPUs")
	require.InDelta(t, -50, *c.CostPerTask, 1e-9)

	curve := &Curve{Levels: []Level{la, lb}}
	Decompose(curve)
	require.False(t, curve.Flat)
	require.NotNil(t, curve.Levels[1].Change)
	require.InDelta(t, 5000, curve.Levels[1].LinearGPUs, 1e-9)
	require.Contains(t, curve.Notes[0], "mostly from")

	// More tokens computed per request outweighing batching: a diseconomy,
	// explained by its largest part and what offsets it.
	c2 := b
	c2.TokensPerRequest, c2.BusyGPUSecondsPerToken = 1600, 0.0032
	c2.BindingUtilization, c2.Balance = 0.5, 0.8
	c2.GPUsPerRPS = c2.TokensPerRequest * c2.BusyGPUSecondsPerToken / (c2.BindingUtilization * c2.Balance)
	dis := &Curve{Levels: []Level{la, {Traffic: 100, Factors: &c2, GPUs: 6400, Metrics: map[string]float64{"usd_per_task": 0.0128}}}}
	Decompose(dis)
	require.Greater(t, dis.Overall.Total, 0.0)
	require.Contains(t, dis.Notes[0], "extra GPUs come mostly from cache reuse")
	require.Contains(t, dis.Notes[0], "batching offsets")

	// Same factors at both levels: flat, and said so.
	flat := &Curve{Levels: []Level{la, {Traffic: 10, Factors: &a, GPUs: 500, Metrics: map[string]float64{"usd_per_task": 0.0101}}}}
	Decompose(flat)
	require.True(t, flat.Flat)
	require.True(t, strings.HasPrefix(flat.Notes[0], "flat:"), flat.Notes[0])
}

// A real search on chat, short: the answer at each level meets every SLO
// and the next smaller colocated fleet probed does not; the curve is the
// same whatever the parallelism; FactorsOf reproduces GPUs per req/s.
func TestChatCurve(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates")
	}
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	run := func(jobs int) *Curve {
		s := &Searcher{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: jobs, Cost: &results.CostInputs{},
			Workload: scenarios.WorkloadOptions{Duration: 90 * time.Second}}
		c, err := s.Run(Spec{Levels: []float64{1, 4}, Kinds: []string{KindColocated}})
		require.NoError(t, err)
		return c
	}
	c := run(2)
	require.Len(t, c.Levels, 2)
	for _, l := range c.Levels {
		require.NotEmpty(t, l.Fleet, "level %gx: %s", l.Traffic, l.Note)
		var n int
		_, err := fmtSscan(l.Fleet, &n)
		require.NoError(t, err)
		for _, p := range l.Probes {
			if p.Fleet == l.Fleet {
				require.True(t, p.MeetsSLO)
			}
			if p.GPUs < l.GPUs {
				require.False(t, p.MeetsSLO, "%s is smaller and meets the SLO", p.Fleet)
			}
		}
		f := l.Factors
		require.NotNil(t, f)
		require.InEpsilon(t, f.GPUsPerRPS, f.TokensPerRequest*f.BusyGPUSecondsPerToken/(f.BindingUtilization*f.Balance), 1e-9)
		require.InEpsilon(t, float64(l.GPUs)/f.RequestsPerS*1000, l.GPUsPer1kRPS, 1e-9)
	}
	var a, b bytes.Buffer
	require.NoError(t, WriteJSON(&a, c))
	require.NoError(t, WriteJSON(&b, run(1)))
	require.Equal(t, a.String(), b.String(), "the curve does not depend on -j")
	var tbl, csvOut bytes.Buffer
	require.NoError(t, Render(&tbl, c, "table"))
	require.Contains(t, tbl.String(), "GPUs/1k rps")
	require.NoError(t, Render(&csvOut, c, "csv"))
	require.Equal(t, 3, strings.Count(csvOut.String(), "\n"), "header + one row per level")
	sw := AsSweep(c)
	require.Len(t, sw.Points, 2)
	require.NoError(t, sw.Validate())
	var page bytes.Buffer
	require.NoError(t, htmlreport.Render(&page, htmlreport.Input{Sweeps: []htmlreport.SweepRun{{Label: "scale", Sweep: sw}}}))
	require.Contains(t, page.String(), "GPUs per unit of traffic", "the HTML report draws the curve")
	require.Contains(t, page.String(), "Where the change comes from", "and the decomposition")
	require.NotContains(t, page.String(), "Pareto frontier", "levels are no Pareto candidates")
}

func fmtSscan(fleet string, n *int) (int, error) {
	return fmt.Sscanf(fleet, "%dC", n)
}

// Shards search their levels cold, and merged they give the same fleets
// and decomposition as one run.
func TestShardsMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("simulates")
	}
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	s := &Searcher{Scenario: sc, Base: sim.ConfigFromScenario(sc), Jobs: 2, Cost: &results.CostInputs{},
		Workload: scenarios.WorkloadOptions{Duration: 90 * time.Second}}
	spec := Spec{Levels: []float64{1, 4}, Kinds: []string{KindColocated}}
	whole, err := s.Run(spec)
	require.NoError(t, err)
	var parts []*Curve
	for i := range 2 {
		spec.ShardI, spec.ShardN = i, 2
		c, err := s.Run(spec)
		require.NoError(t, err)
		require.Len(t, c.Levels, 1)
		parts = append(parts, c)
	}
	m, err := Merge(parts[1], parts[0])
	require.NoError(t, err)
	require.Len(t, m.Levels, 2)
	for i := range m.Levels {
		require.Equal(t, whole.Levels[i].Fleet, m.Levels[i].Fleet)
		require.Equal(t, whole.Levels[i].GPUsPer1kRPS, m.Levels[i].GPUsPer1kRPS)
	}
	require.Equal(t, whole.Levels[1].Change, m.Levels[1].Change)
	_, err = Merge(parts[0], parts[0])
	require.Error(t, err, "a shard twice")
	_, err = Merge(whole)
	require.Error(t, err, "not a shard")
}

// A fake fleet model for the search: colocated n passes when n >= needC;
// a split passes when p >= needP and d >= needD, and a failed split says
// which SLO missed (TTFT for too few prefill, TPOT for too few decode).
func fakeModel(needC, needP, needD int, count *[]string) func(string, float64) probeOut {
	return func(fleet string, level float64) probeOut {
		// The need grows with the traffic (given at 10x), with an economy
		// of scale: at 1x it is a seventh of it.
		needC, needP, needD := needC, needP, needD
		if level < 10 {
			needC, needP, needD = max(1, needC/7), max(1, needP/7), max(1, needD/7)
		}
		*count = append(*count, fleet)
		o := probeOut{pt: sweepfile.Point{Fleet: fleet, Metrics: map[string]float64{"usd_per_task": 1}}}
		var n, p, d int
		if _, err := fmt.Sscanf(fleet, "%dC", &n); err == nil && !strings.Contains(fleet, "P") {
			o.pass = n >= needC
			o.pt.GPUs = 4 * n
			o.needP, o.needD = !o.pass, !o.pass
			return o
		}
		_, _ = fmt.Sscanf(fleet, "%dP%dD", &p, &d)
		o.pt.GPUs = 4 * (p + d)
		o.pass = p >= needP && d >= needD
		o.needP, o.needD = p < needP, d < needD
		if o.needP {
			o.worstTTFT = 1 + float64(needP-p)/float64(needP)
		}
		return o
	}
}

// The P:D search finds the smallest split from any previous answer, grows
// only the pool that misses, never simulates a split with more GPUs than
// the colocated answer, and gives up at once when no split can beat it.
func TestPDSearch(t *testing.T) {
	sc, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	for _, tc := range []struct {
		name                string
		needC, needP, needD int
		kinds               []string
		wantFleet           string
		maxProbesPD         int
	}{
		{"pd wins", 60, 31, 16, []string{KindColocated, KindPD}, "31P16D", 16},
		{"colocated wins, pd capped", 20, 15, 10, []string{KindColocated, KindPD}, "20C", 8},
		{"prefill-heavy", 100, 70, 3, []string{KindColocated, KindPD}, "70P3D", 20},
		{"decode-heavy", 100, 2, 60, []string{KindColocated, KindPD}, "2P60D", 20},
		{"pd only", 0, 40, 40, []string{KindPD}, "40P40D", 20},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var probes []string
			s := &Searcher{Scenario: sc, Base: sim.Config{TP: 4}, Jobs: 2, fake: fakeModel(tc.needC, tc.needP, tc.needD, &probes)}
			if tc.needC == 0 {
				s.fake = fakeModel(1<<20, tc.needP, tc.needD, &probes)
			}
			c, err := s.Run(Spec{Levels: []float64{1, 10}, Kinds: tc.kinds, MaxInstances: 4096})
			require.NoError(t, err)
			last := c.Levels[len(c.Levels)-1]
			require.Equal(t, tc.wantFleet, last.Fleet)
			pd := 0
			for _, p := range last.Probes {
				if strings.Contains(p.Fleet, "P") {
					pd++
					if tc.needC > 0 {
						require.LessOrEqual(t, p.GPUs, 4*tc.needC, "%s has more GPUs than the colocated answer", p.Fleet)
					}
				}
			}
			t.Logf("%d P:D probes at 10x, %d in all: %v", pd, len(probes), probes)
			require.LessOrEqual(t, pd, tc.maxProbesPD, "P:D probes at the last level: %v", probes)
		})
	}
}

// scale on a video-only scenario reported "no fleet up to 4096 instances
// per pool meets every SLO" at every level: no probe had run (each LLM pool
// it tried was refused, the scenario has no LLM class and no model). It
// refuses the scenario, and a level whose every probe failed to run says
// so instead of a search result.
func TestScaleSaysWhenNoProbeRan(t *testing.T) {
	video, err := scenarios.Resolve("video-burst")
	require.NoError(t, err)
	s := &Searcher{Scenario: video, Base: sim.ConfigFromScenario(video), Jobs: 1}
	_, err = s.Run(Spec{Levels: []float64{1}})
	require.ErrorContains(t, err, `scenario "video-burst" has no LLM class`)

	chat, err := scenarios.Resolve("chat")
	require.NoError(t, err)
	s = &Searcher{Scenario: chat, Base: sim.Config{TP: 4}, Jobs: 1, fake: func(fleet string, _ float64) probeOut {
		return probeOut{pt: sweepfile.Point{Fleet: fleet, Error: "configuration: no such GPU"}}
	}}
	_, err = s.Run(Spec{Levels: []float64{1}, MaxInstances: 64})
	require.ErrorContains(t, err, "no probe at 1x could run")
	require.ErrorContains(t, err, "configuration: no such GPU")
}

// The scale table's money columns never write an exponent (7e-05 beside
// 0.00014 reads as a misprint).
func TestMoneyNoExponent(t *testing.T) {
	for v, want := range map[float64]string{7e-05: "0.00007", 0.00014: "0.00014", 0.0123: "0.0123", 2.5: "2.50"} {
		require.Equal(t, want, money(v), "%v", v)
	}
}

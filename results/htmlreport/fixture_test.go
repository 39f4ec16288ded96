package htmlreport

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/slo"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Synthetic, deterministic inputs for the tests: a "sim" and an "endpoint"
// run of one three-class scenario (the endpoint a little slower, so deltas
// and a missed SLO show), and a min-fleet sweep.

var fixtureClasses = []results.ClassInfo{
	{Name: "chat", Kind: "chat", SLO: slo.Spec{TTFTms: &slo.Targets{P50: 200, P99: 300}, TPOTms: &slo.Targets{P99: 40}}},
	{Name: "coding", Kind: "agent", SLO: slo.Spec{TTFTms: &slo.Targets{P99: 3000}, CompletionS: &slo.Targets{P90: 400}}},
	{Name: "t2v", Kind: "video", SLO: slo.Spec{QueueS: &slo.Targets{P99: 60}}},
}

// fixtureResult simulates n requests; slow stretches latencies (1 = sim).
func fixtureResult(backend string, n int, slow float64, seed uint64) *results.Result {
	rng := rand.New(rand.NewPCG(seed, 11))
	s := results.NewSummary(fixtureClasses, 10e9)
	stretch := func(v int64) int64 { return int64(float64(v) * slow) }
	for i := range n {
		at := int64(i) * 40e6 // 25 req/s over n/25 s
		r := &results.Record{ID: uint64(i), TaskID: uint64(i), Intended: at, Sent: at + rng.Int64N(1e6), TaskStart: at, TaskDone: true}
		switch {
		case i%10 == 9:
			r.Class, r.Kind = "t2v", "video"
			r.QueueNs = stretch(rng.Int64N(40e9))
			r.FirstToken = r.Sent + r.QueueNs
			r.LastToken = r.FirstToken + 60e9 + rng.Int64N(30e9)
			r.VideoSeconds = 5
		case i%3 == 1:
			r.Class, r.Kind = "coding", "agent"
			r.TaskID = uint64(i / 30)
			r.TaskStart = at - int64(i%30)*40e6 // the task began with request 30*(i/30)
			r.TaskDone = i%30 == 28
			r.Turn = 1 + i%30/3
			r.InputTokens = 20000 + rng.IntN(30000)
			r.CachedTokens = r.InputTokens * 9 / 10
			r.OutputTokens = 100 + rng.IntN(400)
			r.FirstToken = r.Sent + stretch(150e6+int64(rng.ExpFloat64()*300e6))
			r.LastToken = r.FirstToken + int64(r.OutputTokens)*stretch(17e6+rng.Int64N(3e6))
		default:
			r.Class, r.Kind = "chat", "chat"
			r.InputTokens = 300 + rng.IntN(3000)
			r.CachedTokens = rng.IntN(r.InputTokens / 2)
			r.OutputTokens = 2 + rng.IntN(500)
			// Log-normal TTFT around 60 ms with a tail.
			r.FirstToken = r.Sent + stretch(int64(60e6*math.Exp(0.6*rng.NormFloat64())))
			r.LastToken = r.FirstToken + int64(r.OutputTokens-1)*stretch(14e6+rng.Int64N(4e6))
		}
		if i%97 == 13 {
			r.ErrorClass, r.Error, r.FirstToken, r.LastToken = "http_5xx", "overloaded", 0, 0
		}
		if r.Kind == "chat" && r.OK() && r.OutputTokens > 1 {
			r.ITL = slices.Repeat([]int64{(r.LastToken - r.FirstToken) / int64(r.OutputTokens-1)}, r.OutputTokens-1)
		}
		s.Add(r)
		if i%5 == 0 {
			s.Observe(at, "waiting", float64(rng.IntN(int(4*slow)+1)))
			s.Observe(at, "running", float64(20+rng.IntN(30)))
			s.Observe(at, "kv_usage", 0.2+0.5*rng.Float64())
		}
	}
	fleet := &results.FleetInfo{Spec: "2P4D+4V", Mode: "disaggregated", Model: "llama-3.1-70b", GPUs: 56, Routing: "cache-aware", Pools: []results.PoolInfo{
		{Role: "prefill", Instances: 2, GPU: "h100", GPUsPerInstance: 4, GPUs: 8, USDPerGPUHour: 2.69},
		{Role: "decode", Instances: 4, GPU: "h100", GPUsPerInstance: 4, GPUs: 16, USDPerGPUHour: 2.69},
		{Role: "video", Instances: 4, GPU: "h100", GPUsPerInstance: 8, GPUs: 32, USDPerGPUHour: 2.69},
	}}
	return s.Result(results.Meta{Backend: backend, Scenario: results.ScenarioInfo{Name: "mixed-platform", Seed: seed, Hash: "sha256:feed"}, Fleet: fleet})
}

// fixtureSweep is a min-fleet search over P and D counts: cost rises with
// the fleet, latency and attainment improve, and 3P6D (36 GPUs) is the
// smallest fleet meeting the SLOs (4P4D, 32 GPUs, is not).
func fixtureSweep() *sweepfile.Sweep {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: results.ScenarioInfo{Name: "chat", Seed: 1, Hash: "sha256:beef"}, Search: "min-fleet",
		Notes: []string{"fleets ordered by GPU count, then cost"}}
	idx := 0
	for p := 1; p <= 4; p++ {
		for _, d := range []int{p, 2 * p} {
			gpus := 4 * (p + d)
			load := 13 / float64(p+2*d) // offered load per unit of capacity (decode-bound)
			over := max(load-0.7, 0)
			ttft := 80 * (1 + 20*math.Pow(over, 1.5))
			att := math.Max(0, math.Min(1, 1-0.5*max(load-0.85, 0)))
			pt := sweepfile.Point{Index: idx, Fleet: fmt.Sprintf("%dP%dD", p, d), GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1, GPUs: gpus,
				MeetsSLO: ttft <= 300 && att >= 0.99,
				Metrics: map[string]float64{
					"ttft_p99_ms": roundTo(ttft, 3), "tpot_p99_ms": roundTo(12+10*load, 3), "e2e_p99_ms": roundTo(4000+900*load, 3),
					"slo_attainment": roundTo(att, 4), "usd_per_task": roundTo(float64(gpus)*2.69/3600/5.5, 6),
					"usd_per_hour": roundTo(float64(gpus)*2.69, 2), "cache_hit_rate": 0.34, "utilization": roundTo(math.Min(0.95, 0.7*load), 4),
				}}
			s.Points = append(s.Points, pt)
			idx++
		}
	}
	s.Points = append(s.Points, sweepfile.Point{Index: idx, Fleet: "0P2D", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 1, Error: "fleet needs at least one prefill instance"})
	for i := range s.Points {
		if s.Points[i].Fleet == "3P6D" {
			a := s.Points[i]
			s.Answer = &a
		}
	}
	return s
}

// fixtureScale is a scale curve (traffic and fleet ×1 … ×1000).
func fixtureScale() *sweepfile.Sweep {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: results.ScenarioInfo{Name: "chat", Seed: 1}, Search: "scale"}
	for i, k := range []float64{1, 10, 100, 1000} {
		hit := 0.34 + 0.1*math.Log10(k)
		s.Points = append(s.Points, sweepfile.Point{Index: i, Fleet: fmt.Sprintf("%dP%dD", int(2*k), int(4*k)), GPU: "h100", TP: 4, Routing: "cache-aware",
			RateScale: k, Scale: k, GPUs: int(24 * k), MeetsSLO: true, Metrics: map[string]float64{
				"cache_hit_rate": roundTo(hit, 4), "utilization": roundTo(0.5+0.05*math.Log10(k), 4), "usd_per_task": roundTo(0.0033*(1-0.2*math.Log10(k)/3), 6),
				"ttft_p99_ms": 200, "slo_attainment": 1}})
	}
	return s
}

func fixtureInput() Input {
	return Input{
		Runs: []Run{
			{Label: "sim", Result: fixtureResult("sim", 3000, 1, 1)},
			{Label: "endpoint", Result: fixtureResult("endpoint", 3000, 1.35, 2)},
		},
		Sweeps: []SweepRun{{Label: "min-fleet", Sweep: fixtureSweep()}, {Label: "scale", Sweep: fixtureScale()}},
	}
}

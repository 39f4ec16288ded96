package results

import (
	"math/rand/v2"
	"slices"

	"github.com/fleetbench/fleetbench/slo"
)

// testClasses are the classes of the synthetic run used across tests.
var testClasses = []ClassInfo{
	{Name: "chat", Kind: "chat", SLO: slo.Spec{TTFTms: &slo.Targets{P50: 300, P99: 2000}, TPOTms: &slo.Targets{P99: 60}}},
	{Name: "agent", Kind: "agent", SLO: slo.Spec{E2Ems: &slo.Targets{P99: 30000}, CompletionS: &slo.Targets{P90: 120}}},
	{Name: "video", Kind: "video", SLO: slo.Spec{QueueS: &slo.Targets{P99: 60}, CompletionS: &slo.Targets{P99: 600}}},
}

// synthRecords builds n deterministic records across the test classes,
// with some errors, warm-up records and per-request ITL.
func synthRecords(n int, seed uint64) []Record {
	rng := rand.New(rand.NewPCG(seed, 7))
	out := make([]Record, 0, n)
	for i := range n {
		intended := int64(i) * 50_000_000 // 20 req/s
		sent := intended + rng.Int64N(2_000_000)
		r := Record{ID: uint64(i), TaskID: uint64(i), Intended: intended, Sent: sent, TaskStart: intended, TaskDone: true}
		switch i % 3 {
		case 0:
			r.Class, r.Kind = "chat", "chat"
			r.InputTokens = 500 + rng.IntN(2000)
			r.CachedTokens = rng.IntN(r.InputTokens)
			r.OutputTokens = 1 + rng.IntN(300)
			r.FirstToken = sent + 20_000_000 + rng.Int64N(500_000_000)
			r.LastToken = r.FirstToken + int64(r.OutputTokens-1)*(10_000_000+rng.Int64N(60_000_000))
			if i%7 == 0 && r.OutputTokens > 1 {
				gap := (r.LastToken - r.FirstToken) / int64(r.OutputTokens-1)
				for range r.OutputTokens - 1 {
					r.ITL = append(r.ITL, gap)
				}
			}
		case 1:
			r.Class, r.Kind = "agent", "agent"
			r.TaskStart = max(0, intended-rng.Int64N(60e9))
			r.Turn = 1 + i%5
			r.TaskDone = i%4 == 1
			r.InputTokens = 5000 + rng.IntN(20000)
			r.CachedTokens = r.InputTokens * 8 / 10
			r.OutputTokens = 50 + rng.IntN(500)
			r.FirstToken = sent + 100_000_000 + rng.Int64N(2e9)
			r.LastToken = r.FirstToken + int64(r.OutputTokens)*25_000_000
		case 2:
			r.Class, r.Kind = "video", "video"
			r.QueueNs = rng.Int64N(90e9)
			r.FirstToken = sent + r.QueueNs
			r.LastToken = r.FirstToken + 200e9 + rng.Int64N(200e9)
			r.VideoSeconds = 5
		}
		if i%17 == 5 {
			r.ErrorClass, r.Error, r.Status = "http_5xx", "upstream overloaded", 503
			r.LastToken, r.FirstToken = 0, 0
		}
		if i%29 == 3 {
			r.ErrorClass, r.Error = "timeout", "deadline exceeded"
		}
		out = append(out, r)
	}
	return out
}

// synthSummary feeds records into a summary with a 2 s warm-up, plus ITL
// and gauge samples the way the simulator would.
func synthSummary(recs []Record) *Summary {
	s := NewSummary(testClasses, 2e9)
	for i := range recs {
		r := &recs[i]
		if r.Class == "agent" {
			// Agent gaps only reach the summary: the records stay as they are.
			rr := *r
			rr.ITL = slices.Repeat([]int64{25_000_000}, max(r.OutputTokens-1, 0))
			r = &rr
		}
		s.Add(r)
		s.Observe(r.Intended, "queue_len", float64(r.ID%13))
		s.Observe(r.Intended, "kv_usage", float64(r.ID%100)/100)
	}
	return s
}

// testMeta is the Meta used for the golden file.
var testMeta = Meta{Backend: "sim", Scenario: ScenarioInfo{Name: "mixed", Seed: 42, Hash: "sha256:abc"},
	Fleet: &FleetInfo{Spec: "4P8D", GPUs: 32, Pools: []PoolInfo{{Role: "prefill", Instances: 4, GPU: "h100", GPUsPerInstance: 4, GPUs: 16}, {Role: "decode", Instances: 4, GPU: "h100", GPUsPerInstance: 4, GPUs: 16}}}}

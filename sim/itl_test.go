package sim

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// The simulator's ITL reaches the summary only through Record.ITL, as the
// runner's does: every record carries one gap per token after the first,
// the gaps add up to its decode time, and a summary (or compare's samples)
// rebuilt from the records has the simulator's ITL exactly.
func TestRecordsCarryITL(t *testing.T) {
	sc := mustBuiltin(t, "chat")
	for _, tc := range []struct {
		name    string
		cfg     Config
		preempt bool
	}{
		{"disaggregated", Config{Fleet: "2P4D", Model: "llama-3.1-70b", GPU: "h100", TP: 4}, false},
		{"colocated", Config{Fleet: "2C", Model: "llama-3.1-70b", GPU: "h100", TP: 4}, false},
		// Overloaded: KV runs out, sequences are preempted and recomputed.
		{"preempted", Config{Fleet: "1C", Model: "llama-3.1-70b", GPU: "a100", TP: 4, MaxSeqs: 1024}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var recs []results.Record
			cfg := tc.cfg
			cfg.Records = func(r *results.Record) error { recs = append(recs, *r); return nil }
			wo := scenarios.WorkloadOptions{Requests: 1500}
			if tc.preempt {
				wo.RateScale = 4
			}
			res, _, err := Run(sc, cfg, wo)
			require.NoError(t, err)
			if tc.preempt {
				require.Positive(t, res.Extra["preemptions"], "the case must preempt")
			}
			infos := make([]results.ClassInfo, len(sc.Classes))
			for i, c := range sc.Classes {
				infos[i] = results.ClassInfoFor(c)
			}
			again := results.NewSummary(infos, int64(sc.Warmup))
			samples := results.NewSamples(int64(sc.Warmup))
			preempted := 0
			for i := range recs {
				r := &recs[i]
				again.Add(r)
				samples.Add(r)
				if !r.OK() || r.OutputTokens < 2 || r.Retries > 0 {
					continue
				}
				require.Len(t, r.ITL, r.OutputTokens-1, "request %d", r.ID)
				var sum int64
				for _, g := range r.ITL {
					require.Positive(t, g)
					sum += g
				}
				require.Equal(t, r.LastToken-r.FirstToken, sum, "request %d (%d preemptions): gaps add up to the decode time", r.ID, r.Preemptions)
				if r.Preemptions > 0 {
					preempted++
				}
			}
			require.Equal(t, tc.preempt, preempted > 0)
			got := again.Result(results.Meta{}).Classes["chat"].ITL
			want := res.Classes["chat"].ITL
			require.Positive(t, want.Count)
			require.Equal(t, want, got)
			require.Len(t, samples.Values("chat", "itl"), min(int(want.Count), results.MaxSamplesPerSeries))
			// Without a records sink the engine recycles ITL slices: same result.
			cfg.Records = nil
			res2, _, err := Run(sc, cfg, wo)
			require.NoError(t, err)
			var a, b bytes.Buffer
			require.NoError(t, results.WriteJSON(&a, res))
			require.NoError(t, results.WriteJSON(&b, res2))
			require.Equal(t, a.String(), b.String())
		})
	}
}

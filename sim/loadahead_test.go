package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
)

// Loading ahead only asks for memory early: results and records are the
// same with it on every fleet size or off, on the paths whose queues hold
// stale step events, transfers, video clips, follow-ups and failures.
func TestLoadAheadChangesNothing(t *testing.T) {
	failures := scriptedFailure()
	cases := []equivCase{
		{"chat-pd", mustBuiltin(t, "chat"), Config{Fleet: "2P4D", Model: "llama-3.1-70b", TP: 4}, scenarios.WorkloadOptions{Requests: 600}},
		{"chat-16C", mustBuiltin(t, "chat"), Config{Fleet: "16C", Model: "llama-3.1-70b", TP: 4}, scenarios.WorkloadOptions{Requests: 600, RateScale: 3}},
		{"agents-session", parse(t, agentYAML), Config{Fleet: "3C", Model: "llama-3.1-8b", Routing: "session"}, scenarios.WorkloadOptions{}},
		{"mixed-video", parse(t, mixedYAML), Config{Fleet: "2C+4V", Model: "llama-3.1-8b"}, scenarios.WorkloadOptions{}},
		{"failures", mustBuiltin(t, "chat"), Config{Fleet: "3C", Model: "llama-3.1-8b", Failures: failures}, scenarios.WorkloadOptions{Duration: 60 * time.Second, RateScale: 2}},
	}
	defer func(n int) { loadAheadMin = n }(loadAheadMin)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg := c.cfg
			cfg.Serial = true
			loadAheadMin = 1 << 30
			wantRes, wantRecs := runBytes(t, c.sc, cfg, c.wo)
			loadAheadMin = 0
			res, recs := runBytes(t, c.sc, cfg, c.wo)
			require.Equal(t, string(wantRes), string(res))
			require.Equal(t, string(wantRecs), string(recs))
		})
	}
}

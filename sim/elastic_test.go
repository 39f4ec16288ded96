package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/elastic"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/kvcache"
)

const burstYAML = `
name: burst
seed: 5
duration: 900s
classes:
  - name: chat
    kind: chat
    arrival: {process: schedule, steps: [{at_s: 0, rate: 3}, {at_s: 300, rate: 40}, {at_s: 600, rate: 3}]}
    input: {dist: uniform, min: 500, max: 1500}
    output: {dist: uniform, min: 50, max: 300}
`

func burstConfig() Config {
	return Config{Fleet: "2C", Model: "llama-3.1-8b", GPU: "h100", Routing: "least-loaded",
		Autoscale: []elastic.Autoscale{{Pool: "colocated", Metric: "concurrency", Target: 16, Min: 2, Max: 12,
			IntervalS: 10, ProvisionS: 90, CooldownS: 60}}}
}

// A step burst makes the autoscaler add instances, which serve exactly the
// provisioning delay after the decision; it scales back down after the
// burst; cost is the integral of provisioned instances × price.
func TestAutoscalerStepBurst(t *testing.T) {
	sc := parse(t, burstYAML)
	e, err := newEngine(sc, mustWorkload(t, sc), sc.Seed, burstConfig())
	require.NoError(t, err)
	e.loop()
	require.NoError(t, e.err)
	res := e.result()
	p := e.fleet.entry
	events, _ := res.Extra["scale_events"].([]map[string]any)
	require.NotEmpty(t, events)

	var firstUp, firstReady float64 = -1, -1
	var scaledDown bool
	for _, ev := range events {
		ts := ev["t_s"].(float64)
		if _, ok := ev["ready"]; ok {
			if firstReady < 0 {
				firstReady = ts
			}
			continue
		}
		if ev["to"].(int) > ev["from"].(int) && firstUp < 0 {
			firstUp = ts
		}
		if ev["to"].(int) < ev["from"].(int) && ts > 600 {
			scaledDown = true
		}
	}
	require.GreaterOrEqual(t, firstUp, 300.0, "no scale-up before the burst")
	require.Less(t, firstUp, 340.0, "scale-up within a few intervals of the burst")
	require.InDelta(t, firstUp+90, firstReady, 1e-9, "instances serve after exactly the provisioning delay")
	require.True(t, scaledDown, "scales down after the burst")

	// Independent integral of provisioned GPUs over the result window.
	var gpuSec float64
	for i, pt := range p.history {
		end := e.now
		if i+1 < len(p.history) {
			end = p.history[i+1].t
		}
		a, b := max(pt.t, res.Window.StartNs), min(end, res.Window.EndNs)
		if b > a {
			gpuSec += float64(pt.n*p.model.GPUs()) * float64(b-a) / 1e9
		}
	}
	var pi results.PoolInfo
	for _, x := range res.Fleet.Pools {
		if x.Role == "colocated" {
			pi = x
		}
	}
	require.InDelta(t, gpuSec, pi.GPUSeconds, 1e-3)
	// Cost over the window = ∫ provisioned GPUs × price.
	const price = 2.5
	require.NoError(t, results.ApplyCost(res, results.CostInputs{GPUHourUSD: map[string]float64{"h100": price}}))
	require.InDelta(t, gpuSec/3600*price, res.Cost.USD, 1e-5)
	require.Greater(t, gpuSec, 2*float64(e.now)/1e9, "more than the static 2 instances were paid for")
	require.Less(t, gpuSec, 12*float64(e.now)/1e9)
	t.Logf("scale-up at %.0fs, ready at %.0fs, %d events, %.0f GPU-s provisioned over %.0fs", firstUp, firstReady, len(events), gpuSec, float64(e.now)/1e9)
}

func mustWorkload(t *testing.T, sc *scenarios.Scenario) *scenarios.Workload {
	t.Helper()
	w, err := sc.NewWorkload(scenarios.WorkloadOptions{})
	require.NoError(t, err)
	return w
}

// failureRun simulates the chat scenario on 3 colocated instances with
// colocated-1 killed at 120 s (or not), returning the records.
func failureRun(t *testing.T, policy string, kill bool) (map[uint64]results.Record, *results.Result) {
	t.Helper()
	sc := mustBuiltin(t, "chat")
	cfg := Config{Fleet: "3C", Model: "llama-3.1-8b", Routing: "cache-aware"}
	if kill {
		cfg.Failures = elastic.Failures{Policy: policy, RepairS: 60,
			At: []elastic.ScriptedFailure{{Pool: "colocated", Instance: 1, AtS: 120}}}
	}
	recs := map[uint64]results.Record{}
	cfg.Records = func(r *results.Record) error { recs[r.ID] = *r; return nil }
	res, _, err := Run(sc, cfg, scenarios.WorkloadOptions{Duration: 240 * time.Second, RateScale: 4})
	require.NoError(t, err)
	return recs, res
}

// Killing one instance mid-run retries (or fails) exactly the requests it
// held: those a run without the failure — identical up to that instant —
// shows on that instance, arrived and not finished at 120 s.
func TestFailureLosesExactlyInFlight(t *testing.T) {
	base, _ := failureRun(t, "", false)
	const at = int64(120 * time.Second)
	want := map[uint64]bool{}
	for id, r := range base {
		if r.Instance == "colocated-1" && r.Intended <= at && r.LastToken > at {
			want[id] = true
		}
	}
	require.NotEmpty(t, want)
	for _, policy := range []string{"retry", "fail"} {
		t.Run(policy, func(t *testing.T) {
			recs, res := failureRun(t, policy, true)
			got := map[uint64]bool{}
			for id, r := range recs {
				if r.Retries > 0 || r.ErrorClass == "instance_failed" {
					got[id] = true
					if policy == "retry" {
						require.Empty(t, r.ErrorClass)
					}
				}
			}
			require.Equal(t, want, got)
			if policy == "fail" {
				// A failed record keeps what its client received before the
				// failure: the baseline's tokens and gaps up to 120 s.
				for id := range want {
					b, r := base[id], recs[id]
					n, itl := 0, []int64{}
					if b.FirstToken > 0 && b.FirstToken <= at {
						n, tok := 1, b.FirstToken
						for _, g := range b.ITL {
							if tok += g; tok > at {
								break
							}
							n++
							itl = append(itl, g)
						}
						require.Equal(t, n, r.OutputTokens, "request %d: tokens received before the failure", id)
					} else {
						require.Equal(t, n, r.OutputTokens, "request %d: no token before the failure", id)
					}
					require.Equal(t, itl, append([]int64{}, r.ITL...), "request %d: gaps received before the failure", id)
				}
			}
			inc := res.Extra["incidents"].([]map[string]any)
			require.Len(t, inc, 1)
			key := map[string]string{"retry": "requests_retried", "fail": "requests_lost"}[policy]
			require.Equal(t, len(want), inc[0][key])
			require.Positive(t, inc[0]["cached_blocks_lost"])
			t.Logf("%s: %d requests in flight on colocated-1 at 120 s; incident %v", policy, len(want), inc[0])
		})
	}
}

// A failed instance's cache is gone: its blocks leave the prefix index and
// a prompt cached only there no longer hits.
func TestFailureDropsCachedBlocks(t *testing.T) {
	cfg := Config{Fleet: "2C", Model: "llama-3.1-8b", Routing: "cache-aware", IndexEvery: 1, Failures: elastic.Failures{RepairS: 1}}
	var done []results.Record
	l, err := NewLive(oneClass(), cfg, LiveHooks{Done: func(r *results.Record) { done = append(done, *r) }})
	require.NoError(t, err)
	p := []scenarios.Block{{ID: 77, Tokens: 2048}}
	drain := func() {
		for {
			at, ok := l.NextEvent()
			if !ok {
				return
			}
			require.NoError(t, l.AdvanceTo(at))
		}
	}
	require.NoError(t, l.Submit(req(1, 0, 4, p...)))
	drain()
	holder := done[0].Instance
	require.NoError(t, l.Submit(req(2, l.Now()+1, 4, p...)))
	drain()
	require.Equal(t, holder, done[1].Instance, "cache-aware routing finds the prefix")
	require.Equal(t, 2048, done[1].CachedTokens)

	var in *instance
	for _, x := range l.e.fleet.instances {
		if x.name == holder {
			in = x
		}
	}
	hashes := hashPrompt(p, 16, nil)
	var look kvcache.Lookup
	l.e.fleet.entry.prefix.Load(&look, hashes)
	n, _ := l.e.fleet.entry.prefix.Deepest(&look)
	require.Positive(t, n)
	l.e.fleet.fail(l.e, in, false)
	l.e.fleet.entry.prefix.Load(&look, hashes)
	n, _ = l.e.fleet.entry.prefix.Deepest(&look)
	require.Zero(t, n, "index forgets the failed instance")
	require.Zero(t, in.cache.Cached())
	drain() // repair
	require.NoError(t, l.Submit(req(3, l.Now()+1, 4, p...)))
	drain()
	require.Zero(t, done[2].CachedTokens, "the blocks died with the instance")
}

// An autoscaler for a pool the fleet lacks never runs. The commands refuse
// such a scenario before running; the simulator, given such a fleet by a
// caller, ran it fixed-size, silently: the result says so now.
func TestAutoscalerForAMissingPoolIsAWarning(t *testing.T) {
	sc := parse(t, burstYAML)
	sc.Duration = 30 * time.Second
	cfg := burstConfig()
	cfg.Autoscale[0].Pool = "decode"
	e, err := newEngine(sc, mustWorkload(t, sc), sc.Seed, cfg)
	require.NoError(t, err)
	e.loop()
	require.NoError(t, e.err)
	res := e.result()
	require.Contains(t, res.Warnings, "autoscaler not run: the scenario scales pool decode, which fleet 2C does not have (its pools: colocated), so those results are of a fixed-size fleet; run a fleet with that pool, or autoscale one it has")
	require.Nil(t, res.Extra["scale_events"])

	e, err = newEngine(sc, mustWorkload(t, sc), sc.Seed, burstConfig())
	require.NoError(t, err)
	e.loop()
	for _, w := range e.result().Warnings {
		require.NotContains(t, w, "autoscaler not run")
	}
}

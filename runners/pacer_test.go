package runners

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/scenarios/arrival"
)

func TestTimesPacer(t *testing.T) {
	ms := time.Millisecond
	times := []int64{0, int64(10 * ms), int64(10 * ms), int64(25 * ms)}
	i := 0
	p := NewTimesPacer(func() (int64, bool) {
		if i >= len(times) {
			return 0, false
		}
		i++
		return times[i-1], true
	}, nil)
	steps := []struct {
		elapsed time.Duration
		hits    uint64
		wait    time.Duration
		stop    bool
	}{
		{0, 0, 0, false},
		{ms, 1, 9 * ms, false},
		{ms, 1, 9 * ms, false}, // asked again after a short sleep: same hit
		{10 * ms, 1, 0, false},
		{11 * ms, 2, 0, false}, // equal times: due at once
		{12 * ms, 3, 13 * ms, false},
		{30 * ms, 3, 0, false}, // late: send now, never a negative wait
		{30 * ms, 4, 0, true},  // sequence over
		{40 * ms, 4, 0, true},  // and stays over
		{40 * ms, 10, 0, true},
	}
	for k, s := range steps {
		w, stop := p.Pace(s.elapsed, s.hits)
		require.Equal(t, s.wait, w, "step %d", k)
		require.Equal(t, s.stop, stop, "step %d", k)
	}
	require.True(t, p.Rate(0) != p.Rate(0), "no rate function: NaN")
}

// TestProcessPacerDrivesVegeta: a scenario arrival process runs vegeta's
// own Attacker through the Pacer interface, hitting at the process's times.
func TestProcessPacerDrivesVegeta(t *testing.T) {
	ts := openaitest.New(nil)
	defer ts.Close()
	ts.Keep = false
	timingAttempts(t, func() error { return vegetaRun(t, ts) })
}

func vegetaRun(t *testing.T, ts *openaitest.Server) error {
	spec := arrival.Spec{Process: "poisson", Rate: 200}
	proc, err := spec.New(rand.New(rand.NewPCG(1, 2)), 1)
	require.NoError(t, err)
	var want []int64
	n := 0
	limited := func() (int64, bool) {
		if n == 60 {
			return 0, false
		}
		n++
		v, ok := proc.Next()
		want = append(want, v)
		return v, ok
	}
	pacer := NewTimesPacer(limited, func(el time.Duration) float64 { return spec.Intensity(el.Seconds()) })
	require.InDelta(t, 200, pacer.Rate(time.Second), 1e-9)
	tgt := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: ts.BaseURL() + "/chat/completions",
		Body: []byte(`{"model":"m","messages":[],"max_tokens":1}`)})
	atk := vegeta.NewAttacker()
	start := time.Now()
	var got []time.Time
	for res := range atk.Attack(tgt, pacer, 0, "pacer") {
		require.Equal(t, uint16(200), res.Code, res.Error)
		got = append(got, res.Timestamp)
	}
	require.Len(t, got, 60)
	sort.Slice(got, func(i, j int) bool { return got[i].Before(got[j]) })
	var d []int64
	for i, g := range got {
		d = append(d, int64(g.Sub(start))-want[i])
	}
	return under("vegeta hit time vs the process's", p99abs(d), 20*time.Millisecond)
}

// TestShardsPartitionTheSchedule: shards i/n together send exactly the
// unsharded run's requests, at the same intended times.
func TestShardsPartitionTheSchedule(t *testing.T) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return openaitest.Steady(1, 0, 0) })
	defer srv.Close()
	sc := scenario(t, `
name: s
seed: 5
requests: 30
classes:
  - {name: a, kind: chat, arrival: {process: poisson, rate: 300}, input: 10, output: 1}
  - {name: b, kind: chat, arrival: {process: gamma, rate: 200, cv: 2}, input: 20, output: 1}
`)
	key := func(r results.Record) [2]int64 { return [2]int64{int64(r.ID), r.Intended} }
	all := runCollect(t, context.Background(), sc, baseConfig(srv), scenarios.WorkloadOptions{})
	require.Len(t, all.recs, 30)
	var union [][2]int64
	for i := range 3 {
		cfg := baseConfig(srv)
		cfg.Shard, cfg.Shards = i, 3
		part := runCollect(t, context.Background(), sc, cfg, scenarios.WorkloadOptions{})
		require.Len(t, part.recs, 10)
		require.Equal(t, fmtShard(i, 3), part.res.Extra["shard"])
		for _, r := range part.recs {
			union = append(union, key(r))
		}
	}
	var whole [][2]int64
	for _, r := range all.recs {
		whole = append(whole, key(r))
	}
	sort.Slice(union, func(i, j int) bool {
		return union[i][1] < union[j][1] || union[i][1] == union[j][1] && union[i][0] < union[j][0]
	})
	sort.Slice(whole, func(i, j int) bool {
		return whole[i][1] < whole[j][1] || whole[i][1] == whole[j][1] && whole[i][0] < whole[j][0]
	})
	require.Equal(t, whole, union)
}

func fmtShard(i, n int) string { return itoa(i) + "/" + itoa(n) }

// TestClosedLoop: --concurrency C keeps exactly C requests busy and ignores
// the schedule; intended = actual send (no schedule delay).
func TestClosedLoop(t *testing.T) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply {
		return openaitest.Steady(2, 10*time.Millisecond, 5*time.Millisecond)
	})
	defer srv.Close()
	cfg := baseConfig(srv)
	cfg.Concurrency = 4
	c := runCollect(t, context.Background(), chatScenario(t, 0.5, 24, 10, 2), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Len(t, c.recs, 24)
	// Peak overlap of [sent, last token] over the records: a worker sends
	// its next request only after the previous one ended.
	type edge struct {
		t int64
		d int
	}
	var edges []edge
	for _, r := range c.recs {
		require.True(t, r.OK(), r.Error)
		d, ok := r.ScheduleDelay()
		require.True(t, ok)
		require.Less(t, d, int64(5*time.Millisecond))
		edges = append(edges, edge{r.Sent, 1}, edge{r.LastToken, -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		return edges[i].t < edges[j].t || edges[i].t == edges[j].t && edges[i].d < edges[j].d
	})
	cur, peak := 0, 0
	for _, e := range edges {
		cur += e.d
		peak = max(peak, cur)
	}
	require.Equal(t, 4, peak)
	// 24 requests of ~15 ms on 4 workers, not 24 arrivals 2 s apart.
	require.Less(t, c.st.Elapsed, 2*time.Second)
	require.Equal(t, "closed_loop", c.res.Extra["mode"])
}

func TestConfigValidate(t *testing.T) {
	bad := []Config{
		{},
		{Target: "localhost:8000"},
		{Target: "http://x/v1", API: "embeddings"},
		{Target: "http://x/v1", Concurrency: 2, MaxInflight: 3},
		{Target: "http://x/v1", Shard: 3, Shards: 3},
		{Target: "http://x/v1", ToolRole: "function"},
		{Target: "http://x/v1", Timeout: -1},
	}
	for _, c := range bad {
		err := c.Validate()
		var ce *ConfigError
		require.ErrorAs(t, err, &ce, "%+v", c)
	}
	c := Config{Target: "http://x/v1/"}
	require.NoError(t, c.Validate())
	require.Equal(t, "http://x/v1/chat/completions", c.endpoint())
	require.Equal(t, 10*time.Second, c.Grace)

	h := http.Header{}
	require.NoError(t, ParseHeader(h, "X-A: b:c"))
	require.Equal(t, "b:c", h.Get("X-A"))
	require.Error(t, ParseHeader(h, "novalue"))

	sc := chatScenario(t, 4, 10, 1, 1)
	s, err := RateScaleFor(sc, 10)
	require.NoError(t, err)
	require.InDelta(t, 2.5, s, 1e-12)
	_, err = RateScaleFor(sc, -1)
	require.Error(t, err)
}

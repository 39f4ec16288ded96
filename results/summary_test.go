package results

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/slo"
)

func TestRecordMetrics(t *testing.T) {
	type want struct {
		v  int64
		ok bool
	}
	tests := []struct {
		name                     string
		r                        Record
		ttft, ttftInt, e2e, tpot want
		ok                       bool
	}{
		{
			name: "streamed 11 tokens, sent 5 ms late",
			r:    Record{Intended: 100, Sent: 5_000_100, FirstToken: 25_000_100, LastToken: 125_000_100, OutputTokens: 11},
			ttft: want{20_000_000, true}, ttftInt: want{25_000_000, true}, e2e: want{120_000_000, true},
			tpot: want{10_000_000, true}, ok: true,
		},
		{
			name: "one token: TPOT undefined",
			r:    Record{Sent: 0, FirstToken: 7, LastToken: 7, OutputTokens: 1},
			ttft: want{7, true}, ttftInt: want{7, true}, e2e: want{7, true}, tpot: want{0, false}, ok: true,
		},
		{
			name: "failed before the first token",
			r:    Record{Sent: 10, ErrorClass: "http_5xx"},
			ttft: want{0, false}, ttftInt: want{0, false}, e2e: want{0, false}, tpot: want{0, false}, ok: false,
		},
		{
			name: "zero output tokens",
			r:    Record{Sent: 10, FirstToken: 20, LastToken: 30},
			ttft: want{10, true}, ttftInt: want{20, true}, e2e: want{20, true}, tpot: want{0, false}, ok: true,
		},
		{
			name: "inconsistent times are undefined, not negative",
			r:    Record{Intended: 50, Sent: 40, FirstToken: 30, LastToken: 20, OutputTokens: 4},
			ttft: want{0, false}, ttftInt: want{0, false}, e2e: want{0, false}, tpot: want{0, false}, ok: true,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			check := func(label string, w want, v int64, ok bool) {
				require.Equal(t, w.ok, ok, label)
				if w.ok {
					require.Equal(t, w.v, v, label)
				}
			}
			v, ok := tc.r.TTFT()
			check("ttft", tc.ttft, v, ok)
			v, ok = tc.r.TTFTIntended()
			check("ttft_intended", tc.ttftInt, v, ok)
			v, ok = tc.r.E2E()
			check("e2e", tc.e2e, v, ok)
			v, ok = tc.r.TPOT()
			check("tpot", tc.tpot, v, ok)
			require.Equal(t, tc.ok, tc.r.OK())
		})
	}
}

func TestWarmupExclusionAndIntended(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "c", Kind: "chat"}}, 1e9)
	// In warm-up: excluded from metrics, present in the timeline.
	s.Add(&Record{Class: "c", Kind: "chat", Intended: 999_999_999, Sent: 999_999_999, FirstToken: 2e9, LastToken: 3e9, OutputTokens: 2, InputTokens: 10})
	// Sent 100 ms late: TTFT 50 ms from sent, 150 ms from intended.
	s.Add(&Record{Class: "c", Kind: "chat", Intended: 1e9, Sent: 1.1e9, FirstToken: 1.15e9, LastToken: 1.25e9, OutputTokens: 3, InputTokens: 100, CachedTokens: 25})
	// A client (endpoint backend) measured the late send.
	res := s.Result(Meta{Backend: "endpoint"})
	c := res.Classes["c"]
	require.EqualValues(t, 1, c.Requests)
	require.EqualValues(t, 100, *c.InputTokens)
	require.Equal(t, 0.25, *c.CacheHitRate)
	// HDR reports the top of the value's bucket: within 0.1%.
	require.InEpsilon(t, 50.0, c.TTFT.P50, 1e-3)
	require.InEpsilon(t, 150.0, c.TTFTIntended.P50, 1e-3)
	require.InEpsilon(t, 100.0, c.ScheduleDelay.P50, 1e-3)
	require.InEpsilon(t, 50.0, c.TPOT.P50, 1e-3)
	require.EqualValues(t, 1e9, res.Window.StartNs)
	require.EqualValues(t, 1.25e9, res.Window.EndNs)
	require.Equal(t, []int64{0, 1, 0, 1}, res.Timeline.Completions)
}

// The simulator has no client: its intended-send latencies would be copies
// of TTFT and E2E and its schedule delay 0. Unmeasured is absent (classes,
// totals, histograms, JSON), never a copy or 0; an endpoint result of the
// same records keeps them.
func TestSimResultHasNoClientMetrics(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "c", Kind: "chat"}}, 0)
	s.Add(&Record{Class: "c", Kind: "chat", Intended: 1e9, Sent: 1e9, FirstToken: 1.05e9, LastToken: 1.25e9, OutputTokens: 3, InputTokens: 100})
	for _, backend := range []string{"sim", "endpoint"} {
		res := s.Result(Meta{Backend: backend})
		var buf strings.Builder
		require.NoError(t, WriteJSON(&buf, res))
		for i := range Metrics {
			m := &Metrics[i]
			if !m.ClientTable {
				continue
			}
			want := backend != "sim"
			for _, c := range []*ClassResult{res.Classes["c"], res.Totals} {
				require.Equal(t, want, m.Of(c) != nil, "%s %s", backend, m.Key)
			}
			_, inHists := res.Histograms["c"][m.Key]
			require.Equal(t, want, inHists, "%s histograms %s", backend, m.Key)
			require.Equal(t, want, strings.Contains(buf.String(), m.Key), "%s JSON %s", backend, m.Key)
		}
		require.NotNil(t, res.Classes["c"].TTFT, backend)
	}
}

// A sim result file written before the client-only metrics were left out
// carries them (copies and zeros): reading it drops them.
func TestDecodeDropsSimClientMetrics(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "c", Kind: "chat"}}, 0)
	s.Add(&Record{Class: "c", Kind: "chat", Intended: 1e9, Sent: 1e9, FirstToken: 1.05e9, LastToken: 1.25e9, OutputTokens: 3, InputTokens: 100})
	old := s.Result(Meta{Backend: "endpoint"}) // as an old sim result: every metric present
	old.Backend = "sim"
	var buf strings.Builder
	require.NoError(t, WriteJSON(&buf, old))
	for _, backend := range []string{"sim", "endpoint"} {
		text := strings.Replace(buf.String(), `"backend": "sim"`, `"backend": "`+backend+`"`, 1)
		res, err := Decode(strings.NewReader(text), "old.json")
		require.NoError(t, err)
		for _, key := range []string{"ttft_intended", "e2e_intended", "schedule_delay"} {
			m, _ := MetricByName(key)
			want := backend != "sim"
			require.Equal(t, want, m.Of(res.Classes["c"]) != nil, "%s %s", backend, key)
			require.Equal(t, want, m.Of(res.Totals) != nil, "%s totals %s", backend, key)
			_, inHists := res.Histograms["c"][m.Key]
			require.Equal(t, want, inHists, "%s histograms %s", backend, key)
		}
	}
}

// A video job generates no tokens: its records' FirstToken is the clip
// start, so "TTFT" would be a copy of its queue wait. Video classes carry
// no TTFT (nor any token metric), the totals do not mix clip starts into the
// chat TTFT, and the table shows '-' for a video column's token figures,
// never 0.00, while its real figures (E2E, queue, clips) stay.
func TestVideoHasNoTokenMetrics(t *testing.T) {
	s := chatAndVideo()
	for _, backend := range []string{"sim", "endpoint"} {
		res := s.Result(Meta{Backend: backend})
		v := res.Classes["t2v"]
		for i := range Metrics {
			if Metrics[i].TokenOnly {
				require.Nil(t, Metrics[i].Of(v), "%s video %s", backend, Metrics[i].Name)
				require.NotContains(t, res.Histograms["t2v"], Metrics[i].Key, backend)
			}
		}
		require.InEpsilon(t, 40e3, v.Queue.P50, 1e-3)
		require.InEpsilon(t, 298e3, v.E2E.P50, 1e-3)
		// The totals' TTFT is the chat request's alone.
		require.EqualValues(t, 1, res.Totals.TTFT.Count, backend)
		require.Equal(t, res.Classes["chat"].TTFT, res.Totals.TTFT, backend)

		var b strings.Builder
		require.NoError(t, RenderTable(&b, res))
		for _, label := range []string{"TTFT ms p50/p90/p99", "input tokens", "output tokens", "output tok/s"} {
			line := tableLine(t, b.String(), label)
			cells := regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(strings.TrimPrefix(line, label)), -1) // chat, t2v, total
			require.NotEqual(t, "-", cells[0], "%s: chat column of %q", backend, line)
			require.Equal(t, "-", cells[len(cells)-2], "%s: video column of %q", backend, line)
		}
		require.NotContains(t, tableLine(t, b.String(), "E2E ms p50/p90/p99"), " - ")
	}
}

// tableLine returns the line of a rendered table that starts with label.
func tableLine(t *testing.T, table, label string) string {
	t.Helper()
	for _, l := range strings.Split(table, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), label) {
			return strings.TrimSpace(l)
		}
	}
	t.Fatalf("no %q row in\n%s", label, table)
	return ""
}

func TestITLPerToken(t *testing.T) {
	s := NewSummary(nil, 0)
	// Per-request gaps (a chunk of 3 tokens after 30 ms is 3 gaps of 10 ms).
	s.Add(&Record{Class: "c", Kind: "chat", FirstToken: 1, LastToken: 40e6, OutputTokens: 5, ITL: []int64{10e6, 10e6, 10e6, 10e6}})
	// 6 gaps of 20 ms (recorded as one run), around one of 20.0004 ms.
	s.Add(&Record{Class: "c", FirstToken: 1, LastToken: 120e6, OutputTokens: 7, ITL: []int64{20e6, 20e6, 20e6, 20.0004e6, 20e6, 20e6}})
	s.Add(&Record{Class: "c", FirstToken: 1, LastToken: 2})
	p := s.Result(Meta{Backend: "sim"}).Classes["c"].ITL
	require.EqualValues(t, 10, p.Count)
	require.InDelta(t, 10.0, p.Min, 0.01)
	require.InDelta(t, 20.0, p.Max, 0.02)
	require.InDelta(t, 16.0, p.Mean, 0.02)
	require.Equal(t, "chat", s.Result(Meta{}).Classes["c"].Kind)
}

func TestPercentilesMatchSortedReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	for _, dist := range []string{"uniform", "lognormal", "bimodal"} {
		t.Run(dist, func(t *testing.T) {
			s := NewSummary(nil, 0)
			var vals []int64
			for range 20000 {
				var ms float64
				switch dist {
				case "uniform":
					ms = 1 + rng.Float64()*999
				case "lognormal":
					ms = math.Exp(4 + 1.5*rng.NormFloat64())
				case "bimodal":
					ms = 20 + rng.Float64()*5
					if rng.IntN(10) == 0 {
						ms = 5000 + rng.Float64()*1000
					}
				}
				ns := int64(ms * 1e6)
				vals = append(vals, nsToUs(ns))
				s.Add(&Record{Class: "x", Kind: "chat", FirstToken: ns, LastToken: ns})
			}
			slices.Sort(vals)
			p := s.Result(Meta{}).Classes["x"].TTFT
			for _, q := range []struct {
				got float64
				q   float64
			}{{p.P50, 50}, {p.P90, 90}, {p.P95, 95}, {p.P99, 99}, {p.P999, 99.9}, {p.Max, 100}} {
				idx := int(q.q/100*float64(len(vals))+0.5) - 1 // nearest rank, as HDR
				ref := float64(vals[max(idx, 0)]) / 1000
				require.InEpsilon(t, ref, q.got, 1e-3, "p%v", q.q)
			}
			require.EqualValues(t, len(vals), p.Count)
		})
	}
}

func TestSLOAttainmentAndVerdict(t *testing.T) {
	cls := []ClassInfo{{Name: "c", Kind: "chat", SLO: slo.Spec{TTFTms: &slo.Targets{P50: 100, P99: 300}, TPOTms: &slo.Targets{P90: 20}}}}
	s := NewSummary(cls, 0)
	add := func(ttftMs, tpotMs int64, tokens int, errClass string) {
		ft := ttftMs * 1e6
		s.Add(&Record{Class: "c", Kind: "chat", FirstToken: ft, LastToken: ft + tpotMs*1e6*int64(tokens-1), OutputTokens: tokens, ErrorClass: errClass})
	}
	add(50, 10, 10, "")  // meets all
	add(250, 10, 10, "") // TTFT above p50 bound but within the p99 (per-request) bound: meets
	add(350, 10, 10, "") // TTFT misses
	add(50, 30, 10, "")  // TPOT misses
	add(50, 0, 1, "")    // one token: no TPOT, meets
	add(50, 10, 10, "x") // failed: never meets
	c := s.Result(Meta{StartNs: 0, EndNs: 2e9}).Classes["c"]
	require.EqualValues(t, 3, c.SLOMet)
	require.Equal(t, 0.5, *c.SLOAttainment)
	require.Equal(t, 1.5, *c.GoodputRPS)
	require.NotNil(t, c.SLO)
	require.False(t, c.SLO.Met) // p99 TTFT = 350 > 300
	require.Len(t, c.SLO.Targets, 3)
	require.Equal(t, SLOTarget{Metric: "ttft_ms", Percentile: "p50", Bound: 100, Actual: ptr(50.015), Met: true}, c.SLO.Targets[0])
	require.Equal(t, "p99", c.SLO.Targets[1].Percentile)
	require.False(t, c.SLO.Targets[1].Met)
	require.Equal(t, "tpot_ms", c.SLO.Targets[2].Metric)
}

func TestVideoQueueAndCompletion(t *testing.T) {
	cls := []ClassInfo{{Name: "v", Kind: "video", SLO: slo.Spec{QueueS: &slo.Targets{P99: 60}, CompletionS: &slo.Targets{P99: 600}}}}
	s := NewSummary(cls, 0)
	s.Add(&Record{Class: "v", Kind: "video", Intended: 0, Sent: 0, QueueNs: 30e9, FirstToken: 30e9, LastToken: 330e9, TaskDone: true, VideoSeconds: 5})
	s.Add(&Record{Class: "v", Kind: "video", Intended: 0, Sent: 0, QueueNs: 90e9, FirstToken: 90e9, LastToken: 390e9, TaskDone: true, VideoSeconds: 5})
	s.Add(&Record{Class: "v", Kind: "video", Intended: 0, Sent: 0, QueueNs: 1e9, FirstToken: 1e9, LastToken: 700e9, TaskDone: true, VideoSeconds: 10})
	c := s.Result(Meta{}).Classes["v"]
	require.EqualValues(t, 3, c.Clips)
	require.Equal(t, 20.0, c.VideoSeconds)
	require.EqualValues(t, 3, c.Tasks)
	require.EqualValues(t, 1, c.SLOMet)
	require.NotNil(t, c.Queue)
	require.Nil(t, c.TPOT)
	require.InEpsilon(t, 90000.0, c.Queue.Max, 1e-3)
}

func TestTimelineBoundedAndWidening(t *testing.T) {
	s := NewSummary(nil, 0)
	for i := range int64(5000) {
		at := i * 1e9 // 5000 s of one completion per second
		s.Add(&Record{Class: "c", Kind: "chat", Intended: at, Sent: at, FirstToken: at, LastToken: at, OutputTokens: 2})
		s.Observe(at, "q", float64(i))
	}
	tl := s.Result(Meta{}).Timeline
	require.LessOrEqual(t, len(tl.Completions), timelineMaxBuckets)
	require.EqualValues(t, 16e9, tl.IntervalNs) // 5000 s needs > 8 s x 600: 16 s buckets
	var total int64
	for _, c := range tl.Completions {
		total += c
	}
	require.EqualValues(t, 5000, total)
	g := tl.Gauges["q"]
	require.Equal(t, 15.0, g.Last[0])
	require.Equal(t, 7.5, g.Mean[0])
	require.Equal(t, 15.0, g.Max[0])
	require.EqualValues(t, 16, g.N[0])
	require.EqualValues(t, 16, tl.Completions[0])
	s.Observe(-5, "q", math.NaN()) // ignored, no panic
	s.Observe(math.MaxInt64, "q", 1)
	require.LessOrEqual(t, len(s.Result(Meta{}).Timeline.Completions), timelineMaxBuckets)
}

func BenchmarkAdd(b *testing.B) {
	recs := synthRecords(4096, 11)
	for i := range recs {
		recs[i].ITL = nil // see BenchmarkAddWithITL
		recs[i].Intended += 3e9
	}
	s := synthSummary(recs) // warm: histograms and buckets allocated
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		s.Add(&recs[i&4095])
	}
}

// BenchmarkAddWithITL is one 300-token record whose gaps come in runs, as
// a simulated decode batch gives them (per record).
func BenchmarkAddWithITL(b *testing.B) {
	s := NewSummary(nil, 0)
	r := &Record{Class: "c", Kind: "chat", FirstToken: 1, LastToken: 2, OutputTokens: 300}
	for i := range 299 {
		r.ITL = append(r.ITL, 20e6+int64(i/30)*1e5)
	}
	s.Add(r)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		s.Add(r)
	}
}

func BenchmarkResult(b *testing.B) {
	s := synthSummary(synthRecords(4096, 12))
	b.ReportAllocs()
	for range b.N {
		_ = s.Result(testMeta)
	}
}

func TestClientSaturationWarningAndTaskStart(t *testing.T) {
	s := NewSummary(nil, 0)
	for i := range int64(100) {
		at := i * 1e8
		// Sent 80 ms late, no TaskStart on a first turn: task E2E from Intended.
		s.Add(&Record{Class: "c", Kind: "chat", Intended: at, Sent: at + 80e6, FirstToken: at + 100e6, LastToken: at + 200e6, OutputTokens: 2, TaskDone: true})
	}
	res := s.Result(Meta{Backend: "endpoint"})
	require.Len(t, res.Warnings, 1)
	require.Contains(t, res.Warnings[0], "client saturated")
	require.InEpsilon(t, 200.0, res.Classes["c"].TaskE2E.P50, 1e-3)
	var b strings.Builder
	require.NoError(t, RenderTable(&b, res))
	require.Contains(t, b.String(), "WARNING: client saturated")
}

func TestITLWarmupAndFailuresExcluded(t *testing.T) {
	s := NewSummary(nil, 1e9)
	s.Add(&Record{Class: "c", Kind: "chat", Intended: 5e8, ITL: []int64{10e6, 10e6}})                                 // warm-up
	s.Add(&Record{Class: "c", Kind: "chat", Intended: 2e9, ITL: []int64{20e6, 20e6, 20e6}})                           // measured
	s.Add(&Record{Class: "c", Kind: "chat", Intended: 2e9, ITL: []int64{30e6}, ErrorClass: "timeout", Error: "late"}) // failed
	p := s.Result(Meta{}).Classes["c"].ITL
	require.EqualValues(t, 3, p.Count)
	require.InEpsilon(t, 20.0, p.P50, 1e-3)
}

func TestSmallNum(t *testing.T) {
	for v, want := range map[float64]string{0: "0.00", 0.0143: "0.014", 0.00537: "0.0054", 0.1: "0.10", 0.099: "0.099", 5.5: "5.50", 0.00001234: "0.000012", -0.05: "-0.050"} {
		require.Equal(t, want, SmallNum(v), "%v", v)
	}
}

// fmtNum never writes an exponent: moe-platform's cost table printed a cost
// per task of "4.424e-05" beside "0.027705".
func TestFmtNumNoExponent(t *testing.T) {
	for v, want := range map[float64]string{4.424e-05: "0.00004424", -3e-7: "-0.0000003", 0.00012: "0.00012", 0.133296: "0.133296", 1e-12: "0.000000000001"} {
		require.Equal(t, want, fmtNum(v), "%v", v)
	}
}

func TestFixed(t *testing.T) {
	for _, tc := range []struct {
		v    float64
		sig  int
		want string
	}{
		{7e-05, 3, "0.00007"}, {0.000143, 3, "0.000143"}, {0.00014349, 3, "0.000143"},
		{-2.5e-6, 2, "-0.0000025"}, {0.5, 3, "0.5"}, {123.456, 3, "123"}, {0, 3, "0"},
	} {
		require.Equal(t, tc.want, Fixed(tc.v, tc.sig), "%v", tc.v)
	}
}

// Ratios over nothing are absent from the JSON, never 0: a video class has
// no prompt tokens (cache_hit_rate was 0), and a class with no request in
// the window has no SLO attainment (was 0, as if every request failed).
func TestUndefinedRatiosAbsent(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "t2v", Kind: "video"}, {Name: "chat", Kind: "chat"}, {Name: "idle", Kind: "chat"}}, 0)
	s.Add(&Record{Class: "t2v", Kind: "video", Intended: 1e9, Sent: 1e9, QueueNs: 1e9, FirstToken: 2e9, LastToken: 90e9, VideoSeconds: 5, TaskDone: true})
	s.Add(&Record{Class: "chat", Kind: "chat", Intended: 1e9, Sent: 1e9, FirstToken: 1.1e9, LastToken: 2e9, InputTokens: 100, OutputTokens: 10, TaskDone: true})
	res := s.Result(Meta{Backend: "sim"})
	var buf strings.Builder
	require.NoError(t, WriteJSON(&buf, res))
	var back struct {
		Classes map[string]map[string]any `json:"classes"`
	}
	require.NoError(t, json.Unmarshal([]byte(buf.String()), &back))
	require.NotContains(t, back.Classes["t2v"], "cache_hit_rate")
	require.Contains(t, back.Classes["t2v"], "slo_attainment")
	require.Equal(t, 0.0, back.Classes["chat"]["cache_hit_rate"]) // measured: nothing cached
	require.NotContains(t, back.Classes["idle"], "slo_attainment")
	require.NotContains(t, back.Classes["idle"], "cache_hit_rate")
}

// An older sim file's totals mixed video clip starts into TTFT: reading it
// rebuilds the totals from the token classes, exactly as a result written
// now has them.
func TestDecodeRebuildsMixedTotals(t *testing.T) {
	s := synthSummary(synthRecords(300, 2))
	now := s.Result(testMeta)
	old := s.Result(Meta{Backend: "endpoint", Scenario: testMeta.Scenario, Fleet: testMeta.Fleet}) // every metric, as before
	old.Backend = "sim"
	// Before: the video class carried TTFT, and the totals mixed it in.
	old.Classes["video"].TTFT = &Percentiles{Count: 1, P99: 88146}
	old.Totals.TTFT = &Percentiles{Count: 9, P99: 87228}
	var buf strings.Builder
	require.NoError(t, WriteJSON(&buf, old))
	back, err := Decode(strings.NewReader(buf.String()), "old.json")
	require.NoError(t, err)
	require.Nil(t, back.Classes["video"].TTFT)
	require.Equal(t, now.Totals.TTFT, back.Totals.TTFT)
}

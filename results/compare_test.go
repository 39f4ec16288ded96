package results

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// slowChat returns recs with every successful chat request's first and
// last token delayed by 1.5x its TTFT: a crafted latency regression.
func slowChat(recs []Record) []Record {
	out := make([]Record, len(recs))
	for i, r := range recs {
		if r.Class == "chat" && r.OK() && r.FirstToken > 0 {
			d := (r.FirstToken - r.Sent) / 2
			r.FirstToken += d
			r.LastToken += d
		}
		out[i] = r
	}
	return out
}

func samplesOf(recs []Record, warmupNs int64) *Samples {
	s := NewSamples(warmupNs)
	for i := range recs {
		s.Add(&recs[i])
	}
	return s
}

func TestCompareIdenticalPasses(t *testing.T) {
	recs := synthRecords(600, 1)
	base := synthSummary(recs).Result(testMeta)
	nw := synthSummary(recs).Result(testMeta)
	gates, err := ParseGates("ttft.p99>+10%, cache_hit_rate<-0.02, chat:tpot.p50>+5%, total:errors>0, slo_attainment<-0.01")
	require.NoError(t, err)
	cmp, err := Compare(base, nw, CompareOptions{Gates: gates, BaseSamples: samplesOf(recs, 2e9), NewSamples: samplesOf(recs, 2e9)})
	require.NoError(t, err)
	require.False(t, cmp.Failed)
	require.NotEmpty(t, cmp.Gates)
	for _, cd := range cmp.Classes {
		for _, md := range cd.Rows {
			if md.Delta != nil {
				require.Zero(t, *md.Delta, "%s %s", cd.Class, md.Metric)
			}
			if md.Significant != nil {
				require.False(t, *md.Significant, "%s %s: identical samples", cd.Class, md.Metric)
				require.Equal(t, 1.0, *md.P)
			}
		}
	}
}

func TestCompareCraftedRegressionFails(t *testing.T) {
	recs := synthRecords(600, 1)
	slow := slowChat(recs)
	base := synthSummary(recs).Result(testMeta)
	nw := synthSummary(slow).Result(testMeta)
	gates, err := ParseGates("chat:ttft.p99>+10%,agent:ttft.p99>+10%,cache_hit_rate<-0.02")
	require.NoError(t, err)
	cmp, err := Compare(base, nw, CompareOptions{Gates: gates, BaseSamples: samplesOf(recs, 2e9), NewSamples: samplesOf(slow, 2e9)})
	require.NoError(t, err)
	require.True(t, cmp.Failed)
	byKey := map[string]GateResult{}
	for _, g := range cmp.Gates {
		byKey[g.Class+" "+g.Gate] = g
	}
	chat := byKey["chat chat:ttft.p99>+10%"]
	require.True(t, chat.Failed)
	require.InDelta(t, 50, *chat.Change, 2, "TTFT grew by half")
	require.False(t, byKey["agent agent:ttft.p99>+10%"].Failed)
	require.False(t, byKey["total cache_hit_rate<-0.02"].Failed)

	row := func(class, metric string) MetricDelta {
		for _, cd := range cmp.Classes {
			for _, md := range cd.Rows {
				if cd.Class == class && md.Metric == metric {
					return md
				}
			}
		}
		t.Fatalf("no row %s %s", class, metric)
		return MetricDelta{}
	}
	require.True(t, *row("chat", "ttft.p50").Significant)
	require.Less(t, *row("chat", "ttft.p50").P, 0.001)
	require.False(t, *row("agent", "ttft.p50").Significant)
}

func TestCompareBadGates(t *testing.T) {
	r := synthSummary(synthRecords(200, 1)).Result(testMeta)
	for gate, want := range map[string]string{
		"nosuch:ttft.p99>+10%":   `no class "nosuch"`,
		"cost.per_task_usd>+10%": "neither result",
	} {
		g, err := ParseGates(gate)
		require.NoError(t, err)
		_, err = Compare(r, r, CompareOptions{Gates: g})
		require.ErrorContains(t, err, want)
	}
	_, err := Compare(r, nil, CompareOptions{})
	require.Error(t, err)
}

// TestCompareMissingClass: a class that vanished from NEW fails its gate.
func TestCompareMissingClass(t *testing.T) {
	base := synthSummary(synthRecords(300, 1)).Result(testMeta)
	nw := synthSummary(synthRecords(300, 1)).Result(testMeta)
	delete(nw.Classes, "agent")
	g, _ := ParseGates("requests<-10%")
	cmp, err := Compare(base, nw, CompareOptions{Gates: g})
	require.NoError(t, err)
	require.True(t, cmp.Failed)
}

func TestParseGate(t *testing.T) {
	for in, want := range map[string]Gate{
		"ttft.p99>+10%":             {Metric: "ttft.p99", Op: ">", Threshold: 10, Relative: true},
		"cache_hit_rate<-0.02":      {Metric: "cache_hit_rate", Op: "<", Threshold: -0.02},
		"chat:ttft_ms.p999 > 5 %":   {Class: "chat", Metric: "ttft.p999", Op: ">", Threshold: 5, Relative: true},
		"e2e<-1":                    {Metric: "e2e.p50", Op: "<", Threshold: -1},
		"total:cost.per_task_usd>0": {Class: "total", Metric: "cost.per_task_usd", Op: ">", Threshold: 0},
		"a:b:errors>3":              {Class: "a:b", Metric: "errors", Op: ">", Threshold: 3},
	} {
		g, err := ParseGate(in)
		require.NoError(t, err, in)
		require.Equal(t, want.Class, g.Class, in)
		require.Equal(t, want.Metric, g.Metric, in)
		require.Equal(t, want.Op, g.Op, in)
		require.Equal(t, want.Threshold, g.Threshold, in)
		require.Equal(t, want.Relative, g.Relative, in)
		again, err := ParseGate(g.String())
		require.NoError(t, err, g.String())
		require.Equal(t, g.String(), again.String())
	}
	for in, want := range map[string]string{
		"ttft.p99":        "no > or <",
		"ttft.p99>=10%":   ">= and <=",
		"ttfx.p99>10%":    "unknown metric",
		"ttft.p42>10%":    "unknown statistic",
		"ttft.p99>ten%":   "not a number",
		"ttft.p99>%":      "not a number",
		":ttft.p99>1":     "empty class",
		">1":              "no metric",
		"ttft.p99>NaN":    "not a number",
		"ttft.p99>0x10":   "not a number",
		"ttft.p99>1e999%": "not a number",
	} {
		_, err := ParseGate(in)
		require.ErrorContains(t, err, want, in)
	}
	gs, err := ParseGates(" , ttft.p99>+10%,,errors>0 ")
	require.NoError(t, err)
	require.Len(t, gs, 2)
}

func FuzzParseGates(f *testing.F) {
	for _, s := range []string{"ttft.p99>+10%,cache_hit_rate<-0.02", "chat:e2e.max<-3", "a:b:c>1%", "x>", "<<>>"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		gs, err := ParseGates(s)
		if err != nil {
			return
		}
		for _, g := range gs {
			require.Contains(t, []string{">", "<"}, g.Op)
			require.False(t, math.IsNaN(g.Threshold) || math.IsInf(g.Threshold, 0))
			// The canonical form parses back to itself.
			again, err := ParseGate(g.String())
			require.NoError(t, err, g.String())
			require.Equal(t, g.String(), again.String())
		}
	})
}

// TestMannWhitneyKnown: fully separated samples of 5 give U = 0 and, with
// the continuity correction, z = 12/sqrt(22.9167) = 2.5067, p = 0.01219
// (scipy.stats.mannwhitneyu(method="asymptotic") gives the same).
func TestMannWhitneyKnown(t *testing.T) {
	u, p := MannWhitney([]float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10})
	require.Equal(t, 0.0, u)
	require.InDelta(t, 0.01219, p, 1e-5)
	u, p = MannWhitney([]float64{6, 7, 8, 9, 10}, []float64{1, 2, 3, 4, 5})
	require.Equal(t, 25.0, u)
	require.InDelta(t, 0.01219, p, 1e-5)
	// Ties: ranks of {1,1,2} vs {2,3,3}: 1.5,1.5,3.5 | 3.5,5.5,5.5; U_a =
	// 6.5 - 6 = 0.5; tie term 6+6+6 = 18; var = 9/12 x (7 - 18/30) = 4.8;
	// z = (4.5 - 0.5 - 0.5)/sqrt(4.8) = 1.5975, p = 0.1101.
	u, p = MannWhitney([]float64{1, 1, 2}, []float64{2, 3, 3})
	require.Equal(t, 0.5, u)
	require.InDelta(t, 0.1101, p, 1e-4)
	_, p = MannWhitney([]float64{4, 4, 4}, []float64{4, 4})
	require.Equal(t, 1.0, p, "all ties: no evidence")
	_, p = MannWhitney(nil, []float64{1})
	require.Equal(t, 1.0, p)
}

// TestMannWhitneyDistributions: samples from one lognormal are not
// significantly different; a 10% shift of 2000 samples is.
func TestMannWhitneyDistributions(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	draw := func(n int, scale float64) []float64 {
		out := make([]float64, n)
		for i := range out {
			out[i] = scale * math.Exp(0.5*rng.NormFloat64())
		}
		return out
	}
	falsePos := 0
	for range 100 {
		if _, p := MannWhitney(draw(200, 100), draw(200, 100)); p < 0.05 {
			falsePos++
		}
	}
	require.LessOrEqual(t, falsePos, 12, "about 5 of 100 same-distribution pairs may reach p < 0.05")
	_, p := MannWhitney(draw(2000, 100), draw(2000, 110))
	require.Less(t, p, 0.001)
}

func TestSamplesReservoirBounded(t *testing.T) {
	s := NewSamples(0)
	r := Record{Class: "c", Kind: "chat", FirstToken: 1, LastToken: 2, OutputTokens: 1}
	for i := range MaxSamplesPerSeries + 1000 {
		r.Sent, r.Intended = 0, 0
		r.FirstToken = int64(i + 1)
		s.Add(&r)
	}
	require.Len(t, s.Values("c", "ttft"), MaxSamplesPerSeries)
	require.Len(t, s.Values(TotalClass, "ttft"), MaxSamplesPerSeries)
	require.Nil(t, s.Values("c", "nope"))
}

func TestReadSamples(t *testing.T) {
	var buf bytes.Buffer
	w := NewRecordWriter(&buf)
	recs := synthRecords(100, 3)
	for i := range recs {
		require.NoError(t, w.Write(&recs[i]))
	}
	require.NoError(t, w.Flush())
	s, err := ReadSamples(&buf, "r.jsonl", 2e9)
	require.NoError(t, err)
	require.Equal(t, samplesOf(recs, 2e9).Values("chat", "ttft"), s.Values("chat", "ttft"))
	_, err = ReadSamples(strings.NewReader("{bad"), "r.jsonl", 0)
	require.ErrorContains(t, err, "r.jsonl:1")
}

// TestCompareGoldenMarkdown fixes the pull-request comment's shape.
func TestCompareGoldenMarkdown(t *testing.T) {
	recs := synthRecords(600, 1)
	slow := slowChat(recs)
	base := synthSummary(recs).Result(testMeta)
	nw := synthSummary(slow).Result(testMeta)
	for _, r := range []*Result{base, nw} {
		require.NoError(t, ApplyCost(r, CostInputs{GPUHourUSD: map[string]float64{"h100": 2}}))
	}
	gates, err := ParseGates("ttft.p99>+10%,cache_hit_rate<-0.02,cost.per_task_usd>+5%")
	require.NoError(t, err)
	cmp, err := Compare(base, nw, CompareOptions{Gates: gates, BaseSamples: samplesOf(recs, 2e9), NewSamples: samplesOf(slow, 2e9)})
	require.NoError(t, err)
	var md, tbl, js bytes.Buffer
	require.NoError(t, RenderComparison(&md, cmp, "markdown"))
	golden(t, "compare.golden.md", md.Bytes())
	require.NoError(t, RenderComparison(&tbl, cmp, "table"))
	golden(t, "compare.golden.txt", tbl.Bytes())
	require.NoError(t, RenderComparison(&js, cmp, "json"))
	var back Comparison
	require.NoError(t, json.Unmarshal(js.Bytes(), &back))
	require.Equal(t, cmp.Failed, back.Failed)
	require.Error(t, RenderComparison(&js, cmp, "html"))
}

func BenchmarkMannWhitney10k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	x, y := make([]float64, 10000), make([]float64, 10000)
	for i := range x {
		x[i], y[i] = rng.ExpFloat64(), rng.ExpFloat64()*1.01
	}
	b.ReportAllocs()
	for b.Loop() {
		MannWhitney(x, y)
	}
}

// The bootstrap interval is deterministic, centred on the true change,
// and wide for small samples.
func TestBootstrapChange(t *testing.T) {
	a, b := make([]float64, 2000), make([]float64, 2000)
	for i := range a {
		a[i] = float64(i%500) + 1
		b[i] = 1.3 * a[i]
	}
	lo, hi, ok := BootstrapChange(a, b, "p99", true, 0.05)
	require.True(t, ok)
	lo2, hi2, _ := BootstrapChange(a, b, "p99", true, 0.05)
	require.Equal(t, [2]float64{lo, hi}, [2]float64{lo2, hi2}, "seeded")
	require.Less(t, lo, 30.0)
	require.Greater(t, hi, 30.0)
	require.Greater(t, lo, 0.0, "x1.3 is significant")
	lo, hi, ok = BootstrapChange(a, a, "mean", false, 0.05)
	require.True(t, ok)
	require.Less(t, lo, 0.0)
	require.Greater(t, hi, 0.0)
	_, _, ok = BootstrapChange(a, b, "max", true, 0.05)
	require.False(t, ok, "max: Mann-Whitney instead")
}

// The repeat band: the prediction interval widens with few repeats.
func TestRepeatBandPredictionInterval(t *testing.T) {
	b := bandOf([]float64{187.007, 194.559, 190.463})
	lo, hi := b.PredictionInterval(3)
	require.InDelta(t, 171.9, lo, 0.1)
	require.InDelta(t, 209.5, hi, 0.1)
	require.InDelta(t, 1.96, tQuantile975(1000), 0.05)
}

// The significance test must read the population the percentiles it
// qualifies were computed from: the requests of tasks that arrived after
// the warm-up (an agent task that began in the warm-up is left out whole,
// even its later requests), and no token metric for video (a clip start is
// no first token).
func TestSamplesMatchSummaryPopulation(t *testing.T) {
	recs := synthRecords(600, 1)
	s := NewSummary(testClasses, 2e9)
	for i := range recs {
		s.Add(&recs[i])
	}
	res := s.Result(Meta{Backend: "endpoint"})
	samples := samplesOf(recs, 2e9)
	for name, c := range res.Classes {
		for _, col := range []struct {
			class string
			c     *ClassResult
		}{{name, c}, {TotalClass, res.Totals}} {
			for i := range Metrics {
				m := &Metrics[i]
				var n int64
				if p := m.Of(col.c); p != nil {
					n = p.Count
				} else if !m.TokenOnly {
					continue // unknown to the result (a queue the endpoint does not report): no row reads samples
				}
				// The totals' queue leaves out the zeros of classes whose
				// queue is unknown (an endpoint's chat): so do its samples.
				require.EqualValues(t, n, len(samples.valuesIn(res, col.class, m)), "%s %s", col.class, m.Name)
			}
		}
	}
}

// A change from a base of 0 has no relative size: compare printed
// "+inf%" (a video queue p50 of 0 ms against 44,433 ms); it prints the
// absolute change.
func TestCompareChangeFromZero(t *testing.T) {
	base, nw, d := 0.0, 44433.407, 44433.407
	_, _, change, _ := MetricDelta{Base: &base, New: &nw, Delta: &d}.cells()
	require.Equal(t, "+44433 from 0", change)
	d = -2.5
	_, _, change, _ = MetricDelta{Base: &base, New: &d, Delta: &d}.cells()
	require.Equal(t, "-2.5 from 0", change)
}

// A gate on a client metric between sim results says why it has no value.
func TestGateOnClientMetricOfSim(t *testing.T) {
	res := synthSummary(synthRecords(60, 1)).Result(testMeta) // sim
	gates, err := ParseGates("schedule_delay.p99>+10%")
	require.NoError(t, err)
	_, err = Compare(res, res, CompareOptions{Gates: gates})
	require.ErrorContains(t, err, "measured by a load generator's client; sim results do not have it")
}

// A margin going from 10% to 12% moved 2 points, not 20%: compare showed
// the relative change of a figure that is itself a percentage. Figures in
// [0,1] (hit rate, SLO attainment, error rate) already read as absolute
// changes.
func TestComparePercentFiguresChangeInPoints(t *testing.T) {
	withMargin := func(margin, markup float64) *Result {
		r := synthSummary(synthRecords(60, 1)).Result(testMeta)
		r.Totals.Cost = &ClassCost{Revenue: &Revenue{Amount: 1, MarginPct: &margin, MarkupPct: &markup}}
		return r
	}
	gates, err := ParseGates("total:cost.margin_pct<-1")
	require.NoError(t, err)
	cmp, err := Compare(withMargin(10, 11.1111), withMargin(12, 13.6364), CompareOptions{Gates: gates})
	require.NoError(t, err)
	rows := map[string]MetricDelta{}
	for _, md := range cmp.Classes[len(cmp.Classes)-1].Rows {
		rows[md.Metric] = md
	}
	md := rows["cost.margin_pct"]
	require.True(t, md.Points)
	require.Nil(t, md.DeltaPct, "a relative change of a percentage reads as points")
	_, _, change, _ := md.cells()
	require.Equal(t, "+2.00 pts", change)
	for _, name := range []string{"cache_hit_rate", "slo_attainment", "error_rate"} {
		if md, ok := rows[name]; ok {
			require.True(t, md.Fraction, name)
		}
	}
	ref, err := resolveMetric("cost.markup_pct")
	require.NoError(t, err)
	require.True(t, ref.points)
	var tbl bytes.Buffer
	require.NoError(t, RenderComparison(&tbl, cmp, "table"))
	require.Regexp(t, `cost\.margin_pct +10 +12 +\+2\.00 pts\n`, tbl.String())
	require.Contains(t, tbl.String(), "10 -> 12  +2.0000 pts")
}

// A row that one side does not measure has no significance: a sim result
// (chat's queue measured, all 0) against an endpoint's (chat's queue not
// reported) printed "~" (no significant difference) beside "-", from the
// endpoint's zeros that are no waits.
func TestCompareNoSignificanceForAnUnmeasuredSide(t *testing.T) {
	recs := synthRecords(600, 1)
	s := synthSummary(recs)
	simRes := s.Result(testMeta)
	ep := s.Result(Meta{Backend: "endpoint", Scenario: testMeta.Scenario})
	require.NotNil(t, simRes.Classes["chat"].Queue)
	require.Nil(t, ep.Classes["chat"].Queue)
	cmp, err := Compare(simRes, ep, CompareOptions{BaseSamples: samplesOf(recs, 2e9), NewSamples: samplesOf(recs, 2e9)})
	require.NoError(t, err)
	for _, cd := range cmp.Classes {
		if cd.Class != "chat" {
			continue
		}
		for _, md := range cd.Rows {
			if md.Metric == "queue.p50" {
				require.Nil(t, md.New)
				require.Nil(t, md.P, "no test against a side that did not measure it")
				_, _, change, _ := md.cells()
				require.Equal(t, "-", change)
				return
			}
		}
	}
	t.Fatal("no chat queue.p50 row")
}

// The totals' queue of a sim result covers every class (the simulator
// sees every queue); an endpoint's covers only the classes whose queue it
// reports (video). Compared as they are, the row set all classes' waits
// against video's alone (mixed-platform: 139.6 ms -> 1002 ms, "+617.51%").
// The totals row then covers the classes both sides measured.
func TestCompareTotalsOverClassesBothSidesMeasured(t *testing.T) {
	recs := synthRecords(600, 1)
	s := synthSummary(recs)
	simRes := s.Result(testMeta)
	ep := s.Result(Meta{Backend: "endpoint", Scenario: testMeta.Scenario})
	require.NotEqual(t, simRes.Totals.Queue.Count, ep.Totals.Queue.Count, "the sides' totals cover different classes")
	cmp, err := Compare(simRes, ep, CompareOptions{BaseSamples: samplesOf(recs, 2e9), NewSamples: samplesOf(recs, 2e9)})
	require.NoError(t, err)
	rows := map[string]map[string]MetricDelta{}
	for _, cd := range cmp.Classes {
		rows[cd.Class] = map[string]MetricDelta{}
		for _, md := range cd.Rows {
			rows[cd.Class][md.Metric] = md
		}
	}
	for _, st := range []string{"queue.p50", "queue.p99"} {
		tot, video := rows[TotalClass][st], rows["video"][st]
		require.Equal(t, *video.Base, *tot.Base, st)
		require.Equal(t, *video.New, *tot.New, st)
		require.Equal(t, video.NBase, tot.NBase, st)
		require.Equal(t, 0.0, *tot.Delta, st)
		require.Contains(t, tot.Note, "video", st)
	}
	// Metrics both sides measure over the same classes are unchanged.
	require.Equal(t, simRes.Totals.E2E.P99, *rows[TotalClass]["e2e.p99"].Base)
	require.Empty(t, rows[TotalClass]["e2e.p99"].Note)
}

package results

import (
	"bytes"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/slo"
)

// fullRecord defines every latency metric: a successful two-turn agent
// task's last turn with queueing, a late send and per-token gaps.
func fullRecord() Record {
	return Record{ID: 1, Class: "c", Kind: "agent", TaskID: 1, Turn: 1,
		Intended: 10e9, Sent: 10.2e9, QueueNs: 150e6, FirstToken: 10.5e9, LastToken: 12.5e9,
		InputTokens: 100, OutputTokens: 5, ITL: []int64{400e6, 500e6, 600e6, 500e6},
		TaskDone: true, TaskStart: 4e9}
}

// values is what the record gives each metric, in ns.
func metricValues(t *testing.T, m *Metric, r *Record) []int64 {
	if m.PerToken {
		return r.ITL
	}
	v, ok := m.Value(r)
	require.True(t, ok, "%s: fullRecord must define every metric", m.Name)
	return []int64{v}
}

// TestMetricsRegistryComplete checks each entry is whole and unique, and
// that ClassResult has exactly one percentile field per entry.
func TestMetricsRegistryComplete(t *testing.T) {
	seen := map[string]bool{}
	for i := range Metrics {
		m := &Metrics[i]
		require.NotEmpty(t, m.Name)
		require.Equal(t, m.Name+"_"+m.Unit, m.Key, "key is name_unit")
		require.Equal(t, "ms", m.Unit, "histograms render in ms")
		require.NotEmpty(t, m.Label, m.Name)
		require.NotEmpty(t, m.Title, m.Name)
		require.NotNil(t, m.field, m.Name)
		require.True(t, m.PerToken == (m.Value == nil), "%s: exactly one of Value and PerToken", m.Name)
		for _, k := range []string{m.Name, m.Key} {
			require.False(t, seen[k], "duplicate name %q", k)
			seen[k] = true
		}
		if m.SLO != nil {
			require.False(t, seen["slo:"+m.SLO.Key], "duplicate SLO key %q", m.SLO.Key)
			seen["slo:"+m.SLO.Key] = true
			require.NotNil(t, (&slo.Spec{}).Field(m.SLO.Key), "SLO key %q is a field of slo.Spec", m.SLO.Key)
			require.Positive(t, m.SLO.MsPerUnit)
			require.True(t, strings.HasSuffix(m.SLO.Key, "_"+m.SLO.Unit), "SLO key %q names its unit", m.SLO.Key)
		}
		for _, st := range slices.Concat(m.CompareStats, m.ReportStats, m.SweepStats) {
			_, ok := (&Percentiles{}).Get(st)
			require.True(t, ok, "%s: unknown statistic %q", m.Name, st)
		}
	}
	// Every *Percentiles field of ClassResult is some entry's field.
	var c ClassResult
	ct := reflect.TypeOf(c)
	n := 0
	for i := range ct.NumField() {
		f := ct.Field(i)
		if f.Type != reflect.TypeOf((*Percentiles)(nil)) {
			continue
		}
		n++
		key, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		m, ok := MetricByName(key)
		require.True(t, ok, "ClassResult.%s (%s) has no entry in Metrics", f.Name, key)
		require.Equal(t, reflect.ValueOf(&c).Elem().Field(i).Addr().Interface(), m.field(&c), "%s: field points at ClassResult.%s", m.Name, f.Name)
	}
	require.Equal(t, numMetrics, n)
}

// TestMetricsRoundTrip takes every metric through the summary, the result
// file and merge, the table, compare (rows, gates, samples) and the SLO
// lookup, so a new entry is tested everywhere it is used.
func TestMetricsRoundTrip(t *testing.T) {
	rec := fullRecord()
	s := NewSummary(nil, 0)
	s.Add(&rec)
	// An endpoint result carries every metric (a sim result has no
	// client-only ones: TestSimResultHasNoClientMetrics).
	res := s.Result(Meta{Backend: "endpoint"})
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, res))
	back, err := Decode(&js, "r.json")
	require.NoError(t, err)
	other := *back
	other.Scenario.Seed++ // a second seed: merging the same file twice is refused
	merged, err := Merge(back, &other)
	require.NoError(t, err)
	var table bytes.Buffer
	require.NoError(t, RenderTable(&table, res))
	samples := NewSamples(0)
	samples.Add(&rec)
	cmp, err := Compare(res, res, CompareOptions{BaseSamples: samples, NewSamples: samples})
	require.NoError(t, err)

	for i := range Metrics {
		m := &Metrics[i]
		t.Run(m.Name, func(t *testing.T) {
			want := metricValues(t, m, &rec)
			// Summary -> result: count and p50 (one value, or equal halves).
			c := res.Classes["c"]
			p := m.Of(c)
			require.NotNil(t, p)
			require.EqualValues(t, len(want), p.Count)
			sorted := slices.Sorted(slices.Values(want))
			require.InDelta(t, float64(sorted[(len(sorted)-1)/2])/1e6, p.P50, 0.001*p.P50+0.001)
			require.Contains(t, res.Histograms["c"], m.Key)
			// JSON and merge keep it (merging a result with itself doubles counts).
			require.Equal(t, p, m.Of(back.Classes["c"]))
			require.EqualValues(t, 2*p.Count, m.Of(merged.Classes["c"]).Count)
			require.Equal(t, p.P99, m.Of(merged.Classes["c"]).P99)
			// Lookup by name and key.
			for _, k := range []string{m.Name, m.Key} {
				got, ok := MetricByName(k)
				require.True(t, ok)
				require.Same(t, m, got)
			}
			// Table.
			if m.Shown {
				require.Contains(t, table.String(), m.Label+" "+m.Unit+" p50/p90/p99")
			}
			// Compare: gate names resolve and read the summary's value;
			// default rows are present; samples carry the per-request values.
			for _, name := range []string{m.Name + ".p99", m.Key + ".p99", m.Name} {
				g, err := ParseGate(name + ">+10%")
				require.NoError(t, err)
				v, ok := g.ref.value(c)
				require.True(t, ok)
				st := "p50"
				if strings.Contains(name, ".") {
					st = "p99"
				}
				pv, _ := p.Get(st)
				require.Equal(t, pv, v)
			}
			for _, st := range m.CompareStats {
				require.Contains(t, defaultRows, m.Name+"."+st)
				require.True(t, slices.ContainsFunc(cmp.Classes[0].Rows, func(d MetricDelta) bool { return d.Metric == m.Name+"."+st && d.P != nil }),
					"%s.%s: a compare row with a p-value", m.Name, st)
			}
			require.Len(t, samples.Values("c", m.Name), len(want))
			// Sweep key.
			require.Equal(t, m.Name+"_p99_"+m.Unit, m.SweepKey("p99"))
			// SLO: a bound above the value is met, below it missed, both in
			// the verdict and per request (goodput); a verdict rebuilds the SLO.
			if m.SLO == nil {
				require.Empty(t, m.Bounds(&slo.Spec{}))
				return
			}
			got, ok := MetricBySLOKey(m.SLO.Key)
			require.True(t, ok)
			require.Same(t, m, got)
			hi := float64(sorted[len(sorted)-1]) / 1e6 / m.SLO.MsPerUnit * 2
			for _, tc := range []struct {
				bound float64
				met   bool
			}{{hi, true}, {hi / 1e6, false}} {
				var spec slo.Spec
				*spec.Field(m.SLO.Key) = &slo.Targets{P99: tc.bound}
				require.Equal(t, map[string]float64{"p99": tc.bound}, m.Bounds(&spec))
				require.NoError(t, spec.Validate())
				s := NewSummary([]ClassInfo{{Name: "c", Kind: "agent", SLO: spec}}, 0)
				s.Add(&rec)
				cr := s.Result(Meta{}).Classes["c"]
				require.NotNil(t, cr.SLO)
				require.Equal(t, tc.met, cr.SLO.Met, "verdict, bound %v", tc.bound)
				require.Equal(t, m.SLO.Key, cr.SLO.Targets[0].Metric)
				if !m.PerToken {
					require.EqualValues(t, map[bool]int64{true: 1}[tc.met], cr.SLOMet, "per-request, bound %v", tc.bound)
				}
				back, err := sloFromVerdict(cr.SLO)
				require.NoError(t, err)
				require.Equal(t, spec, back)
			}
		})
	}
}

// TestMetricsRequiredForKind: a class without samples carries exactly the
// contract's metrics for its kind (null elsewhere, never a zero).
func TestMetricsRequiredForKind(t *testing.T) {
	// Nothing measured: no metric at all, never a distribution of zeros.
	for _, kind := range []string{"chat", "agent", "video"} {
		s := NewSummary([]ClassInfo{{Name: "c", Kind: kind}}, 0)
		c := s.Result(Meta{}).Classes["c"]
		for i := range Metrics {
			require.Nil(t, Metrics[i].Of(c), "%s %s", kind, Metrics[i].Name)
		}
	}
	// A video class knows its queue even when no clip waited; a chat class
	// whose backend reports no queueing leaves it out. A video class has no
	// tokens, so no TTFT (its clip start is the queue wait).
	for kind, want := range map[string][]string{"chat": {"ttft", "ttft_intended", "tpot", "e2e", "e2e_intended", "schedule_delay"}, "video": {"e2e", "e2e_intended", "queue", "schedule_delay", "task_e2e"}} {
		s := NewSummary([]ClassInfo{{Name: "c", Kind: kind}}, 0)
		r := &Record{Class: "c", Kind: kind, Intended: 1, Sent: 1, FirstToken: 2e6, LastToken: 9e6, OutputTokens: 3}
		if kind == "video" {
			r.OutputTokens, r.TaskDone = 0, true
		}
		s.Add(r)
		c := s.Result(Meta{}).Classes["c"]
		var present []string
		for i := range Metrics {
			if Metrics[i].Of(c) != nil {
				present = append(present, Metrics[i].Name)
			}
		}
		require.Equal(t, want, present, kind)
	}
}

// TestUnknownSLOKeyMessage lists the registry's SLO keys.
func TestUnknownSLOKeyMessage(t *testing.T) {
	_, err := sloFromVerdict(&SLOVerdict{Targets: []SLOTarget{{Metric: "ttfb_ms", Percentile: "p99", Bound: 1}}})
	require.EqualError(t, err, `unknown SLO metric "ttfb_ms" (want ttft_ms, tpot_ms, e2e_ms, queue_s or completion_s)`)
}

// TestMetricSLOKeysInSpec: every SLO key of the registry names a field of
// slo.Spec (Bounds reads the spec through it).
func TestMetricSLOKeysInSpec(t *testing.T) {
	n := 0
	for i := range Metrics {
		if s := Metrics[i].SLO; s != nil {
			require.NotNil(t, (&slo.Spec{}).Field(s.Key), s.Key)
			n++
		}
	}
	require.Len(t, slo.Metrics, n, "slo.Spec and the registry bound the same metrics")
}

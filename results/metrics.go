package results

import (
	"strings"

	"github.com/fleetbench/fleetbench/slo"
)

// Metrics is the one list of latency metrics: distributions of per-request
// (or, for ITL, per-token) durations kept as an HDR histogram per class.
// The summary, the result file (ClassResult fields and histograms), merge,
// SLO judging, compare (names, gates, significance samples), the terminal
// table, the HTML report and sweep points all iterate it, so adding a
// metric is one entry here, one ClassResult field for the JSON contract,
// and the entry's test cases (metrics_test.go iterates this list).
//
// The order is the order of the JSON histograms, the table rows and the
// report's charts: append, never reorder.
var Metrics = [...]Metric{
	{
		Name: "ttft", Key: "ttft_ms", Label: "TTFT", Title: "TTFT (time to first token)",
		Unit: "ms", LowerIsBetter: true, Shown: true, TokenOnly: true,
		Value: (*Record).TTFT, required: notVideo,
		field:        func(c *ClassResult) **Percentiles { return &c.TTFT },
		CompareStats: []string{"p50", "p90", "p99"}, ReportStats: []string{"p50", "p99"}, SweepStats: []string{"p50", "p99"},
		SLO: &MetricSLO{Key: "ttft_ms", Label: "TTFT", Unit: "ms", MsPerUnit: 1},
	},
	{
		Name: "ttft_intended", Key: "ttft_intended_ms", Label: "TTFT from intended send", Title: "TTFT from the intended send time",
		Unit: "ms", LowerIsBetter: true, ClientTable: true, TokenOnly: true,
		Value: (*Record).TTFTIntended,
		field: func(c *ClassResult) **Percentiles { return &c.TTFTIntended },
	},
	{
		Name: "tpot", Key: "tpot_ms", Label: "TPOT", Title: "TPOT (time per output token)",
		Unit: "ms", LowerIsBetter: true, Shown: true, TokenOnly: true,
		Value: (*Record).TPOT, required: notVideo,
		field:        func(c *ClassResult) **Percentiles { return &c.TPOT },
		CompareStats: []string{"p50", "p99"}, ReportStats: []string{"p50", "p99"}, SweepStats: []string{"p99"},
		// A one-token request has no TPOT and cannot violate it.
		SLO: &MetricSLO{Key: "tpot_ms", Label: "TPOT", Unit: "ms", MsPerUnit: 1,
			missingMeets: func(*Record) bool { return true }},
	},
	{
		Name: "itl", Key: "itl_ms", Label: "ITL", Title: "ITL (inter-token latency)",
		Unit: "ms", LowerIsBetter: true, Shown: true, TokenOnly: true, PerToken: true,
		required:     notVideo,
		field:        func(c *ClassResult) **Percentiles { return &c.ITL },
		CompareStats: []string{"p50", "p99"}, ReportStats: []string{"p99"},
	},
	{
		Name: "e2e", Key: "e2e_ms", Label: "E2E", Title: "E2E (request latency)",
		Unit: "ms", LowerIsBetter: true, Shown: true,
		Value: (*Record).E2E, required: everyKind,
		field:        func(c *ClassResult) **Percentiles { return &c.E2E },
		CompareStats: []string{"p50", "p99"}, ReportStats: []string{"p50", "p99"}, SweepStats: []string{"p99"},
		SLO: &MetricSLO{Key: "e2e_ms", Label: "E2E", Unit: "ms", MsPerUnit: 1},
	},
	{
		Name: "e2e_intended", Key: "e2e_intended_ms", Label: "E2E from intended send", Title: "E2E from the intended send time",
		Unit: "ms", LowerIsBetter: true, ClientTable: true,
		Value: (*Record).E2EIntended,
		field: func(c *ClassResult) **Percentiles { return &c.E2EIntended },
	},
	{
		Name: "queue", Key: "queue_ms", Label: "queue", Title: "Queue wait",
		Unit: "ms", LowerIsBetter: true, Shown: true, ZeroUnknown: true,
		Value:        func(r *Record) (int64, bool) { return r.QueueNs, true },
		required:     videoOnly,
		field:        func(c *ClassResult) **Percentiles { return &c.Queue },
		CompareStats: []string{"p50", "p99"}, ReportStats: []string{"p99"}, SweepStats: []string{"p99"},
		SLO: &MetricSLO{Key: "queue_s", Label: "queue wait", Unit: "s", MsPerUnit: 1000},
	},
	{
		Name: "schedule_delay", Key: "schedule_delay_ms", Label: "schedule delay", Title: "Schedule delay (actual minus intended send time)",
		Unit: "ms", LowerIsBetter: true, ClientTable: true, AcrossKinds: true,
		Value: (*Record).ScheduleDelay,
		field: func(c *ClassResult) **Percentiles { return &c.ScheduleDelay },
	},
	{
		Name: "task_e2e", Key: "task_e2e_ms", Label: "task E2E", Title: "Task completion (whole session)",
		Unit: "ms", LowerIsBetter: true, Shown: true, TaskOnly: true,
		Value:        (*Record).TaskE2E,
		field:        func(c *ClassResult) **Percentiles { return &c.TaskE2E },
		CompareStats: []string{"p50", "p99"}, ReportStats: []string{"p99"},
		// Only the record that finished its task is judged.
		SLO: &MetricSLO{Key: "completion_s", Label: "task completion", Unit: "s", MsPerUnit: 1000,
			missingMeets: func(r *Record) bool { return !r.TaskDone }},
	},
}

// numMetrics is the number of latency metrics (a constant: the length of
// the Metrics array), the size of the per-class histogram arrays.
const numMetrics = len(Metrics)

// metric indexes Metrics (and the histograms kept per class).
type metric int

// Metric describes one latency metric; see Metrics.
type Metric struct {
	// Name is the short name of compare rows, gates and significance
	// samples ("tpot"); compare also accepts Key.
	Name string
	// Key is the JSON name in class results and in the histograms section
	// ("tpot_ms").
	Key string
	// Label is the name people read in tables ("TPOT"); Title heads the
	// HTML report's charts.
	Label, Title string
	// Unit of the summary's values (always "ms": histograms hold µs and
	// percentiles are rendered in ms).
	Unit string
	// LowerIsBetter colours a rise as a regression in reports.
	LowerIsBetter bool

	// Value reads the metric from one record; false when the record does
	// not define it (no token, one-token TPOT, unfinished task). Nil for
	// PerToken metrics.
	Value func(*Record) (int64, bool)
	// PerToken metrics have one value per inter-token gap: Record.ITL.
	PerToken bool

	// Shown puts the metric in the terminal table and the report's charts;
	// the others (intended-time variants, schedule delay) are diagnostics
	// read from the JSON and compare.
	Shown bool
	// ClientTable puts the metric in the terminal table too when a client
	// measured the result (backend other than "sim"): there the send can
	// lag the schedule, and the intended-time figures and the schedule
	// delay say by how much (in the simulator they equal the plain ones).
	ClientTable bool
	// AcrossKinds metrics keep their meaning pooled over classes of
	// different kinds (the schedule delay measures the client, not the
	// request): the tables show them in a mixed total. The others are
	// latencies of the request, and a percentile over chat turns and video
	// jobs together is no figure anyone should read: tables leave them out
	// of a mixed total (the JSON keeps them, labelled by kind "mixed").
	AcrossKinds bool
	// TokenOnly metrics need generated tokens: video classes (whose first
	// "token" is the clip start, a copy of the queue wait) leave them out
	// of their results and get no chart of them.
	TokenOnly bool
	// TaskOnly metrics repeat E2E unless a task has several requests: the
	// report charts them for agent classes only.
	TaskOnly bool
	// ZeroUnknown: backends that cannot see the metric leave it 0, so an
	// all-zero distribution means "unknown", not "no wait", unless the
	// class's kind always measures it (required).
	ZeroUnknown bool

	// CompareStats are the statistics compare shows by default, ReportStats
	// those of the HTML report's class tables, SweepStats those kept per
	// sweep point (as SweepKey(stat)). Empty: not shown there by default.
	CompareStats, ReportStats, SweepStats []string

	// SLO, when set, lets scenarios bound the metric's percentiles.
	SLO *MetricSLO

	// required says for which class kinds the metric is part of the result
	// contract: present (maybe with zero count) even without data. Nil:
	// present only with data.
	required func(kind string) bool
	// field is the metric's ClassResult field.
	field func(*ClassResult) **Percentiles
}

// MetricSLO is how a metric is bounded in a class's SLO.
type MetricSLO struct {
	// Key names the bound in scenarios and in the verdict, with the bound's
	// unit ("queue_s").
	Key string
	// Label and Unit are the reader's name and unit of a bound ("queue
	// wait", "s").
	Label, Unit string
	// MsPerUnit converts a bound to milliseconds.
	MsPerUnit float64
	// missingMeets says whether a request for which the metric is undefined
	// still meets the bound (nil: it does not).
	missingMeets func(*Record) bool
}

func notVideo(kind string) bool  { return kind != "video" }
func videoOnly(kind string) bool { return kind == "video" }
func everyKind(string) bool      { return true }

// ClientOnly reports whether m is a client-side metric that r cannot have
// measured: the simulator has no client, so its intended-send latencies
// would equal TTFT and E2E and its schedule delay would be 0. Sim results
// leave these out (absent, never a copy or 0: build, and Decode for files
// written before), and tables and exports skip them.
func (m *Metric) ClientOnly(r *Result) bool {
	return m.ClientTable && r != nil && !clientMeasured(r.Backend)
}

// clientMeasured reports whether a result of this backend was measured by
// a client (a load generator with a send schedule): every backend but the
// simulator.
func clientMeasured(backend string) bool { return backend != "sim" }

// Of returns the metric's percentiles in c (nil when absent or c is nil).
func (m *Metric) Of(c *ClassResult) *Percentiles {
	if c == nil {
		return nil
	}
	return *m.field(c)
}

// Stat returns statistic stat ("p99", "mean", ...) of the metric in c;
// false when c lacks the metric or it has no samples.
func (m *Metric) Stat(c *ClassResult, stat string) (float64, bool) {
	p := m.Of(c)
	if p == nil || p.Count == 0 {
		return 0, false
	}
	return p.Get(stat)
}

// SweepKey is the name of a statistic of the metric in a sweep point's
// metrics ("tpot_p99_ms").
func (m *Metric) SweepKey(stat string) string { return m.Name + "_" + stat + "_" + m.Unit }

// KindMixed is the totals' kind when the classes are of different kinds:
// their latency percentiles then pool chat turns with agent steps or video
// jobs (docs/metrics.md, "Totals over classes of different kinds").
const KindMixed = "mixed"

// PooledOverKinds reports whether the sweep metric key is a request
// latency (a statistic of a latency metric that is not AcrossKinds, as
// SweepKey names them): of a kind-mixed total it describes no request
// anyone sent, so tables and charts leave it out (the JSON keeps it,
// labelled).
func PooledOverKinds(key string) bool {
	for i := range Metrics {
		m := &Metrics[i]
		if m.AcrossKinds || !strings.HasPrefix(key, m.Name+"_") || !strings.HasSuffix(key, "_"+m.Unit) {
			continue
		}
		st := strings.TrimSuffix(strings.TrimPrefix(key, m.Name+"_"), "_"+m.Unit)
		if st != "" && !strings.Contains(st, "_") {
			return true
		}
	}
	return false
}

// Bounds returns the SLO's percentile bounds for this metric (nil when the
// metric has no SLO or none is set).
func (m *Metric) Bounds(s *slo.Spec) map[string]float64 {
	if m.SLO == nil || s == nil {
		return nil
	}
	return (*s.Field(m.SLO.Key)).Map()
}

// requiredFor reports whether the metric is present in a class result of
// this kind even without samples.
func (m *Metric) requiredFor(kind string) bool { return m.required != nil && m.required(kind) }

// MetricByName finds a metric by Name or Key ("tpot" or "tpot_ms").
func MetricByName(name string) (*Metric, bool) {
	for i := range Metrics {
		if Metrics[i].Name == name || Metrics[i].Key == name {
			return &Metrics[i], true
		}
	}
	return nil, false
}

// MetricBySLOKey finds the metric an SLO key bounds ("queue_s").
func MetricBySLOKey(key string) (*Metric, bool) {
	for i := range Metrics {
		if s := Metrics[i].SLO; s != nil && s.Key == key {
			return &Metrics[i], true
		}
	}
	return nil, false
}

// metricByKey finds a metric index by its JSON key ("tpot_ms").
func metricByKey(key string) (metric, bool) {
	for i := range Metrics {
		if Metrics[i].Key == key {
			return metric(i), true
		}
	}
	return 0, false
}

// sloKeys lists the SLO keys for messages: "a, b, c or d".
func sloKeys() string {
	var k []string
	for i := range Metrics {
		if s := Metrics[i].SLO; s != nil {
			k = append(k, s.Key)
		}
	}
	if len(k) < 2 {
		return strings.Join(k, "")
	}
	return strings.Join(k[:len(k)-1], ", ") + " or " + k[len(k)-1]
}

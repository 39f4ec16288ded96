package results

import (
	"fmt"
	"maps"
	"sort"
	"strings"
)

// Schema is the result file contract version written into every result.
const Schema = "fleetbench.result/v1"

// Meta is what the summary cannot know from records: which backend ran,
// the scenario, the fleet, and optionally the measurement window.
type Meta struct {
	Backend  string // "sim" | "endpoint"
	Scenario ScenarioInfo
	Fleet    *FleetInfo // sim: pools, GPU types, TP, counts; endpoint: as declared, or nil
	// StartNs and EndNs set the measurement window when EndNs > StartNs;
	// otherwise it runs from the end of the warm-up to the last task arrival
	// (the end of arrivals; see docs/metrics.md).
	StartNs, EndNs int64
	Extra          map[string]any // free-form additions, written under "extra"
}

// ScenarioInfo identifies the scenario a result came from.
type ScenarioInfo struct {
	Name string `json:"name"`
	Seed uint64 `json:"seed"`
	Hash string `json:"hash"`
}

// Window is the measurement window rates, cost and utilization are
// computed over, in run time (ns since run start), with seconds for people
// and scripts: from the end of the warm-up to the end of arrivals. The
// requests of tasks that arrived in it are measured whole, including the
// parts that finish in the drain after EndNs (up to DrainEndS).
type Window struct {
	StartNs   int64   `json:"start_ns"`
	EndNs     int64   `json:"end_ns"`
	StartS    float64 `json:"start_s"`
	EndS      float64 `json:"end_s"`
	DurationS float64 `json:"duration_s"`
	WarmupS   float64 `json:"warmup_s"`
	// DrainEndS is the last completion of a measured request.
	DrainEndS float64 `json:"drain_end_s,omitempty"`
	// WarmupScenarioS is the scenario's warm-up when a shortened run
	// (--requests, --duration) cut it down to WarmupS.
	WarmupScenarioS float64 `json:"warmup_scenario_s,omitempty"`
	// LagS is the longest time a measured request sent in the last 10% of
	// the window waited for the fleet (see Lag), and LagOf what it waited
	// for: queue, ttft or itl. Absent when not measured. Over DurationS it says whether the fleet kept up
	// (FellBehind, docs/metrics.md#keeping-up).
	LagS  *float64 `json:"lag_s,omitempty"`
	LagOf string   `json:"lag_of,omitempty"`
}

func makeWindow(start, end, warmup int64) Window {
	if end < start {
		end = start
	}
	return Window{StartNs: start, EndNs: end, StartS: roundDec(float64(start)/1e9, 9), EndS: roundDec(float64(end)/1e9, 9),
		DurationS: roundDec(float64(end-start)/1e9, 9), WarmupS: roundDec(float64(warmup)/1e9, 9)}
}

// Result is one run's result file (contract fleetbench.result/v1). Extend
// it, never rename or remove a field: CI scripts parse it.
type Result struct {
	Schema     string                       `json:"schema"`
	Backend    string                       `json:"backend"`
	Scenario   ScenarioInfo                 `json:"scenario"`
	Fleet      *FleetInfo                   `json:"fleet,omitempty"`
	Window     Window                       `json:"window"`
	Classes    map[string]*ClassResult      `json:"classes"`
	Totals     *ClassResult                 `json:"totals"`
	Cost       *Cost                        `json:"cost,omitempty"`
	Histograms map[string]map[string]string `json:"histograms"` // class -> metric -> base64 HDR V2
	Timeline   *Timeline                    `json:"timeline,omitempty"`
	Extra      map[string]any               `json:"extra,omitempty"`
	// Attribution splits each pool's busy time over classes:
	// class -> pool role -> share in [0,1] (the simulator measures it per
	// step; the cost model uses it to charge classes in PD and colocated
	// fleets).
	Attribution map[string]map[string]float64 `json:"attribution,omitempty"`
	// Telemetry is the GPU telemetry (NVML) recorded during a real run.
	Telemetry *Telemetry `json:"telemetry,omitempty"`
	// ServerMetrics is the scraped Prometheus timeline of the server.
	ServerMetrics *ServerMetrics `json:"server_metrics,omitempty"`
	// Warnings say why numbers should not be trusted, e.g. a saturated
	// client (schedule delay p99 over ClientSaturatedP99Ms).
	Warnings []string `json:"warnings,omitempty"`
}

// ClientSaturatedP99Ms is the schedule-delay p99 (actual minus intended send
// time) above which a run is flagged as client-saturated: the load generator,
// not the server, limited the offered load.
const ClientSaturatedP99Ms = 50

// ClassResult is one class's (or the totals') metrics. Latencies are in
// milliseconds. Counters are exact; rates use the result window.
type ClassResult struct {
	Kind          string           `json:"kind"` // chat | agent | video | trace; totals: the common kind or "mixed"
	Requests      int64            `json:"requests"`
	Completed     int64            `json:"completed"`
	Errors        int64            `json:"errors"`
	ErrorsByClass map[string]int64 `json:"errors_by_class,omitempty"`
	// ErrorExamples is the first error message of each error class (as
	// ErrorsByClass; API keys redacted, cut to MaxErrorExample bytes): why
	// requests failed, which the counts alone do not say (a server's "model
	// not found"). Absent without messages (the simulator gives few).
	ErrorExamples map[string]string `json:"error_examples,omitempty"`
	Tasks         int64             `json:"tasks"`                  // tasks completed (last request succeeded)
	TasksFailed   int64             `json:"tasks_failed,omitempty"` // tasks whose last request failed (not dropped at --max-inflight)

	TTFT          *Percentiles `json:"ttft_ms,omitempty"`
	TTFTIntended  *Percentiles `json:"ttft_intended_ms,omitempty"`
	TPOT          *Percentiles `json:"tpot_ms,omitempty"`
	ITL           *Percentiles `json:"itl_ms,omitempty"`
	E2E           *Percentiles `json:"e2e_ms,omitempty"`
	E2EIntended   *Percentiles `json:"e2e_intended_ms,omitempty"`
	Queue         *Percentiles `json:"queue_ms,omitempty"`
	ScheduleDelay *Percentiles `json:"schedule_delay_ms,omitempty"`
	TaskE2E       *Percentiles `json:"task_e2e_ms,omitempty"`

	// Token counts and the output token rate are absent (nil) where no
	// tokens are generated (video classes, video-only totals; HasTokens),
	// never 0: read them with Tokens and Rate.
	InputTokens  *int64   `json:"input_tokens,omitempty"`
	CachedTokens *int64   `json:"cached_tokens,omitempty"`
	OutputTokens *int64   `json:"output_tokens,omitempty"`
	CacheHitRate *float64 `json:"cache_hit_rate,omitempty"` // Σcached / Σinput; absent without input (video)

	OutputTokensPerS *float64 `json:"output_tokens_per_s,omitempty"`
	// RequestsPerS (completions) and TasksPerS are per second of the
	// measurement window, 0 when nothing completed in it; absent when the
	// result has no window (a simulation stopped before the warm-up ended):
	// a rate over no time is not a measured 0.
	RequestsPerS *float64 `json:"requests_per_s,omitempty"`
	TasksPerS    *float64 `json:"tasks_per_s,omitempty"`

	SLOMet int64 `json:"slo_met"` // requests meeting every per-request bound
	// SLOAttainment is SLOMet / Requests and GoodputRPS SLOMet per second
	// of window; both absent when no request could be judged: without
	// requests, or when a metric the SLO bounds was not measured while
	// requests completed (a --no-stream run has no TTFT: its requests were
	// never within a TTFT bound, nor out of it).
	SLOAttainment *float64    `json:"slo_attainment,omitempty"`
	GoodputRPS    *float64    `json:"goodput_rps,omitempty"`
	SLO           *SLOVerdict `json:"slo,omitempty"` // per-percentile verdict (classes only)

	Clips        int64   `json:"clips,omitempty"`         // video clips completed
	VideoSeconds float64 `json:"video_seconds,omitempty"` // video generated, seconds
	Preemptions  int64   `json:"preemptions,omitempty"`
	// OverContext counts the completed requests whose prompt + output
	// exceed the model's context (classes only; absent when none, or when
	// the context is unknown): a real server refuses them.
	OverContext *OverContext `json:"over_context,omitempty"`

	// TokensByTier splits the token counts by the input-length tiers of the
	// class's price list (classes only; see ClassInfo.PriceTiers).
	TokensByTier []TierTokens `json:"tokens_by_tier,omitempty"`

	Cost *ClassCost `json:"cost,omitempty"` // filled by the cost model
}

// HasTokens reports whether the class's requests generate tokens: every
// kind but video (a video job's work is clips and video seconds, so its
// token counts and rates are not figures of it; tables show them absent).
func (c *ClassResult) HasTokens() bool { return c.Kind != "video" }

// Tokens returns the input, cached and output token counts; 0 where they
// are absent (a video class: nothing to add to a sum).
func (c *ClassResult) Tokens() (input, cached, output int64) {
	return count(c.InputTokens), count(c.CachedTokens), count(c.OutputTokens)
}

func count(p *int64) int64 {
	if p == nil {
		return 0
	}
	return *p
}

// Count returns *p as a float, or 0 and false when p is nil (a token
// count of a class that generates no tokens).
func Count(p *int64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return float64(*p), true
}

// Result renders the summary as a result. It can be called more than once
// (e.g. for progress reports); the summary's figures are not changed (its
// pending per-token counts move into their histograms).
func (s *Summary) Result(m Meta) *Result {
	for _, c := range s.classes {
		c.settle()
	}
	start, end := s.warmupNs, s.lastArrivalNs
	switch {
	case m.EndNs > m.StartNs:
		start, end = m.StartNs, m.EndNs
	case s.seen && end <= start:
		// Every measured task arrived at one instant: the only span the
		// run has is the drain.
		end = s.lastEndNs
	}
	win := makeWindow(start, end, s.warmupNs)
	if s.seen {
		win.DrainEndS = roundDec(float64(s.lastEndNs)/1e9, 9)
	}
	return build(m.Backend, m.Scenario, m.Fleet, m.Extra, win, s.classes, s.timeline)
}

// shortWindow starts the warning on a window shorter than the median
// request (build; Merge recomputes it rather than carry a part's).
const shortWindow = "short window:"

// build is the single path from accumulators to a Result, shared by
// Summary.Result and Merge so that merged and unsplit results agree.
func build(backend string, sc ScenarioInfo, fleet *FleetInfo, extra map[string]any, win Window, classes map[string]*classAcc, tl *timelineAcc) *Result {
	r := &Result{
		Schema:     Schema,
		Backend:    backend,
		Scenario:   sc,
		Fleet:      fleet,
		Window:     win,
		Classes:    make(map[string]*ClassResult, len(classes)),
		Histograms: map[string]map[string]string{},
		Extra:      extra,
	}
	names := make([]string, 0, len(classes))
	for n := range classes {
		names = append(names, n)
	}
	sort.Strings(names) // totals merge in a fixed order: deterministic means
	total := newClassAcc(ClassInfo{})
	total.seesAll = backend == "sim"
	total.noClient = !clientMeasured(backend)
	kinds := map[string]bool{}
	for _, n := range names {
		c := classes[n]
		c.seesAll, c.noClient = total.seesAll, total.noClient
		r.Classes[n] = c.result(win, true)
		total.mergeKnown(c)
		kinds[c.info.Kind] = true
		enc := map[string]string{}
		for m, h := range c.hists {
			if h == nil || h.TotalCount() == 0 || !c.measures(metric(m)) {
				continue
			}
			if s, err := encodeHist(h); err == nil {
				enc[Metrics[m].Key] = s
			}
		}
		if len(enc) > 0 {
			r.Histograms[n] = enc
		}
	}
	total.info.Kind = "mixed"
	if len(kinds) == 1 {
		for k := range kinds {
			total.info.Kind = k
		}
	}
	r.Totals = total.result(win, false)
	if w := overContextWarning(names, r); w != "" {
		r.Warnings = append(r.Warnings, w)
	}
	if unjudged(r) {
		r.Totals.SLOAttainment, r.Totals.GoodputRPS = nil, nil
	}
	if sd := r.Totals.ScheduleDelay; sd != nil && sd.P99 > ClientSaturatedP99Ms {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"client saturated: schedule delay p99 %.1f ms > %d ms; the load generator fell behind, so latencies understate the offered load (see the *_intended_ms metrics)",
			sd.P99, ClientSaturatedP99Ms))
	}
	if e2e := r.Totals.E2E; backend == "sim" && e2e != nil && win.DurationS > 0 && e2e.P50/1e3 > win.DurationS {
		// Most of the measured requests' work falls after the window, so
		// busy time (utilization, energy, J per token) covers its start
		// only. Only the simulator measures busy time: an endpoint's
		// result has none of these figures to warn about.
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			shortWindow+" the measured window (%.3g s) is shorter than the median request (E2E p50 %.2f s), so most of their work falls after it: utilization, energy and J per output token count only the busy time inside the window; lengthen --duration or --requests for steady-state figures",
			win.DurationS, e2e.P50/1e3))
	} else if e2e := r.Totals.E2E; backend != "sim" && e2e != nil && win.DurationS > 0 && e2e.P50/1e3 > win.DurationS {
		// A client measures no busy time, but its rates are the measured
		// requests' work over the window: with most of it after the
		// window they are the offered load, not what the endpoint
		// sustained (run --requests 1: "output tok/s 102" from one
		// request sent at the end of a 0.128 s window).
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			shortWindow+" the measured window (%.3g s) is shorter than the median request (E2E p50 %.2f s): the rates (completed/s, output tok/s, goodput) divide the measured requests' work by the window, so they are the offered load, not a throughput the endpoint sustained; lengthen --duration or --requests for steady-state figures",
			win.DurationS, e2e.P50/1e3))
	} else if backend == "sim" && win.DurationS > 0 {
		// The totals' median can fit the window while one class's
		// requests (video clips of a minute beside chat) or tasks (an
		// agent session of many short requests) outlast it.
		var long []string
		what := "request"
		for _, n := range names {
			switch c := r.Classes[n]; {
			case c.E2E != nil && c.E2E.P50/1e3 > win.DurationS:
				long = append(long, fmt.Sprintf("%s (E2E p50 %.2f s)", n, c.E2E.P50/1e3))
			case c.TaskE2E != nil && c.TaskE2E.P50/1e3 > win.DurationS:
				long = append(long, fmt.Sprintf("%s (task E2E p50 %.2f s)", n, c.TaskE2E.P50/1e3))
				what = "request or task"
			}
		}
		if len(long) > 0 {
			of, its, it := "class", "its", "it runs"
			if len(long) > 1 {
				of, its, it = "classes", "their", "they run"
			}
			r.Warnings = append(r.Warnings, fmt.Sprintf(
				shortWindow+" the measured window (%.3g s) is shorter than the median %s of %s %s, so most of %s work falls after it: the utilization and energy of the pools %s on, and %s share of their cost, count only the busy time inside the window (a class whose work is still building up there gets less than its steady-state share); lengthen --duration or --requests for steady-state figures",
				win.DurationS, what, of, strings.Join(long, ", "), its, it, its))
		}
	}
	r.Timeline = tl.export()
	if r.Timeline != nil && !r.Totals.HasTokens() {
		r.Timeline.OutputTokens = nil // a video-only run generates no tokens
	}
	if lag, of, ok := Lag(r); ok {
		v := roundDec(lag, 6)
		r.Window.LagS, r.Window.LagOf = &v, of
	}
	r.markFinishedOnly()
	r.markOverContext()
	return r
}

// result renders one accumulator. Classes carry the SLO verdict; totals
// mix classes with different SLOs and carry only attainment and goodput.
func (c *classAcc) result(win Window, withSLO bool) *ClassResult {
	c.settle()
	out := &ClassResult{
		Kind:         c.info.Kind,
		Requests:     c.requests,
		Completed:    c.completed,
		Errors:       c.errors,
		Tasks:        c.tasks,
		TasksFailed:  c.tasksFailed,
		SLOMet:       c.sloMet,
		Clips:        c.clips,
		VideoSeconds: roundDec(c.videoSeconds, 6),
		Preemptions:  c.preemptions,
	}
	if len(c.errorFirst) > 0 {
		out.ErrorExamples = maps.Clone(c.errorFirst)
	}
	if len(c.errorsBy) > 0 {
		out.ErrorsByClass = make(map[string]int64, len(c.errorsBy))
		for k, v := range c.errorsBy {
			if v != 0 {
				out.ErrorsByClass[k] = v
			}
		}
	}
	var pcts [numMetrics]*Percentiles
	for i := range Metrics {
		m := metric(i)
		if !c.measures(m) {
			continue // absent from the result and its SLO verdict alike
		}
		pcts[m] = summarize(c.hists[m])
		// A metric is present only when measured (a non-streaming run has
		// no TTFT, TPOT or ITL: absent, never 0), and never when unknown;
		// the kinds a metric is required for know it even when it looks
		// like zero (a video queue with no wait).
		if pcts[m].Count > 0 && (Metrics[m].requiredFor(c.info.Kind) || c.known(m)) {
			*Metrics[m].field(out) = pcts[m]
		}
	}
	tokens := out.HasTokens() // totals: "mixed" or an LLM kind
	if tokens {
		in, cached, output := c.input, c.cached, c.output // copies: the summary goes on counting
		out.InputTokens, out.CachedTokens, out.OutputTokens = &in, &cached, &output
	}
	if c.input > 0 {
		out.CacheHitRate = ptr(roundSig(float64(c.cached) / float64(c.input)))
	}
	judged := c.judged(out)
	if c.requests > 0 && judged {
		out.SLOAttainment = ptr(roundSig(float64(c.sloMet) / float64(c.requests)))
	}
	if d := float64(win.EndNs-win.StartNs) / 1e9; d > 0 {
		if tokens {
			out.OutputTokensPerS = ptr(roundSig(float64(c.output) / d))
		}
		out.RequestsPerS = ptr(roundSig(float64(c.completed) / d))
		out.TasksPerS = ptr(roundSig(float64(c.tasks) / d))
		if judged && c.requests > 0 { // none: no request met or missed it
			out.GoodputRPS = ptr(roundSig(float64(c.sloMet) / d))
		}
	}
	if withSLO {
		out.SLO = verdict(&c.info.SLO, pcts)
		out.TokensByTier = c.tiers.export()
		out.OverContext = c.exportOverContext()
	}
	return out
}

func ptr(v float64) *float64 { return &v }

// judged reports whether out's requests could each be judged against the
// class's SLO: false when some bounded metric (one a request cannot
// simply lack, as a one-token reply lacks TPOT) has no measured sample
// although requests completed. Then SLOMet counts no request as meeting
// it, and an attainment of 0% would read as every request missing it.
func (c *classAcc) judged(out *ClassResult) bool {
	if c.completed == 0 {
		return true // every request failed: none met the SLO
	}
	for i, b := range c.th {
		m := &Metrics[i]
		if b >= 0 && m.SLO != nil && m.SLO.missingMeets == nil && *m.field(out) == nil {
			return false
		}
	}
	return true
}

// unjudged reports whether a class of r has requests but no attainment
// (see judged): the totals then have none either.
func unjudged(r *Result) bool {
	for _, c := range r.Classes {
		if c != nil && c.Requests > 0 && c.SLOAttainment == nil {
			return true
		}
	}
	return false
}

// Ratio returns *p, or 0 and false when p is nil (the ratio is undefined:
// CacheHitRate without input tokens, SLOAttainment without requests,
// OutputTokensPerS of a class that generates no tokens).
func Ratio(p *float64) (float64, bool) {
	if p == nil {
		return 0, false
	}
	return *p, true
}

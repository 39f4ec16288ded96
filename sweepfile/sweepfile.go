package sweepfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"regexp"
	"slices"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/shard"
)

// Schema identifies a sweep file (the output of "fleetbench sweep"), as
// opposed to a single-run result (Schema).
const Schema = "fleetbench.sweep/v1"

// Sweep is the result of "fleetbench sweep": one simulation per grid point
// (fleet × GPU × TP × routing × traffic multiplier), or the points a search
// visited, plus the search's pick. Shards of one sweep merge (Merge).
type Sweep struct {
	// Schema is Schema.
	Schema string `json:"schema"`
	// Scenario names the scenario every point ran.
	Scenario results.ScenarioInfo `json:"scenario"`
	// Search is the search that produced the points: "" (a plain grid),
	// "min-fleet", "max-load", "best-split" or "scale".
	Search string `json:"search,omitempty"`
	// Objective is what best-split maximises or minimises: "goodput" or
	// "cost"; empty for the other searches.
	Objective string `json:"objective,omitempty"`
	// Grid describes the grid and the workload options canonically; shards
	// merge only when it is equal.
	Grid string `json:"grid,omitempty"`
	// Shard is "i/n" when this file holds only the points with
	// index % n == i; empty for a whole sweep.
	Shard string `json:"shard,omitempty"`
	// Points are ordered by Index.
	Points []Point `json:"points"`
	// Answer is the search's pick; nil for a plain grid or when no point
	// qualifies (Notes then say why).
	Answer *Point `json:"answer,omitempty"`
	// Notes are human-readable remarks (why no answer, bisection bounds…).
	Notes []string `json:"notes,omitempty"`
	// Interrupted is set when the sweep was stopped (Ctrl-C): points not
	// run or cut short say so in their Error, and there is no answer.
	Interrupted bool `json:"interrupted,omitempty"`

	// Target is the endpoint a live sweep (sweep --target) measured; empty
	// for simulated sweeps. Its points are load steps against it.
	Target string `json:"target,omitempty"`
	// Predicted are the simulator's runs of the same steps for the fleet
	// declared with --predict (same Index as the measured step), absent
	// without --predict.
	Predicted []Point `json:"predicted,omitempty"`
	// PredictedFleet is the fleet --predict declared.
	PredictedFleet string `json:"predicted_fleet,omitempty"`
	// PredictedAnswer is the simulator's own max-load answer for that fleet
	// (its bisection, to the same tolerance).
	PredictedAnswer *Point `json:"predicted_answer,omitempty"`
	// Saturation is where throughput stopped growing with offered load
	// while queueing grew, measured and (with --predict) predicted.
	Saturation []Saturation `json:"saturation,omitempty"`
}

// Point is one simulation of a sweep.
type Point struct {
	// Index is the position in the full grid, stable across shards.
	Index int `json:"index"`
	// Fleet is the fleet in docs/design.md notation (e.g. "4P8D").
	Fleet string `json:"fleet"`
	// GPU is the GPU type of the instances (catalog key, e.g. "h100");
	// absent for a live endpoint's step (unknown).
	GPU string `json:"gpu,omitempty"`
	// TP is the tensor-parallel degree (GPUs per instance) the LLM pools
	// ran at; absent where there is none to give: a video-only fleet, LLM
	// pools of different degrees, a live endpoint, a point whose fleet
	// could not be built.
	TP int `json:"tp,omitempty"`
	// Routing is the routing policy; absent for a fleet without LLM pools
	// (video only), which routes no LLM request.
	Routing string `json:"routing,omitempty"`
	// RateScale multiplies every class's arrival rate.
	RateScale float64 `json:"rate_scale"`
	// Scale is the scale-curve multiplier applied to traffic and fleet
	// together; 0 outside a scale curve.
	Scale float64 `json:"scale,omitempty"`
	// GPUs is the total GPU count of the fleet; absent where it is not
	// known (a live endpoint's step, a fleet that could not be built).
	GPUs int `json:"gpus,omitempty"`
	// MeetsSLO is true when every class met every SLO and the fleet kept
	// up with the offered load (a fleet that fell behind is never an
	// answer: its window cost leaves out its backlog).
	MeetsSLO bool `json:"meets_slo"`
	// FellBehind is set when the fleet did not keep up with the offered
	// load (results.FellBehind; docs/metrics.md#keeping-up).
	FellBehind bool `json:"fell_behind,omitempty"`
	// Metrics are totals of the run: each latency metric's SweepStats
	// (results.Metric.SweepKey, e.g. "e2e_p99_ms"), cache_hit_rate,
	// slo_attainment, goodput_rps, usd_per_task, usd_per_hour, utilization,
	// output_tok_s, ... (a metric that does not apply is absent).
	Metrics map[string]float64 `json:"metrics"`
	// Kind is "mixed" (results.KindMixed) when the point's classes are of
	// different kinds (chat with agent or video): its latency metrics then
	// pool them, as the result file's totals do, and describe no request
	// anyone sent; tables and charts leave them out (docs/metrics.md).
	// Empty when every class is of one kind.
	Kind string `json:"kind,omitempty"`
	// Classes are each class's latency statistics (the latency keys of
	// Metrics, per class name) of a kind-mixed point; absent otherwise.
	Classes map[string]map[string]float64 `json:"classes,omitempty"`
	// OverContext counts the completed requests whose prompt + output
	// exceed the model's context, over the point's classes (a server
	// refuses them; the point's figures count them as served); absent when
	// none (results.OverContext).
	OverContext *results.OverContext `json:"over_context,omitempty"`
	// FailedClasses names the classes whose every measured request failed
	// (none completed): a workload no fleet size serves (prompts longer
	// than an instance's KV cache, say), not a capacity miss; absent when
	// none.
	FailedClasses []string `json:"failed_classes,omitempty"`
	// FailedErrors are the error counts (by error class, drops left out)
	// of each class in FailedClasses: why no request of it completed.
	FailedErrors map[string]map[string]int64 `json:"failed_errors,omitempty"`
	// IdleClasses are the classes with an SLO no request of which arrived
	// in the window: their SLO is not judged (not measured), so the point
	// cannot meet every SLO, for want of requests, not of capacity.
	IdleClasses []string `json:"idle_classes,omitempty"`
	// Warnings are the point's result's own warnings (short window, over
	// the model's context, fell behind, ...): its figures are read with
	// them, as a result file's are; absent when none.
	Warnings []string `json:"warnings,omitempty"`
	// Result is the full result, kept only with --keep-results.
	Result *results.Result `json:"result,omitempty"`
	// Error says why the point did not run (bad configuration); the other
	// fields except the grid coordinates are then zero.
	Error string `json:"error,omitempty"`

	// Concurrency is a live closed-loop step's number of tasks in flight
	// (sweep --target --concurrency); 0 for open-loop steps.
	Concurrency int `json:"concurrency,omitempty"`
	// Repeats is how many times a live step ran (--repeat); Metrics are
	// then the means over the repeats and CI95 the half-widths of their
	// 95% confidence intervals (Student t), by the same keys.
	Repeats int                `json:"repeats,omitempty"`
	CI95    map[string]float64 `json:"ci95,omitempty"`
	// Stopped says why a live step ended before its bound (clearly over
	// its SLO, client saturated, the sweep's time or request cap).
	Stopped string `json:"stopped,omitempty"`
}

// Searches and objectives a Sweep may name.
const (
	SearchMinFleet  = "min-fleet"
	SearchMaxLoad   = "max-load"
	SearchBestSplit = "best-split"
	SearchScale     = "scale"

	ObjectiveGoodput = "goodput"
	ObjectiveCost    = "cost"
)

// Shown returns p.Metrics[key] as tables and charts show it: absent when
// the point did not run, lacks the metric, or key is a request latency
// pooled over classes of different kinds (Kind mixed; the JSON keeps it,
// labelled by Kind).
func (p *Point) Shown(key string) (float64, bool) {
	v, ok := p.Metrics[key]
	if !ok || p.Error != "" || p.Kind == results.KindMixed && results.PooledOverKinds(key) {
		return 0, false
	}
	return v, true
}

// MixedNote is the line under a table of points some of which pool
// classes of different kinds (Kind mixed), saying why their latency cells
// are empty and where each class's are; "" when no point does.
func MixedNote(points []Point) string {
	if !slices.ContainsFunc(points, func(p Point) bool { return p.Kind == results.KindMixed }) {
		return ""
	}
	return "no latency over classes of different kinds (kind mixed): a percentile over chat turns, agent steps and video jobs together describes no request; " +
		"each class's latencies are in the sweep file (points[].classes) and the CSV (class:metric columns)"
}

// Measured reports whether the point ran and completed some request
// (requests_per_s counts completions): a point whose every request failed
// measured nothing, whatever its verdict says.
func (p *Point) Measured() bool { return p.Error == "" && p.Metrics["requests_per_s"] > 0 }

// metric returns p.Metrics[k], or def when the point lacks it.
func (p *Point) metric(k string, def float64) float64 {
	if v, ok := p.Metrics[k]; ok {
		return v
	}
	return def
}

// better reports whether a beats b for the search; both are candidates.
// Every ordering ends on Index so that the pick is unique and does not
// depend on the order points were evaluated or merged in.
func better(search, objective string, a, b *Point) bool {
	inf := math.Inf(1)
	type key struct {
		v   float64
		max bool // larger is better
	}
	var keys []key
	switch search {
	case SearchMinFleet:
		keys = []key{{float64(a.GPUs) - float64(b.GPUs), false},
			{a.metric("usd_per_hour", inf) - b.metric("usd_per_hour", inf), false},
			{a.metric("usd_per_task", inf) - b.metric("usd_per_task", inf), false}}
	case SearchMaxLoad:
		keys = []key{{a.RateScale - b.RateScale, true}, {float64(a.GPUs) - float64(b.GPUs), false}}
	case SearchBestSplit:
		if objective == ObjectiveCost {
			keys = []key{{a.metric("usd_per_task", inf) - b.metric("usd_per_task", inf), false},
				{a.metric("goodput_rps", 0) - b.metric("goodput_rps", 0), true}}
		} else {
			keys = []key{{a.metric("goodput_rps", 0) - b.metric("goodput_rps", 0), true},
				{boolF(a.MeetsSLO) - boolF(b.MeetsSLO), true},
				{a.metric("usd_per_task", inf) - b.metric("usd_per_task", inf), false}}
		}
	}
	for _, k := range keys {
		if math.IsNaN(k.v) || k.v == 0 { // NaN: both infinite
			continue
		}
		return (k.v > 0) == k.max
	}
	return a.Index < b.Index
}

func boolF(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

// PickAnswer returns the point a search picks from points, or nil when none
// qualifies or the search picks nothing (a plain grid, a scale curve):
//   - min-fleet: fewest GPUs meeting every SLO, then lowest USD per hour,
//     then lowest USD per task;
//   - max-load: highest rate scale meeting every SLO, then fewest GPUs;
//   - best-split, objective goodput: highest goodput (requests meeting
//     their SLOs per second), then meeting every SLO, then lowest USD per
//     task; objective cost: lowest USD per task meeting every SLO.
//
// Ties go to the lowest Index. The returned point is a copy without Result
// (the full result stays with its point).
func PickAnswer(search, objective string, points []Point) *Point {
	var best *Point
	for i := range points {
		p := &points[i]
		if p.Error != "" {
			continue
		}
		switch search {
		case SearchMinFleet, SearchMaxLoad:
			if !p.MeetsSLO {
				continue
			}
		case SearchBestSplit:
			if objective == ObjectiveCost && !p.MeetsSLO {
				continue
			}
			if objective != ObjectiveCost && p.metric("goodput_rps", 0) <= 0 {
				continue
			}
		default:
			return nil
		}
		if best == nil || better(search, objective, p, best) {
			best = p
		}
	}
	if best == nil {
		return nil
	}
	a := *best
	a.Result = nil
	a.Metrics = maps.Clone(best.Metrics)
	return &a
}

// Validate checks what readers and Merge rely on: the schema, a
// well-formed shard, points in increasing Index order belonging to the
// shard.
func (s *Sweep) Validate() error {
	if s.Schema != Schema {
		if s.Schema == "" {
			return fmt.Errorf("no \"schema\" field: not a fleetbench sweep file (want schema %q)", Schema)
		}
		if other := results.OtherKind(s.Schema, "fleetbench.sweep/"); other != "" {
			return fmt.Errorf("schema is %q: this is %s, not a sweep file (the files sweep -o writes)", s.Schema, other)
		}
		return fmt.Errorf("schema is %q, want %q: regenerate the file or use a matching fleetbench version", s.Schema, Schema)
	}
	var set []int
	n := 1
	if s.Shard != "" {
		var err error
		if set, n, err = shard.Parse(s.Shard, true); err != nil {
			return err
		}
	}
	for i, p := range s.Points {
		if p.Index < 0 || (i > 0 && p.Index <= s.Points[i-1].Index) {
			return fmt.Errorf("points[%d]: index %d is negative or not above the previous point's: points must be in increasing index order", i, p.Index)
		}
		if p.GPUs < 0 || p.TP < 0 {
			return fmt.Errorf("points[%d] (fleet %q): negative GPU or TP count", i, p.Fleet)
		}
		if set != nil && !slices.Contains(set, p.Index%n) {
			return fmt.Errorf("points[%d]: index %d does not belong to shard %s (index %% %d = %d)", i, p.Index, s.Shard, n, p.Index%n)
		}
	}
	return nil
}

// Merge combines shards of one sweep (same scenario, search, objective
// and grid; disjoint shards of the same count) into one: points are united
// in index order, notes are united, and the answer is picked again from all
// points, so merging every shard gives the unsharded sweep's answer; the
// notes derived from the points (PointNotes) are counted again over all.
func Merge(ss ...*Sweep) (*Sweep, error) {
	if len(ss) == 0 {
		return nil, errors.New("results: merge sweeps: no sweeps given")
	}
	first := ss[0]
	out := &Sweep{Schema: Schema, Scenario: first.Scenario, Search: first.Search, Objective: first.Objective, Grid: first.Grid}
	var set []int
	n := 0
	for i, s := range ss {
		which := fmt.Sprintf("sweep %d", i+1)
		if s == nil {
			return nil, fmt.Errorf("results: merge sweeps: %s is nil", which)
		}
		if err := s.Validate(); err != nil {
			return nil, fmt.Errorf("results: merge sweeps: %s: %w", which, err)
		}
		if s.Shard == "" {
			return nil, fmt.Errorf("results: merge sweeps: %s is a whole sweep, not a shard (no \"shard\"): only shards written with --shard i/n merge", which)
		}
		if s.Scenario != first.Scenario {
			return nil, fmt.Errorf("results: merge sweeps: %s ran scenario %q seed %d hash %q, sweep 1 ran %q seed %d hash %q: only shards of one sweep merge",
				which, s.Scenario.Name, s.Scenario.Seed, s.Scenario.Hash, first.Scenario.Name, first.Scenario.Seed, first.Scenario.Hash)
		}
		if s.Search != first.Search || s.Objective != first.Objective {
			return nil, fmt.Errorf("results: merge sweeps: %s is search %q objective %q, sweep 1 is %q %q: run every shard with the same flags",
				which, s.Search, s.Objective, first.Search, first.Objective)
		}
		if s.Grid != first.Grid {
			return nil, fmt.Errorf("results: merge sweeps: %s swept grid %q, sweep 1 swept %q: run every shard with the same flags", which, s.Grid, first.Grid)
		}
		sset, sn, _ := shard.Parse(s.Shard, true) // valid: checked by Validate
		if n == 0 {
			n = sn
		}
		if sn != n {
			return nil, fmt.Errorf("results: merge sweeps: %s is shard %s, sweep 1 was cut into %d shards: merge shards of one --shard i/%d run", which, s.Shard, n, n)
		}
		for _, v := range sset {
			if slices.Contains(set, v) {
				return nil, fmt.Errorf("results: merge sweeps: %s holds shard %d/%d again: pass each shard once", which, v, n)
			}
			set = append(set, v)
		}
		out.Points = append(out.Points, s.Points...)
		out.Predicted = append(out.Predicted, s.Predicted...)
		derived := PointNotes(s.Points) // counted again over every point below
		for _, note := range s.Notes {
			if !slices.Contains(out.Notes, note) && !slices.Contains(derived, note) {
				out.Notes = append(out.Notes, note)
			}
		}
	}
	slices.Sort(set)
	out.Shard = shard.Format(set, n)
	slices.SortFunc(out.Points, func(a, b Point) int { return a.Index - b.Index })
	slices.SortFunc(out.Predicted, func(a, b Point) int { return a.Index - b.Index })
	if out.Search == SearchBestSplit { // as the whole sweep notes it (shards do not)
		if note := SplitTieNote(out.Objective, out.Points); note != "" {
			out.Notes = append(out.Notes, note)
		}
	}
	if out.Search == SearchMinFleet { // as the whole sweep notes it (shards do not)
		smallest := 0
		for _, p := range out.Points {
			if p.GPUs > 0 && (smallest == 0 || p.GPUs < smallest) {
				smallest = p.GPUs
			}
		}
		if note := GridEdgeNote(PickAnswer(SearchMinFleet, "", out.Points), smallest); note != "" {
			out.Notes = append(out.Notes, note)
		}
	}
	out.Notes = append(out.Notes, PointNotes(out.Points)...)
	out.Target, out.PredictedFleet = first.Target, first.PredictedFleet
	out.Answer = PickAnswer(out.Search, out.Objective, out.Points)
	return out, nil
}

// WriteJSON writes s as indented JSON followed by a newline; identical
// sweeps give identical bytes.
func WriteJSON(w io.Writer, s *Sweep) error {
	if s == nil {
		return errors.New("results: WriteJSON: nil sweep")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return fmt.Errorf("results: encode sweep JSON: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// Decode reads and validates a sweep; name (usually the path) is used
// in error messages.
func Decode(r io.Reader, name string) (*Sweep, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("results: read %s: %w", name, err)
	}
	var s Sweep
	if err := results.UnmarshalFile(name, data, &s, "sweep"); err != nil {
		return nil, err
	}
	if err := s.Validate(); err != nil {
		return nil, fmt.Errorf("results: %s: %w", name, err)
	}
	return &s, nil
}

// Read reads and validates a sweep file.
func Read(path string) (*Sweep, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	return Decode(f, path)
}

// poolCount matches a pool's instance count in a fleet spec ("2P", "4D",
// "1C", "32V").
var poolCount = regexp.MustCompile(`(\d+)[PDCV]`)

// GridEdgeNote notes a min-fleet answer a in the grid's smallest GPU tier
// (smallest GPUs): no smaller fleet was evaluated, so the answer bounds
// the minimum from above only ("" otherwise). Not for a fleet of one
// instance per pool, below which there is no fleet of that GPU and TP.
func GridEdgeNote(a *Point, smallest int) string {
	if a == nil || smallest == 0 || a.GPUs > smallest {
		return ""
	}
	single := true
	for _, m := range poolCount.FindAllStringSubmatch(a.Fleet, -1) {
		single = single && m[1] == "1"
	}
	if single {
		return ""
	}
	return fmt.Sprintf("the answer %s (%d GPUs) is in the grid's smallest GPU tier: no smaller fleet was tried, so a smaller one may meet every SLO too; "+
		"extend the grid downward (--prefill/--decode from 1, or a smaller --fleet, --tp) to find the smallest", a.Fleet, a.GPUs)
}

// SplitTieNote notes a best-split search on cost whose candidates (the
// splits meeting every SLO) all cost the same per task: one GPU budget
// costs the same on every split that completes the same tasks, so the
// answer is the first by index, not a cheaper split ("" otherwise).
func SplitTieNote(objective string, points []Point) string {
	if objective != ObjectiveCost {
		return ""
	}
	var costs []float64
	for i := range points {
		if p := &points[i]; p.Error == "" && p.MeetsSLO {
			costs = append(costs, p.metric("usd_per_task", math.Inf(1)))
		}
	}
	if len(costs) < 2 || math.IsInf(costs[0], 0) {
		return ""
	}
	for _, c := range costs[1:] {
		if math.Abs(c-costs[0]) > 1e-9*math.Abs(costs[0]) {
			return ""
		}
	}
	return fmt.Sprintf("every split meeting every SLO costs the same per task ($%g: one GPU budget, the same tasks completed), so the answer is the first by index, not a cheaper split: "+
		"on one budget cost separates only splits that fail tasks; use --objective goodput at a --rate-scale where the splits differ, or --search min-fleet for a cheaper fleet", costs[0])
}

// Package livesweep runs sweeps against a live OpenAI-compatible endpoint:
// grids of traffic multipliers or closed-loop concurrencies, and the
// max-load search, each step a bounded run of the real runner engine
// (runners.Run). The max-load bisection is sweep.MaxLoad, the simulator's
// own, so a live search visits steps the way the simulated one does; with
// a declared fleet the simulator runs the same steps beside them
// (Predict). The output is a sweepfile.Sweep, so report, compare and merge
// read live sweeps like simulated ones.
package livesweep

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Limits of a live sweep; every sweep is bounded in time and requests.
const (
	// DefaultMaxTime is the default total time cap of a live sweep.
	DefaultMaxTime = 30 * time.Minute
	// DefaultMaxRequests is the default cap on requests of a live sweep.
	DefaultMaxRequests = 200000
	// MaxRepeat bounds --repeat.
	MaxRepeat = 20
	// MaxSteps bounds a grid's steps (each is a real load run).
	MaxSteps = 200
)

// Runner measures load steps of one scenario against an endpoint.
type Runner struct {
	// Scenario is the scenario every step plays.
	Scenario *scenarios.Scenario
	// Client is the endpoint runner's configuration (target, model, API);
	// Concurrency is set per step on closed-loop grids.
	Client runners.Config
	// Workload bounds every step (Requests and/or Duration; both zero
	// plays the scenario's whole duration); each step's multiplier
	// replaces RateScale.
	Workload scenarios.WorkloadOptions
	// Warmup is the user's --warmup (nil: the scenario's, cut per step to
	// 10% of a shortened run, as run and sim do).
	Warmup *time.Duration
	// MaxTime and MaxRequests cap the whole sweep (0: DefaultMaxTime,
	// DefaultMaxRequests): a step that would start past them is not run
	// (its point says so) and the search stops there.
	MaxTime     time.Duration
	MaxRequests int
	// Repeat runs every step this many times (0 or 1: once); the point
	// keeps the means and 95% confidence half-widths.
	Repeat int
	// NoEarlyStop keeps every step running to its bound even when it is
	// already clearly over an SLO.
	NoEarlyStop bool
	// Predict, when set, is the simulator for the declared fleet: it runs
	// the same steps, and its own max-load search.
	Predict *Prediction
	// Progress, when set, is called after each step.
	Progress func(p *sweepfile.Point)

	ctx   context.Context
	start time.Time
	sent  int
	steps uint64 // runs started, for each one's prompt salt
	// nonce makes the salts of this sweep differ from an earlier sweep's
	// against the same server (which would otherwise replay its prompts
	// into a warm prefix cache).
	nonce uint64
	short int // runs whose arrival span was under 10 E2E p50s
}

// saltFor is the prompt salt (runners.Config.PromptSalt) of run n of a
// sweep (n offset by the sweep's nonce): splitmix64 of n, so salts of
// different runs differ in many bits.
func saltFor(n uint64) uint64 {
	z := n*0x9e3779b97f4a7c15 + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// Run executes spec (a grid of spec.Grid.RateScales, a grid of
// concurrency levels, or spec.Search max-load) against the endpoint and
// returns the sweep file. Invalid specs are errors; steps that fail carry
// their error.
func Run(ctx context.Context, r *Runner, spec sweep.Spec, concurrency []int) (*sweepfile.Sweep, error) {
	if r.Scenario == nil {
		return nil, errors.New("livesweep: no scenario")
	}
	if err := r.validate(spec, concurrency); err != nil {
		return nil, err
	}
	r.ctx, r.start, r.sent, r.steps, r.short = ctx, time.Now(), 0, 0, 0
	r.nonce = uint64(r.start.UnixNano())
	sc := r.Scenario
	sw := &sweepfile.Sweep{Schema: sweepfile.Schema, Search: spec.Search, Target: runners.RedactURL(r.Client.Target),
		Scenario: results.ScenarioInfo{Name: sc.Name, Seed: sc.Seed, Hash: sc.Hash()}}
	if r.Workload.Seed != nil {
		sw.Scenario.Seed = *r.Workload.Seed
	}
	base := sweep.Point{Fleet: endpointFleet, RateScale: 1}
	switch {
	case spec.Search == sweepfile.SearchMaxLoad:
		if len(spec.Grid.RateScales) == 1 {
			base.RateScale = spec.Grid.RateScales[0]
		}
		if err := sweep.MaxLoad(spec, []sweep.Point{base}, 1, r.Step, sw); err != nil {
			return nil, err
		}
	case len(concurrency) > 0:
		var pts []sweep.Point
		for _, c := range concurrency {
			pts = append(pts, sweep.Point{Index: len(pts), Fleet: endpointFleet, RateScale: 1, Concurrency: c})
		}
		sw.Grid = sweep.Describe(pts, "concurrency "+spec.Describe)
		sw.Points = r.grid(shardOf(spec, pts, sw))
	default:
		var pts []sweep.Point
		for _, rs := range spec.Grid.RateScales {
			pts = append(pts, sweep.Point{Index: len(pts), Fleet: endpointFleet, RateScale: rs})
		}
		sw.Grid = sweep.Describe(pts, spec.Describe)
		sw.Points = r.grid(shardOf(spec, pts, sw))
	}
	sw.Answer = sweepfile.PickAnswer(sw.Search, "", sw.Points)
	// The steps' own warnings, as a simulated sweep lists its points'.
	sw.Notes = append(sw.Notes, sweepfile.WarningsNotes(sw.Points, "steps", stepLabel)...)
	if r.short > 0 {
		sw.Notes = append(sw.Notes, fmt.Sprintf("%d step run(s) sent their requests in less than 10 median E2E latencies: delivered throughput (output tokens to the last completion) is biased low there, so saturation evidence is indicative; lengthen the steps (--requests, --duration)", r.short))
	}
	if s := Saturation("measured", sw.Points); s != nil {
		sw.Saturation = append(sw.Saturation, *s)
	}
	if r.Predict != nil {
		if err := r.Predict.run(spec, base, sw); err != nil {
			return nil, err
		}
	}
	return sw, nil
}

// shardOf keeps the grid steps of spec's shard (--shard i/n) and names
// the shard in sw, so that "fleetbench merge" joins the shards.
func shardOf(spec sweep.Spec, pts []sweep.Point, sw *sweepfile.Sweep) []sweep.Point {
	if spec.ShardN == 0 {
		return pts
	}
	sw.Shard = fmt.Sprintf("%d/%d", spec.ShardI, spec.ShardN)
	return sweep.Shard(pts, spec.ShardI, spec.ShardN)
}

// endpointFleet names the fleet of measured steps: whatever serves the
// target (the declared fleet, if any, is Sweep.PredictedFleet).
const endpointFleet = "endpoint"

func (r *Runner) validate(spec sweep.Spec, concurrency []int) error {
	if r.Repeat < 0 || r.Repeat > MaxRepeat {
		return fmt.Errorf("--repeat %d: want 1..%d", r.Repeat, MaxRepeat)
	}
	if r.MaxTime < 0 || r.MaxRequests < 0 {
		return errors.New("--max-time and --max-requests must not be negative")
	}
	if r.Workload.Requests == 0 && r.Workload.Duration == 0 && r.Scenario.Duration == 0 {
		return errors.New("a live step needs a bound: pass --requests N or --duration D per step")
	}
	switch spec.Search {
	case "", sweepfile.SearchMaxLoad:
	default:
		return fmt.Errorf("--target runs grids and --search max-load; %s searches fleets, which a live endpoint cannot change: run it in the simulator (drop --target)", spec.Search)
	}
	if len(spec.Grid.Fleets) > 0 || len(spec.Grid.GPUs) > 1 || len(spec.Grid.TPs) > 1 || len(spec.Grid.Routings) > 0 || len(spec.Grid.Scales) > 0 {
		return errors.New("--target measures the endpoint as it is: fleet, routing and scale axes do not apply (use --predict FLEET with --gpu/--tp for the simulator's prediction)")
	}
	if len(concurrency) > 0 && (spec.Search != "" || len(spec.Grid.RateScales) > 0) {
		return errors.New("--concurrency makes a closed-loop grid: it does not combine with --rate-scale or --search")
	}
	if len(concurrency) == 0 && spec.Search == "" && len(spec.Grid.RateScales) == 0 {
		return errors.New("--target needs --search max-load, a --rate-scale grid or a --concurrency grid")
	}
	if len(concurrency)+len(spec.Grid.RateScales) > MaxSteps {
		return fmt.Errorf("%d steps, more than %d: every step is a real load run", len(concurrency)+len(spec.Grid.RateScales), MaxSteps)
	}
	for _, c := range concurrency {
		if c < 1 || c > runners.DefaultSenders {
			return fmt.Errorf("--concurrency %d: want 1..%d", c, runners.DefaultSenders)
		}
	}
	return nil
}

func (r *Runner) grid(pts []sweep.Point) []sweepfile.Point {
	out := make([]sweepfile.Point, 0, len(pts))
	for _, p := range pts {
		out = append(out, r.Step(p))
	}
	return out
}

func (r *Runner) maxTime() time.Duration {
	if r.MaxTime > 0 {
		return r.MaxTime
	}
	return DefaultMaxTime
}

func (r *Runner) maxRequests() int {
	if r.MaxRequests > 0 {
		return r.MaxRequests
	}
	return DefaultMaxRequests
}

// Step measures one load step (Repeat times) and returns its point; a
// step that could not run carries an Error, which ends a search.
func (r *Runner) Step(p sweep.Point) (sp sweepfile.Point) {
	sp = sweepfile.Point{Index: p.Index, Fleet: p.Fleet, RateScale: p.RateScale, Concurrency: p.Concurrency}
	defer func() {
		if r.Progress != nil {
			r.Progress(&sp)
		}
	}()
	n := max(r.Repeat, 1)
	var reps []sweepfile.Point
	for range n {
		if why := r.capped(); why != "" {
			sp.Error = why
			return sp
		}
		one := r.once(p)
		if one.Error != "" {
			sp.Error = one.Error
			return sp
		}
		reps = append(reps, one)
	}
	return combine(sp, reps)
}

// capped says why no further step may start ("" when one may).
func (r *Runner) capped() string {
	if err := r.ctx.Err(); err != nil {
		return "not run: the sweep was interrupted"
	}
	if el := time.Since(r.start); el >= r.maxTime() {
		return fmt.Sprintf("not run: the sweep's time cap (--max-time %s) was reached after %s", r.maxTime(), el.Round(time.Second))
	}
	if r.sent >= r.maxRequests() {
		return fmt.Sprintf("not run: the sweep's request cap (--max-requests %d) was reached (%d sent)", r.maxRequests(), r.sent)
	}
	return ""
}

// once runs the step once through runners.Run.
func (r *Runner) once(p sweep.Point) sweepfile.Point {
	sp := sweepfile.Point{Index: p.Index, Fleet: p.Fleet, RateScale: p.RateScale, Concurrency: p.Concurrency}
	wo := r.Workload
	wo.RateScale = p.RateScale
	closed := p.Concurrency > 0
	explicit := time.Duration(-1)
	if r.Warmup != nil {
		explicit = *r.Warmup
	}
	warm, err := r.Scenario.WarmupFor(wo, explicit, closed)
	if err != nil {
		sp.Error = err.Error()
		return sp
	}
	sc := r.Scenario.WithWarmup(warm.D)
	cfg := r.Client
	cfg.Concurrency = p.Concurrency
	r.steps++
	cfg.PromptSalt = saltFor(r.nonce + r.steps)
	// The step stops at the sweep's time cap, or early (stopper) when it
	// is already clearly over an SLO.
	ctx, cancel := context.WithTimeout(r.ctx, max(r.maxTime()-time.Since(r.start), time.Millisecond))
	defer cancel()
	var st *stopper
	if !r.NoEarlyStop {
		st = newStopper(sc, wo.Requests, int64(warm.D), cancel)
		st.chain(&cfg)
		cfg.Grace = -1 // a step stopped early cancels what is in flight at once
	}
	res, stats, err := runners.Run(ctx, sc, cfg, wo)
	r.sent += int(stats.Records)
	var ce *runners.ConfigError
	if errors.As(err, &ce) || res == nil {
		if err == nil {
			err = errors.New("the runner returned no result")
		}
		sp.Error = err.Error()
		return sp
	}
	sweep.FillPoint(&sp, res)
	addStats(&sp, res)
	if e2e, ok := sp.Metrics["e2e_p50_ms"]; ok && res.Window.DurationS < 10*e2e/1000 {
		r.short++
	}
	switch {
	case st != nil && st.reason() != "":
		sp.Stopped, sp.MeetsSLO = st.reason(), false
	case stats.Interrupted && r.ctx.Err() == nil:
		sp.Stopped, sp.MeetsSLO = fmt.Sprintf("stopped at the sweep's time cap (--max-time %s)", r.maxTime()), false
	case stats.Interrupted:
		sp.Error = "interrupted"
		return sp
	}
	for _, f := range results.Check(res, results.Limits{MaxErrorRate: 1, MaxDropRate: 1}) {
		if f.Check == results.CheckSaturation {
			// The client, not the server, limited this step: its latencies
			// are not the server's, so the search must not use it.
			sp.Error = "client saturated: " + f.Message + " (raise --senders, or run the load from more machines with --shard)"
		}
	}
	return sp
}

// addStats adds what the measured-vs-predicted table shows beyond a
// sweep point's usual metrics: TTFT and TPOT p50 and p99, and the
// throughput the endpoint delivered: output tokens of the measured
// requests over the time from the window's start to the last completion
// (output_tok_s divides by the arrival span, so it follows the offered
// load even past saturation; this one levels off).
func addStats(sp *sweepfile.Point, res *results.Result) {
	if res == nil || res.Totals == nil || sp.Error != "" {
		return
	}
	if sp.Metrics == nil {
		sp.Metrics = map[string]float64{}
	}
	add := func(dst map[string]float64, c *results.ClassResult) {
		for _, name := range []string{"ttft", "tpot", "e2e"} {
			m, ok := results.MetricByName(name)
			if !ok {
				continue
			}
			for _, st := range []string{"p50", "p99"} {
				if v, ok := m.Stat(c, st); ok {
					dst[m.SweepKey(st)] = v
				}
			}
		}
	}
	add(sp.Metrics, res.Totals)
	for name, cm := range sp.Classes { // a kind-mixed step's own classes
		add(cm, res.Classes[name])
	}
	w := res.Window
	if _, _, out := res.Totals.Tokens(); w.DrainEndS-w.StartS > 0 && out > 0 {
		sp.Metrics[DeliveredKey] = float64(out) / (w.DrainEndS - w.StartS)
	}
}

// DeliveredKey is the point metric of delivered output throughput.
const DeliveredKey = "delivered_tok_s"

// stepLabel names a step in a note: "step 2 (1.5x)", "step 0 (concurrency 4)".
func stepLabel(p *sweepfile.Point) string {
	if p.Concurrency > 0 {
		return fmt.Sprintf("step %d (concurrency %d)", p.Index, p.Concurrency)
	}
	return fmt.Sprintf("step %d (%sx)", p.Index, strconv.FormatFloat(p.RateScale, 'g', 4, 64))
}

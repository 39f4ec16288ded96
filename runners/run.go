package runners

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// Stats says how a run went beyond what the result file holds.
type Stats struct {
	Start       time.Time     // time origin: record times are ns since Start (monotonic)
	Elapsed     time.Duration // wall time of the run, grace period included
	Records     int64         // records produced (sent, dropped, failed, cancelled)
	Errors      int64         // records with an error class (dropped and cancelled included)
	Dropped     int64         // arrivals not sent at the --max-inflight cap
	Cancelled   int64         // requests cut off after the grace period
	Unsent      int64         // follow-up turns never sent because the run was interrupted
	Senders     int           // open loop: senders started (at most Config.Senders or MaxInflight)
	Interrupted bool          // the context was cancelled before the workload ended
	// StoppedEarly is why Config.StopEarly ended the run ("" = it did not).
	StoppedEarly string
}

// run is one endpoint run's shared state.
type run struct {
	cfg    *Config
	sc     *scenarios.Scenario
	caller *caller
	sink   *sink
	soft   context.Context // cancelled: stop sending
	hard   context.Context // cancelled: abort requests in flight
	wg     sync.WaitGroup  // every goroutine playing requests (open loop)

	later   laterQueue   // open loop: follow-up requests until they are due
	senders int          // open loop: senders started
	active  atomic.Int64 // open loop: requests dispatched and not finished
	unsent  atomic.Int64
	early   string // why Config.StopEarly ended the run, set after the wait
	// stoppedAt is the run time at which sending was stopped (Ctrl-C or
	// --stop-early), set by wait.
	stoppedAt time.Duration

	tmu   sync.Mutex
	tasks map[uint64]*transcript // agent tasks in progress, by TaskID
}

// Run drives the endpoint in cfg with the scenario's workload and returns
// the result (backend "endpoint"), built by results.Summary from the
// records. Cancelling ctx (Ctrl-C) stops new sends, lets requests in flight
// finish for cfg.Grace, cancels the rest (error class "cancelled") and
// still returns the result of everything collected; Stats.Interrupted is
// then set. Bad configuration returns a *ConfigError and no result.
//
// The HTTP loop is our own rather than vegeta's Attacker: the Attacker
// measures whole responses, while fleetbench must time every streamed chunk
// and let one goroutine play a whole agent session. Pacing still goes
// through a vegeta.Pacer (TimesPacer) over the workload's arrival times.
func Run(ctx context.Context, sc *scenarios.Scenario, cfg Config, wo scenarios.WorkloadOptions) (*results.Result, Stats, error) {
	if err := cfg.Validate(); err != nil {
		return nil, Stats{}, err
	}
	if sc == nil {
		return nil, Stats{}, configErr("no scenario")
	}
	wl, err := sc.NewWorkload(wo)
	if err != nil {
		return nil, Stats{}, configErr("scenario %q: %v", sc.Name, err)
	}
	defer wl.Close()

	header := http.Header{}
	for k, v := range cfg.Header {
		header[k] = append([]string(nil), v...)
	}
	header.Set("Content-Type", "application/json")
	if !cfg.NoStream {
		header.Set("Accept", "text/event-stream")
	}
	if cfg.APIKey != "" {
		header.Set("Authorization", "Bearer "+cfg.APIKey)
	}

	infos := make([]results.ClassInfo, len(sc.Classes))
	for i, c := range sc.Classes {
		infos[i] = results.ClassInfoFor(c)
	}
	hard, hardCancel := context.WithCancelCause(context.WithoutCancel(ctx))
	defer hardCancel(nil)
	soft, stopSoft := ctx, context.CancelCauseFunc(func(error) {})
	if cfg.StopEarly != nil {
		soft, stopSoft = context.WithCancelCause(ctx)
	}
	defer stopSoft(nil)
	x := &run{cfg: &cfg, sc: sc, soft: soft, hard: hard,
		sink:  newSink(results.NewSummary(infos, int64(sc.Warmup)), cfg.Records),
		tasks: map[uint64]*transcript{}}
	x.sink.warn, x.sink.tkName = cfg.Warnings, cfg.Tokenizer.Name()
	x.sink.redact = secretsOf(append([]string{cfg.Target}, cfg.RedactURLs...), cfg.APIKey, cfg.Header.Values("Authorization"))
	sched := newSchedule(wl, sc, wo.RateScale, cfg.Shard, cfg.Shards)
	client := cfg.Client
	if client == nil {
		client = newHTTPClient(cfg.ConnectTimeout, cfg.connections(), writeBufferFor(&cfg, sched))
	}
	x.caller = newCaller(&cfg, client, cfg.Client == nil, header)
	if h1 := x.caller.h1; h1 != nil {
		defer h1.close()
		defer context.AfterFunc(hard, h1.cancel)()
	}

	start := time.Now()
	x.caller.start = start
	var hookErrs []error
	for i, h := range cfg.Hooks {
		if err := h.Start(hard, start); err != nil {
			for _, s := range cfg.Hooks[:i] {
				_ = s.Stop(nil)
			}
			return nil, Stats{}, configErr("%v", err)
		}
	}
	x.sink.start()
	stopProgress := x.startProgress()
	endWatch := x.watchEarly(stopSoft)

	if cfg.Concurrency > 0 {
		x.closedLoop(sched, wl, sc, wo)
	} else {
		x.openLoop(sched)
	}
	interrupted := x.wait(hardCancel)
	x.sink.stop() // every record aggregated before anything reads the summary
	x.early = endWatch()
	if x.early != "" && ctx.Err() == nil {
		interrupted = false // stopped by --stop-early, not by the user
	}
	stopProgress()
	elapsed := time.Since(start)

	res := x.result(wo, interrupted)
	for _, h := range cfg.Hooks {
		if err := h.Stop(res); err != nil {
			hookErrs = append(hookErrs, err)
		}
	}
	snap := x.sink.snapshot()
	st := Stats{Start: start, Elapsed: elapsed, Records: snap.done, Errors: snap.errors, Dropped: snap.dropped,
		Cancelled: snap.cancelled, Unsent: x.unsent.Load(), Senders: x.senders, Interrupted: interrupted, StoppedEarly: x.early}
	errs := append(hookErrs, wl.Err())
	if x.sink.werr != nil {
		errs = append(errs, fmt.Errorf("write records: %w", x.sink.werr))
	}
	return res, st, errors.Join(errs...)
}

// closedLoop runs cfg.Concurrency workers; each plays one task (all its
// turns and sub-agents) at a time and takes the next as soon as it ends.
// The intended time of a task's first request is when the worker took it.
func (x *run) closedLoop(s *schedule, wl *scenarios.Workload, sc *scenarios.Scenario, wo scenarios.WorkloadOptions) {
	dur := sc.Duration
	if wo.Duration > 0 {
		dur = wo.Duration
	}
	var mu sync.Mutex
	for range x.cfg.Concurrency {
		x.wg.Add(1)
		go func() {
			defer x.wg.Done()
			for x.soft.Err() == nil {
				now := x.caller.now()
				if dur > 0 && now >= int64(dur) {
					return
				}
				mu.Lock()
				r, ok := s.nextRequest()
				mu.Unlock()
				if !ok {
					return
				}
				var task sync.WaitGroup
				x.play(r, x.caller.now(), &task)
				task.Wait()
			}
		}()
	}
}

// wait waits for every request to finish; after an interruption it gives
// them the grace period, then cancels the rest. It reports whether the run
// was interrupted.
func (x *run) wait(hardCancel context.CancelCauseFunc) bool {
	done := make(chan struct{})
	go func() { x.wg.Wait(); close(done) }()
	select {
	case <-done:
		x.stoppedAt = time.Since(x.caller.start)
		return x.soft.Err() != nil
	case <-x.soft.Done():
	}
	x.stoppedAt = time.Since(x.caller.start)
	t := time.NewTimer(x.cfg.Grace)
	defer t.Stop()
	select {
	case <-done:
	case <-t.C:
		hardCancel(errRunCancelled)
		<-done
	}
	return true
}

// play sends r at intended and then the requests its completion releases
// (closed loop): the next turn continues in this goroutine (after waiting
// the tool time in real time), parallel sub-agents get goroutines of their
// own (added to wg), and whichever sub-agent finishes last carries the
// parent on.
func (x *run) play(r *scenarios.Request, intended int64, wg *sync.WaitGroup) {
	for r != nil {
		if !x.sleepUntil(intended) {
			x.unsent.Add(1)
			return
		}
		tr := x.transcript(r, intended)
		rec, out := x.send(r, intended, tr)
		next := x.finish(r, intended, tr, rec, out)
		if len(next) == 0 {
			return
		}
		for _, n := range next[1:] {
			wg.Add(1)
			go func() {
				defer wg.Done()
				x.play(n, n.Arrival, wg)
			}()
		}
		r, intended = next[0], next[0].Arrival
	}
}

// finish completes r's record (task bookkeeping, transcript), hands it to
// the sink and returns the requests its completion releases.
func (x *run) finish(r *scenarios.Request, intended int64, tr *transcript, rec *results.Record, out []byte) []*scenarios.Request {
	at := x.caller.now()
	var next []*scenarios.Request
	taskDone := true
	if r.Task != nil {
		next, taskDone = r.Task.Complete(r, at, rec.OutputTokens)
	}
	if tr != nil {
		tr.finished(r.Prompt, out)
		rec.TaskStart = tr.start
		if taskDone {
			x.tmu.Lock()
			delete(x.tasks, r.TaskID)
			x.tmu.Unlock()
		}
	} else if rec.TaskStart == 0 {
		rec.TaskStart = intended
	}
	rec.TaskDone = taskDone
	x.sink.add(rec)
	return next
}

// transcript returns the agent task's transcript (creating it on the
// task's first request), or nil for requests that are their own task.
func (x *run) transcript(r *scenarios.Request, intended int64) *transcript {
	if r.Kind != scenarios.KindAgent {
		return nil
	}
	x.tmu.Lock()
	defer x.tmu.Unlock()
	tr := x.tasks[r.TaskID]
	if tr == nil {
		tr = newTranscript(intended)
		x.tasks[r.TaskID] = tr
	}
	return tr
}

// send performs one request (or records why it could not be).
func (x *run) send(r *scenarios.Request, intended int64, tr *transcript) (*results.Record, []byte) {
	x.sink.started()
	defer x.sink.ended()
	if r.Kind == scenarios.KindVideo {
		if x.cfg.Video == nil {
			rec := results.NewRecord(r, intended)
			rec.Sent = x.caller.now()
			return fail(rec, ClassUnsupported, errors.New("video requests need a video-job API client; this run has none")), nil
		}
		rec := x.cfg.Video.Do(x.hard, r, x.caller.start)
		if rec.Intended == 0 {
			rec.Intended = intended
		}
		return rec, nil
	}
	return x.caller.do(x.hard, r, intended, tr, tr != nil)
}

// sleepUntil waits until run time t; false if the run was interrupted.
func (x *run) sleepUntil(t int64) bool {
	if x.soft.Err() != nil {
		return false
	}
	d := time.Duration(t - x.caller.now())
	if d <= 0 {
		return true
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-x.soft.Done():
		return false
	}
}

// result builds the result file from the summary.
func (x *run) result(wo scenarios.WorkloadOptions, interrupted bool) *results.Result {
	seed := x.sc.Seed
	if wo.Seed != nil {
		seed = *wo.Seed
	}
	c := x.cfg
	extra := map[string]any{
		"target": RedactURL(c.Target), "model": c.Model, "api": string(c.API), "stream": !c.NoStream,
		"mode": "open_loop",
	}
	if c.Concurrency > 0 {
		extra["mode"], extra["concurrency"] = "closed_loop", c.Concurrency
	} else {
		extra["senders"] = x.senders // how many the pool grew to: requests on the wire at once, at most
	}
	if c.MaxInflight > 0 {
		extra["max_inflight"] = c.MaxInflight
	}
	if v, ok := c.Video.(interface{ PollInterval() time.Duration }); ok {
		extra[results.VideoPollKey] = v.PollInterval().Seconds()
	}
	if c.Shards > 1 {
		extra["shard"] = fmt.Sprintf("%d/%d", c.Shard, c.Shards)
	}
	if wo.RateScale > 0 && wo.RateScale != 1 {
		extra["rate_scale"] = wo.RateScale
	}
	x.sink.mu.Lock()
	defer x.sink.mu.Unlock()
	res := x.sink.summary.Result(results.Meta{Backend: "endpoint",
		Scenario: results.ScenarioInfo{Name: x.sc.Name, Seed: seed, Hash: x.sc.Hash()},
		Fleet:    c.Fleet, Extra: extra})
	if tc, warns := x.sink.tok.export(x.sink.tkName); tc != nil {
		res.Extra["token_counts"] = tc
		res.Warnings = append(res.Warnings, warns...)
	}
	if interrupted {
		w := "run interrupted: the result holds the requests sent before the interruption"
		if res.Totals.Requests == 0 && x.stoppedAt <= x.sc.Warmup {
			// As sim's: the stop came inside the warm-up.
			w = fmt.Sprintf("run interrupted before its measurement window began (warm-up %s): nothing was measured", x.sc.Warmup)
		} else if n := cancelledIn(res); n > 0 {
			// Their outcome is unknown, yet they count as failures, and
			// the slowest requests are the ones missing from latencies.
			w += fmt.Sprintf("; %d of its %d measured requests were still running when the grace period (--grace) ended and were cancelled: "+
				"they count as errors (error rate, SLO attainment, goodput) and the latency percentiles leave them out, so they miss the slowest requests", n, res.Totals.Requests)
		}
		res.MarkInterrupted(w)
	}
	if c.Concurrency > 0 && !interrupted {
		if w := closedLoopBias(res, c.Concurrency); w != "" {
			res.Warnings = append(res.Warnings, w)
		}
	}
	if x.early != "" {
		res.Extra["stopped_early"] = x.early
		res.Warnings = append(res.Warnings, "stopped early (--stop-early): "+x.early+"; the result holds the requests sent before the stop")
	}
	return res
}

// ClosedLoopBiasWarn starts closedLoopBias's warning (the kind sweeps
// group step warnings by).
const ClosedLoopBiasWarn = "closed loop without a warm-up:"

// closedLoopBias warns that a closed loop of conc tasks measured without
// a warm-up overstates its rates: the window ends at the last task's
// start, when conc tasks are in flight, and their work is counted over
// the window while nothing balances it (with a warm-up, the tasks in
// flight at its end are the warm-up's and finish inside the window). The
// bias is at most n / (n - conc) over n measured tasks; "" under 5%.
func closedLoopBias(res *results.Result, conc int) string {
	t := res.Totals
	if res.Window.WarmupS > 0 || t == nil {
		return ""
	}
	n, c := t.Tasks+t.TasksFailed, int64(conc)
	if n <= c || float64(c) < 0.05*float64(n-c) {
		return ""
	}
	at := ""
	if p := t.TaskE2E; p != nil {
		at = fmt.Sprintf(" (at least the task E2E p50, %.3g s)", p.P50/1e3)
	} else if p := t.E2E; p != nil {
		at = fmt.Sprintf(" (at least the E2E p50, %.3g s)", p.P50/1e3)
	}
	inFlight := fmt.Sprintf("the last %d (its concurrency) were", c)
	if c == 1 {
		inFlight = "the last one was"
	}
	return fmt.Sprintf("%s the rates (completed/s, output tok/s, goodput) divide the work of all %d measured tasks by the window, but %s still in flight when it ended, so they overstate the throughput by up to %.0f%% (%d / %d); set --warmup%s or measure many more than %d tasks (--requests)",
		ClosedLoopBiasWarn, n, inFlight, 100*(float64(n)/float64(n-c)-1), n, n-c, at, c)
}

// cancelledIn is how many measured requests of res the interruption
// cancelled.
func cancelledIn(res *results.Result) int64 {
	if res == nil || res.Totals == nil {
		return 0
	}
	return res.Totals.ErrorsByClass[ClassCancelled]
}

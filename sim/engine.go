package sim

import (
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"time"

	"github.com/fleetbench/fleetbench/internal/thp"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// checkEvery+1 events pass between the loop's thp.Check calls: about a
// millisecond of a 10,000-instance run, in which its heap grows by at most
// ~150 KB; a check that finds nothing new costs ~0.3 us.
const checkEvery = 1<<8 - 1

// Stats counts what the engine did, for benchmarks and reports.
type Stats struct {
	Events      uint64 // events popped from the queue
	Steps       uint64 // simulated forward steps (a span of k steps counts k)
	Spans       uint64 // step events (a span counts once)
	Requests    uint64 // requests completed or failed
	Preemptions uint64
	Transfers   uint64
	Refused     uint64 // arrivals refused at the in-flight bound (error class "overloaded")
	EndNs       int64  // virtual time of the last event
	Interrupted bool   // Config.Stop ended the run early (interrupt.go)
}

// Bounds on work in flight. An offered load far beyond the fleet's
// capacity queues without end; past these the simulator refuses new
// top-level arrivals (error class "overloaded", counted as failures and
// warned about) instead of growing until the process runs out of memory.
// About 2 GB of sequence state and 2 GB of prompt block hashes at most;
// a fleet that keeps up never comes near (platform-hour at full scale
// peaks at 1.9 GB in all).
const (
	MaxInflight       = 1 << 20 // sequences
	MaxInflightHashes = 1 << 28 // KV block hashes of their prompts
)

// The bounds in force (tests lower them).
var maxInflight, maxInflightHashes = MaxInflight, MaxInflightHashes

// ConfigError is a simulation that cannot start because its fleet,
// model or options are wrong (the CLI exits 2 on it).
type ConfigError struct{ Err error }

func (e *ConfigError) Error() string { return e.Err.Error() }
func (e *ConfigError) Unwrap() error { return e.Err }

// engine holds one simulation's mutable state.
type engine struct {
	cfg     Config
	sc      *scenarios.Scenario
	fleet   *fleet
	q       eventQueue
	now     int64
	rng     *rand.Rand
	summary *results.Summary
	stats   Stats
	err     error    // first error (a sink's: see sinkLag); stops the run
	sink    sinkStop // serial runs: when a failed records sink stops the run

	wl      Source
	nextArr *scenarios.Request
	// nextSeq is nextArr's sequence when the producer built it (with its
	// prompt block hashes), see pipeline.go; nil otherwise.
	nextSeq *seqState
	pre     *prefetcher  // batch runs: arrivals generated ahead, or nil
	acc     *accumulator // batch runs: summary fed on its own goroutine, or nil

	admitCounter uint64
	loadAheadOn  bool // prefetch the next events' instances (loadahead.go)
	classIndex   map[string]int
	classNames   []string
	sampling     bool
	seedV        uint64

	// Live mode (the emulated endpoint): per-token and completion hooks.
	classInfos []results.ClassInfo
	inflight   int  // sequences created and not finished
	inflightHs int  // their prompts' block hashes
	batch      bool // a whole run: stop once nothing is in flight or to come
	// alwaysTicking keeps periodic events (samples, autoscaler ticks,
	// random failures) going while nothing is in flight or due: a live
	// engine with an autoscaler or random failures (NewLive).
	alwaysTicking bool

	marks windowMarks // busy time at the measurement window's edges

	onToken                    func(s *seqState, at int64)
	onDone                     func(rec *results.Record)
	cachedTokens, promptTokens int64 // prefix-cache hits and queries, tokens

	// itlFree recycles finished records' ITL slices when no one outside
	// the engine sees the records (no Records sink, no onDone hook): a
	// simulation of millions of requests then allocates ITL space for the
	// requests in flight only.
	itlFree [][]int64
	gapFree gapFree // the decoders' free gap log chunks (itl.go)
}

// Source is a stream of top-level requests in nondecreasing arrival
// order; *scenarios.Workload is the usual one, tests feed hand-made ones.
type Source interface {
	Next() (*scenarios.Request, bool)
	Err() error
	Close() error
}

// Run simulates the scenario on the configured fleet and returns the
// result. wo overrides the scenario's seed, length and rate.
func Run(sc *scenarios.Scenario, cfg Config, wo scenarios.WorkloadOptions) (*results.Result, Stats, error) {
	seed := sc.Seed
	if wo.Seed != nil {
		seed = *wo.Seed
	}
	if err := preflight(sc, cfg); err != nil {
		return nil, Stats{}, &ConfigError{Err: err}
	}
	wl, err := sc.NewWorkload(wo)
	if err != nil {
		return nil, Stats{}, &ConfigError{Err: err}
	}
	return RunSource(sc, wl, seed, cfg)
}

// preflight checks the fleet before the workload is opened.
func preflight(sc *scenarios.Scenario, cfg Config) error {
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return err
	}
	_, err := buildFleet(cfg, sc)
	return err
}

// RunSource simulates requests from src; sc supplies the classes (names,
// kinds, SLOs) and the warm-up. It closes src.
func RunSource(sc *scenarios.Scenario, src Source, seed uint64, cfg Config) (*results.Result, Stats, error) {
	defer src.Close()
	e, err := newEngine(sc, src, seed, cfg)
	if err != nil {
		return nil, Stats{}, &ConfigError{Err: err}
	}
	if !cfg.Serial && runtime.GOMAXPROCS(0) >= pipelineMinProcs {
		e.startPipeline()
		// Deferred too: a panic on the loop (an engine bug a caller such
		// as sweep recovers) must not leave both goroutines blocked.
		defer e.stopPipeline()
		// The loop keeps its OS thread, and so mostly its core and that
		// core's L1/L2 (1 MB of the loop's hottest state): unlocked, a
		// preempted loop resumes on whichever thread finds it first,
		// often the other core's, while the producer and consumer run.
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
	}
	e.loop()
	interrupted := e.takeInterrupt()
	e.stopPipeline()
	if e.err == nil && e.sink.err != nil {
		e.err = fmt.Errorf("writing records: %w", e.sink.err)
	}
	if e.err == nil {
		e.err = e.wl.Err()
	}
	res := e.result()
	if interrupted {
		e.markInterrupted(res)
	}
	return res, e.stats, e.err
}

func newEngine(sc *scenarios.Scenario, wl Source, seed uint64, cfg Config) (*engine, error) {
	cfg.applyDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	fl, err := buildFleet(cfg, sc)
	if err != nil {
		return nil, err
	}
	e := &engine{
		cfg:        cfg,
		sc:         sc,
		fleet:      fl,
		rng:        rand.New(rand.NewPCG(seed, 0x5eed_f1ee7)),
		wl:         wl,
		classIndex: map[string]int{},
		seedV:      seed,
	}
	e.loadAheadOn = len(fl.instances) >= loadAheadMin
	infos := make([]results.ClassInfo, len(sc.Classes))
	for i, c := range sc.Classes {
		infos[i] = results.ClassInfoFor(c)
		if c.Kind != scenarios.KindVideo {
			infos[i].ContextTokens = fl.contextTokens // requests over it are counted, not refused
		}
		e.classIndex[c.Name] = i
		e.classNames = append(e.classNames, c.Name)
	}
	e.summary = results.NewSummary(infos, int64(sc.Warmup))
	e.classInfos = infos
	fl.attach(e)
	if err := fl.scheduleFailures(e); err != nil {
		return nil, err
	}
	for _, p := range fl.pools {
		if p.scaler != nil {
			e.q.push(event{at: int64(p.scaler.spec.Interval()), kind: evAutoscale, idx: p.index})
		}
	}
	return e, nil
}

// ongoing reports whether periodic events reschedule themselves: while
// requests are in flight or due, or always for a live engine that needs
// them idle too (alwaysTicking).
func (e *engine) ongoing() bool { return e.alwaysTicking || e.inflight > 0 || e.nextArr != nil }

// loop runs events and workload arrivals in time order until both are
// exhausted. Events at the same instant as an arrival run first.
func (e *engine) loop() {
	e.pullArrival()
	e.q.push(event{at: 0, kind: evSample})
	e.sampling = true
	e.batch = true
	e.runUntil(math.MaxInt64)
}

// runUntil processes workload arrivals and events in time order up to and
// including virtual time limit. Events at the same instant as an arrival
// run first.
func (e *engine) runUntil(limit int64) {
	for e.err == nil {
		if e.batch && e.inflight == 0 && e.nextArr == nil {
			return // only periodic events (samples, autoscaler, failures) remain
		}
		t, ok := e.q.peekTime()
		if e.nextArr != nil && (!ok || e.nextArr.Arrival < t) {
			if e.nextArr.Arrival > limit {
				return
			}
			if e.nextArr.Arrival < e.now {
				e.err = fmt.Errorf("request %d arrives at %s, before the simulated clock (%s): a workload's arrivals must not go back in time, and one this far off comes from an input past the simulator's limits (docs/scenarios.md, Limits)",
					e.nextArr.ID, time.Duration(e.nextArr.Arrival), time.Duration(e.now))
				return
			}
			r, s := e.nextArr, e.nextSeq
			e.pullArrival()
			e.advance(r.Arrival)
			if e.batch {
				e.markArrival(e.nextArr == nil)
			}
			e.arrive(r, s)
			continue
		}
		if !ok || t > limit {
			return
		}
		if t < e.now {
			e.err = fmt.Errorf("an event at %s is before the simulated clock (%s): a duration derived from the input overflowed the virtual clock; check the scenario's times and rates against their limits (docs/scenarios.md, Limits)",
				time.Duration(t), time.Duration(e.now))
			return
		}
		ev := e.q.pop()
		if e.loadAheadOn {
			e.loadAhead()
		}
		e.stats.Events++
		if e.stats.Events&checkEvery == 0 {
			// Memory the heap just mapped is advised for huge pages before
			// it is faulted in (internal/thp); results cannot change.
			thp.Check()
		}
		e.advance(ev.at)
		switch ev.kind {
		case evArrival:
			e.arriveSeq(ev.s)
		case evStep:
			in := e.fleet.inst(ev.idx)
			if ev.gen == in.gen {
				in.stepDone(e)
			}
		case evTransfer:
			l := &e.fleet.links[ev.idx]
			if ev.gen == l.gen {
				l.fire(e)
			}
		case evVideoDone:
			e.fleet.video.done(e, ev.idx, ev.s)
		case evSample:
			e.sample()
		case evReady:
			in := e.fleet.instances[ev.idx]
			in.pool.ready(e, in)
		case evAutoscale:
			e.fleet.pools[ev.idx].tick(e)
		case evFail:
			e.fleet.fail(e, e.fleet.instances[ev.idx], e.fleet.failRng != nil)
		case evRepair:
			e.fleet.repair(e, e.fleet.instances[ev.idx])
		}
	}
}

func (e *engine) advance(t int64) {
	if t < e.now {
		panic(fmt.Sprintf("sim: time went backwards: %d < %d", t, e.now)) // an engine bug, never input
	}
	if !e.marks.startTaken {
		e.markWindowStart(t)
	}
	e.now = t
	e.stats.EndNs = t
}

func (e *engine) pullArrival() {
	if e.pre != nil {
		a, _ := e.pre.next() // the zero arrival at the end: nextArr nil
		e.nextArr, e.nextSeq = a.r, a.s
		return
	}
	r, ok := e.wl.Next()
	if !ok {
		e.nextArr = nil
		return
	}
	e.nextArr, e.nextSeq = r, nil
}

// startPipeline moves workload generation (when the source allows it)
// and result accumulation to goroutines of their own (pipeline.go).
func (e *engine) startPipeline() {
	if prefetchable(e.wl) {
		e.pre = newPrefetcher(e.wl, e.cfg.BlockTokens, e.summary)
	}
	var free *[][]int64
	if e.cfg.Records == nil {
		free = &e.itlFree
	}
	e.acc = newAccumulator(e.summary, e.cfg.Records, free)
	e.gapFree.acc = e.acc
}

// stopPipeline waits for both goroutines: afterwards the source and the
// summary are the engine's alone again.
func (e *engine) stopPipeline() {
	// Each is taken off the engine before it is closed: a close that
	// raises the consumer's panic is not repeated by the deferred call.
	if pre := e.pre; pre != nil {
		e.pre = nil
		pre.close()
	}
	if acc := e.acc; acc != nil {
		e.acc, e.gapFree.acc = nil, nil
		if err := acc.close(); err != nil && e.err == nil {
			e.err = fmt.Errorf("writing records: %w", err)
		}
	}
}

// arrive turns a workload request into an in-flight sequence (pre, when
// the producer built it), or refuses it when the work in flight is past
// MaxInflight / MaxInflightTokens.
func (e *engine) arrive(r *scenarios.Request, pre *seqState) {
	if pre == nil {
		pre = newSeqState(r, e.cfg.BlockTokens, e.summary)
	}
	if e.inflight >= maxInflight || e.inflightHs+r.InputTokens/e.cfg.BlockTokens > maxInflightHashes {
		s := pre
		s.hashes, s.prefillTarget = nil, 0 // never in flight: counts no prompt hashes
		s.rec.Error = fmt.Sprintf("refused: %d requests (%d prompt block hashes) already in flight, the simulator's bound; the offered load is far beyond the fleet's capacity", e.inflight, e.inflightHs)
		e.inflight++
		e.stats.Refused++
		e.finish(s, "overloaded")
		return
	}
	e.arriveSeq(e.track(pre))
}

// newSeq turns r into an in-flight sequence.
func (e *engine) newSeq(r *scenarios.Request) *seqState {
	return e.track(newSeqState(r, e.cfg.BlockTokens, e.summary))
}

// track counts s in flight (the MaxInflight bounds).
func (e *engine) track(s *seqState) *seqState {
	e.inflight++
	e.inflightHs += len(s.hashes)
	s.inflightHs = int32(len(s.hashes)) // a prompt's hashes fit in memory: far below 2^31
	return s
}

func (e *engine) arriveSeq(s *seqState) {
	if s.video {
		e.fleet.video.submit(e, s)
		return
	}
	e.fleet.route(e, s)
}

// finish completes (or fails) a sequence: closes its record, feeds the
// summary and the sink, and schedules the task's follow-up requests.
// The caller releases the sequence's KV afterwards.
func (e *engine) finish(s *seqState, errClass string) {
	r := s.req
	// On a pipelined run where nothing on this goroutine reads the record
	// (no live hook, no incident), the consumer writes its closing fields
	// (accItem): a sequence that decoded for seconds is cold, and the
	// loop then touches none of its record's lines.
	direct := e.acc == nil || e.onDone != nil || len(e.fleet.incidents) > 0
	if direct {
		s.rec.LastToken = e.now
		s.rec.OutputTokens = s.generated
	}
	if errClass != "" {
		s.rec.ErrorClass = errClass
	}
	taskDone := true
	if s.task {
		out := s.generated
		if errClass != "" {
			out = 0
		}
		next, done := r.Task.Complete(r, e.now, out)
		taskDone = done
		for _, nr := range next {
			ns := e.newSeq(nr)
			if nr.TaskID == r.TaskID && s.kv != nil && errClass == "" {
				// The continuation's prompt starts with this request's prompt
				// and output, so the KV computed here is its prefix: make the
				// complete blocks hittable before releasing them (vLLM hashes
				// generated-token blocks too).
				computed := r.InputTokens + s.generated - 1
				n := min(computed/e.cfg.BlockTokens, len(ns.hashes))
				if n > len(s.hashes) && s.inst != nil && !(e.cfg.NoDecodePrefixCache && s.inst.pool.spec.Role == RoleDecode) {
					s.inst.cache.Publish(s.kv, ns.hashes[:n])
				}
			}
			e.q.push(event{at: max(nr.Arrival, e.now), kind: evArrival, s: ns})
		}
	}
	if direct {
		s.rec.TaskDone = taskDone
		e.settleITL(s) // read on this goroutine
	}
	if taskDone && s.task && e.fleet.entry != nil {
		e.fleet.entry.router.forget(r.TaskID)
	}
	e.inflight--
	e.inflightHs -= int(s.inflightHs)
	e.stats.Requests++
	if e.acc == nil {
		e.summary.Add(&s.rec)
	}
	for _, inc := range e.fleet.incidents {
		if s.rec.Intended >= inc.at && (inc.repairedAt == 0 || s.rec.Intended < inc.repairedAt) {
			inc.during.Add(&s.rec)
		}
	}
	if e.onDone != nil {
		e.onDone(&s.rec)
	}
	if e.acc != nil {
		// The summary and the sink get the record on the consumer's
		// goroutine, in this order: from here on s.rec is the consumer's
		// (its ITL slice comes back to itlFree with the batch).
		it := accItem{rec: &s.rec, itl: s.itl}
		if !direct {
			it.close, it.t, it.out, it.taskDone = true, e.now, s.generated, taskDone
		}
		e.acc.add(it)
		if e.acc.stop != nil && e.err == nil {
			e.err = fmt.Errorf("writing records: %w", e.acc.stop)
		}
		return
	}
	if e.cfg.Records != nil {
		// As the pipeline's consumer does: the sink gets every record
		// until it fails, and the run stops sinkLag batches later.
		e.sink.items++
		if e.sink.err == nil {
			if err := e.cfg.Records(&s.rec); err != nil {
				e.sink.fail(err)
			}
		}
		if e.err == nil && e.sink.due() {
			e.err = fmt.Errorf("writing records: %w", e.sink.err)
		}
	}
	if e.cfg.Records == nil && e.onDone == nil && cap(s.rec.ITL) > 0 {
		e.itlFree = append(e.itlFree, s.rec.ITL[:0])
		s.rec.ITL, s.hasITL = nil, false
	}
}

package serve

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// errStopped answers requests that arrive after the server shut down.
var errStopped = errors.New("the server is shutting down; retry against a running `fleetbench serve`")

// job is one request in flight between an HTTP handler and the engine
// loop. The loop writes tokens and the final record under mu; the handler
// takes them when notified. Only counts and the latest token time are
// kept, so a job's memory does not grow with its output length.
type job struct {
	req      scenarios.Request
	accepted chan error // one value: nil once submitted, or why not

	mu      sync.Mutex
	pending int   // tokens produced and not yet taken
	lastAt  int64 // virtual time of the newest token, ns
	rec     *results.Record
	notify  chan struct{} // capacity 1: "something new"

	// Owned by the loop goroutine: tokens seen and the newest one's time,
	// for the per-token TTFT and ITL histograms.
	got    int
	prevAt int64
}

func newJob() *job {
	return &job{accepted: make(chan error, 1), notify: make(chan struct{}, 1)}
}

func (j *job) signal() {
	select {
	case j.notify <- struct{}{}:
	default:
	}
}

// take returns the tokens produced since the last call, the virtual time
// of the newest one and the final record once the request finished.
func (j *job) take() (n int, lastAt int64, rec *results.Record) {
	j.mu.Lock()
	n, lastAt, rec = j.pending, j.lastAt, j.rec
	j.pending = 0
	j.mu.Unlock()
	return n, lastAt, rec
}

// loop is the wall-clock shell around the pure sim.Live engine: one
// goroutine owns the engine, virtual time is monotonic wall time since
// start, and the loop sleeps until the next engine event or the next
// submission, whichever comes first. Because the engine is only ever
// advanced to the current wall time, a token surfaces no earlier than its
// virtual time.
type loop struct {
	live  *sim.Live
	start time.Time // carries the monotonic clock reading

	subs    chan *job
	queries chan func(*sim.Live)
	stop    chan struct{}
	stopped chan struct{}
	once    sync.Once

	m *metrics // /metrics, observed from the engine's hooks

	// spin is how long before a due event the loop stops sleeping and
	// yields in a loop instead, for sub-millisecond token timing.
	spin time.Duration

	records func(*results.Record) // Options.Records

	jobs map[uint64]*job // in flight; owned by the loop goroutine

	warmup  time.Duration // Options.Warmup, counted from the first request
	started bool          // the first request was accepted (warm-up set)
	firstNs int64         // its virtual arrival time (Result's note)
	err     error         // the engine's first error; fails everything after
}

// newLoop builds the engine, then its metrics with newMetrics(the served
// model's context length, 0 when unknown): vLLM sizes its token-count
// buckets by max_model_len, which only the built fleet knows.
func newLoop(sc *scenarios.Scenario, cfg sim.Config, spin time.Duration, records func(*results.Record), newMetrics func(contextTokens int) *metrics, warmup time.Duration) (*loop, error) {
	l := &loop{
		warmup:  warmup,
		spin:    spin,
		records: records,
		subs:    make(chan *job, 4096),
		queries: make(chan func(*sim.Live)),
		stop:    make(chan struct{}),
		stopped: make(chan struct{}),
		jobs:    map[uint64]*job{},
	}
	live, err := sim.NewLive(sc, cfg, sim.LiveHooks{Token: l.onToken, Done: l.onDone})
	if err != nil {
		return nil, err
	}
	l.live = live
	l.m = newMetrics(live.ContextTokens())
	l.start = time.Now()
	go l.run()
	return l, nil
}

// now is the current virtual time: wall time since start, ns.
func (l *loop) now() int64 { return int64(time.Since(l.start)) }

func (l *loop) onToken(id uint64, at int64) {
	j := l.jobs[id]
	if j == nil {
		return
	}
	if j.got == 0 {
		l.m.ttft.Observe(float64(at-j.req.Arrival) / 1e9)
		l.m.promptTok.Add(float64(j.req.InputTokens))
	} else {
		gap := float64(at-j.prevAt) / 1e9
		l.m.itl.Observe(gap)
		l.m.tpot.Observe(gap)
	}
	l.m.genTok.Inc()
	j.got++
	j.prevAt = at
	j.mu.Lock()
	j.pending++
	j.lastAt = at
	j.mu.Unlock()
	j.signal()
}

func (l *loop) onDone(rec *results.Record) {
	if l.records != nil {
		l.records(rec)
	}
	j := l.jobs[rec.ID]
	if j == nil {
		return
	}
	delete(l.jobs, rec.ID)
	switch {
	case rec.ErrorClass != "":
	case rec.Kind == string(scenarios.KindVideo):
		l.m.videosDone.Inc()
	default:
		l.m.observeDone(rec, j.req.Arrival)
	}
	r := *rec
	r.ITL = nil
	j.mu.Lock()
	j.rec = &r
	j.mu.Unlock()
	j.signal()
}

// submit hands a request to the engine and waits until it is scheduled.
// req.Arrival is the virtual time the request was received (see now); the
// loop moves it up to the engine's clock if the engine is already past it.
func (l *loop) submit(j *job) error {
	select {
	case l.subs <- j:
	case <-l.stop:
		return errStopped
	}
	select {
	case err := <-j.accepted:
		return err
	case <-l.stopped:
		return errStopped
	}
}

// query runs f on the engine inside the loop goroutine and waits for it.
func (l *loop) query(f func(*sim.Live)) error {
	done := make(chan struct{})
	select {
	case l.queries <- func(lv *sim.Live) { f(lv); close(done) }:
	case <-l.stopped:
		return errStopped
	}
	select {
	case <-done:
		return nil
	case <-l.stopped:
		return errStopped
	}
}

// close stops the loop; requests still in flight are abandoned.
func (l *loop) close() {
	l.once.Do(func() { close(l.stop) })
	<-l.stopped
}

func (l *loop) run() {
	defer close(l.stopped)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var wake <-chan time.Time
		if at, ok := l.live.NextEvent(); ok && l.err == nil {
			d := at - l.now()
			switch {
			case d <= 0:
				// Already due: advance now, but let waiting submissions in
				// first so they are not starved by a busy engine.
				l.drain()
				l.advance(l.now())
				continue
			case d <= int64(l.spin):
				// Close to due: yield instead of sleeping, because a Go
				// timer wakes up to a millisecond late (the netpoller's
				// resolution) and that would delay every token.
				if !l.poll() {
					return
				}
				runtime.Gosched()
				continue
			}
			timer.Reset(time.Duration(d - int64(l.spin)))
			wake = timer.C
		}
		select {
		case j := <-l.subs:
			l.accept(j)
			l.drain()
		case q := <-l.queries:
			q(l.live)
		case <-wake:
		case <-l.stop:
			l.failAll(errStopped)
			return
		}
		if wake != nil && !timer.Stop() {
			select { // the timer fired but was not received: empty it
			case <-timer.C:
			default:
			}
		}
		l.advance(l.now())
	}
}

// poll serves whatever is waiting without blocking; false means stop.
func (l *loop) poll() bool {
	select {
	case j := <-l.subs:
		l.accept(j)
		l.drain()
	case q := <-l.queries:
		q(l.live)
	case <-l.stop:
		l.failAll(errStopped)
		return false
	default:
	}
	return true
}

// drain accepts every submission already queued, without blocking.
func (l *loop) drain() {
	for {
		select {
		case j := <-l.subs:
			l.accept(j)
		default:
			return
		}
	}
}

// accept submits j at the current virtual time, after running every
// event due before it so the engine sees causes in order.
func (l *loop) accept(j *job) {
	if l.err != nil {
		j.accepted <- l.err
		return
	}
	// The handler stamped the request when it arrived; later submissions
	// than the engine's clock allows are moved up to it.
	t := max(j.req.Arrival, l.live.Now())
	l.advance(t)
	if l.err != nil {
		j.accepted <- l.err
		return
	}
	j.req.Arrival = t
	if !l.started {
		l.started, l.firstNs = true, t
		l.live.SetWarmupEnd(t + int64(l.warmup))
	}
	l.jobs[j.req.ID] = j
	if err := l.live.Submit(&j.req); err != nil {
		delete(l.jobs, j.req.ID)
		if j.req.Video != nil {
			err = fmt.Errorf("%w: start serve with a video pool, e.g. --fleet 1C+1V", err)
		}
		j.accepted <- err
		return
	}
	j.accepted <- nil
}

func (l *loop) advance(t int64) {
	if l.err != nil || t < l.live.Now() {
		return
	}
	if err := l.live.AdvanceTo(t); err != nil {
		l.err = err
		l.failAll(err)
	}
}

// failAll finishes every in-flight job with an engine error.
func (l *loop) failAll(err error) {
	for id, j := range l.jobs {
		delete(l.jobs, id)
		j.mu.Lock()
		j.rec = &results.Record{ID: id, ErrorClass: "server_error", Error: err.Error()}
		j.mu.Unlock()
		j.signal()
	}
}

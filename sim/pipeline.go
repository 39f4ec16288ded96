package sim

import (
	"context"
	"runtime/pprof"
	"sync"
	"sync/atomic"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// A batch run takes two jobs off the event loop's goroutine, each joined
// to it by a bounded channel of batches consumed in order:
//
//   - a producer generates the open-loop arrivals ahead (sampling, agent
//     sessions' first turns) and builds their sequences (records, prompt
//     block hashes);
//   - a consumer folds the finished records and the timeline samples into
//     the summary and hands the records to the sink.
//
// Neither reads state the loop writes, and each sees its items in the
// loop's order, so the result is the same whatever the scheduling, on one
// core or many (Config.Serial, or GOMAXPROCS=1, runs both jobs inline). The
// simulator is otherwise single-threaded: this is the only concurrency
// in it.

// pipelineMinProcs is the fewest Ps (GOMAXPROCS) a run pipelines on. On
// one P the goroutines only take turns: the channels, the scheduler and
// the GC's longer-lived batches cost ~4% more instructions (callgrind,
// BenchmarkSimPipeline/chat64) and ~10% more CPU for nothing, so a
// one-core run (make bench-sim) stays serial. Tests lower it to check
// the pipeline's determinism on one P.
var pipelineMinProcs = 2

// pipeBatch is how many items travel together: one channel operation per
// batch, not per request.
const pipeBatch = 512

// pipeDepth is how many batches each channel buffers: enough to ride out
// one side being descheduled, little enough to bound memory (a few
// thousand requests or records in flight between goroutines).
const pipeDepth = 4

// sinkLag is how many of the consumer's batches after the one holding
// the record a records sink failed on a run goes on: it stops at the
// record that fills batch failing+sinkLag, serial or pipelined. When the
// loop hands that batch over, the consumer has certainly finished the
// failing one (the channel holds pipeDepth batches, so it has taken batch
// failing+sinkLag-pipeDepth, and it takes a batch only after finishing
// the one before), so the pipelined loop learns of the error at a point
// that does not depend on scheduling, without waiting for the consumer;
// the serial loop counts the same batches and stops at the same record.
// The partial result returned with the error is then the same either way
// (it covers up to sinkLag+1 batches of records and samples, at most
// 3,072 items, past the failing record; the sink sees none of them).
const sinkLag = pipeDepth + 1

// sinkStop is the serial loop's count of the consumer's batches (records
// and timeline samples it would have queued) and the sink's first error.
type sinkStop struct {
	items int64 // records and samples so far
	err   error // the sink's first error
	batch int64 // the batch of the record it failed on
}

// fail notes the sink's error on the record just counted.
func (s *sinkStop) fail(err error) {
	if s.err == nil {
		s.err, s.batch = err, (s.items-1)/pipeBatch
	}
}

// due reports whether the run stops: the batch sinkLag after the failing
// one is full.
func (s *sinkStop) due() bool {
	return s.err != nil && s.items/pipeBatch-1-s.batch >= sinkLag
}

// arrival is a workload request with its sequence, built by the producer
// (record, prompt block hashes: newSeqState).
type arrival struct {
	r *scenarios.Request
	s *seqState
}

// prefetcher runs Source.Next on its own goroutine.
type prefetcher struct {
	src  Source
	bs   int
	sum  *results.Summary // read for its warm-up only
	out  chan []arrival
	back chan []arrival // consumed batches, for reuse
	stop chan struct{}
	done chan struct{}

	cur []arrival
	pos int
	end bool

	panicked any // what the producer panicked with (read after out is closed)
}

// prefetchable reports whether src's arrivals may be generated ahead of
// the simulation: a scenario workload whose classes are all open-loop or
// traces (a closed loop's next task depends on completions, and claims its
// place under the request cap from Complete, on the loop's goroutine).
func prefetchable(src Source) bool {
	w, ok := src.(*scenarios.Workload)
	return ok && w.Prefetchable()
}

func newPrefetcher(src Source, blockTokens int, sum *results.Summary) *prefetcher {
	p := &prefetcher{src: src, bs: blockTokens, sum: sum,
		out: make(chan []arrival, pipeDepth), back: make(chan []arrival, pipeDepth+2),
		stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

// label tags the calling goroutine's CPU profile samples (go tool pprof
// -tagfocus sim=producer), to tell the loop's time from the helpers'.
func label(role string) {
	pprof.SetGoroutineLabels(pprof.WithLabels(context.Background(), pprof.Labels("sim", role)))
}

func (p *prefetcher) run() {
	label("producer")
	defer close(p.done)
	defer close(p.out)
	// A panic here (a workload generation bug) is raised again on the
	// loop's goroutine by next, as the serial run would raise it: a
	// caller that recovers (sweep's points) must not lose the process.
	defer func() { p.panicked = recover() }()
	for {
		var b []arrival
		select {
		case b = <-p.back:
			b = b[:0]
		default:
			b = make([]arrival, 0, pipeBatch)
		}
		last := false
		for len(b) < pipeBatch {
			r, ok := p.src.Next()
			if !ok {
				last = true
				break
			}
			b = append(b, arrival{r: r, s: newSeqState(r, p.bs, p.sum)})
		}
		if len(b) > 0 {
			select {
			case p.out <- b:
			case <-p.stop:
				return
			}
		}
		if last {
			return
		}
	}
}

// next returns the next arrival in the source's order.
func (p *prefetcher) next() (arrival, bool) {
	for p.pos == len(p.cur) {
		if p.end {
			return arrival{}, false
		}
		if p.cur != nil {
			clear(p.cur)
			select {
			case p.back <- p.cur:
			default:
			}
		}
		b, ok := <-p.out
		if !ok {
			p.cur, p.end = nil, true
			if p.panicked != nil {
				panic(p.panicked)
			}
			return arrival{}, false
		}
		p.cur, p.pos = b, 0
	}
	a := p.cur[p.pos]
	p.pos++
	return a, true
}

// close stops the producer and waits for it: after close the source is
// the caller's again (Err, Close).
func (p *prefetcher) close() {
	close(p.stop)
	<-p.done
}

// accItem is one thing for the summary: a finished request's record, or a
// timeline sample when rec is nil. The record is the finished sequence's
// own, not a copy: the loop never writes to it again once it is queued
// (a copy of its pointers would cost write barriers while the GC marks).
type accItem struct {
	rec  *results.Record
	itl  itlRange // rec's gaps still in a decode log, copied in by the consumer (itl.go)
	name string
	t    int64 // the sample's time; for a record to close, its LastToken
	v    float64
	// close: the consumer sets the record's LastToken (t), OutputTokens
	// (out) and TaskDone before anything reads it (engine.finish).
	out      int
	close    bool
	taskDone bool
}

// accumulator runs Summary.Add, Summary.Observe and the records sink on
// its own goroutine.
type accumulator struct {
	sum     *results.Summary
	records func(*results.Record) error
	in      chan []accItem
	back    chan []accItem // processed batches, for reuse (and their ITL slices)
	done    chan struct{}
	cur     []accItem
	free    *[][]int64 // where processed records' ITL slices go back (nil: kept)
	scratch []int64    // the consumer's ITL buffer when records are not kept (free set)

	processed atomic.Int64 // batches the consumer is done with (their records' gap chunks may be reused, itl.go)

	sent int64 // batches handed over (the loop's)
	stop error // the sink's error once the run must stop (the loop's; see sinkLag)
	seen int64 // items processed (the consumer's)

	mu       sync.Mutex
	err      error // the sink's first error
	errBatch int64 // the batch of the record it failed on
	failed   bool  // err is set (the consumer's own copy, read without the lock)
	panicked any   // what the consumer panicked with (Summary or the sink)
	raised   bool  // the loop has raised panicked again
}

func newAccumulator(sum *results.Summary, records func(*results.Record) error, free *[][]int64) *accumulator {
	a := &accumulator{sum: sum, records: records, free: free,
		in: make(chan []accItem, pipeDepth), back: make(chan []accItem, pipeDepth+2), done: make(chan struct{}),
		cur: make([]accItem, 0, pipeBatch)}
	go a.run()
	return a
}

func (a *accumulator) run() {
	label("consumer")
	defer close(a.done)
	defer func() {
		if v := recover(); v != nil {
			// Raised again on the loop's goroutine (flush, close), as the
			// serial run would raise it; the queue is drained meanwhile so
			// the loop never blocks on it.
			a.mu.Lock()
			a.panicked = v
			a.mu.Unlock()
			for range a.in {
			}
		}
	}()
	for b := range a.in {
		for i := range b {
			it := &b[i]
			a.seen++
			if it.rec == nil {
				a.sum.Observe(it.t, it.name, it.v)
				continue
			}
			if it.close {
				it.rec.LastToken, it.rec.OutputTokens, it.rec.TaskDone = it.t, it.out, it.taskDone
			}
			if it.itl.c != nil {
				// The gaps the loop left in its decode logs: one scratch
				// buffer serves every record when nobody keeps them.
				if a.free != nil {
					it.rec.ITL = it.itl.appendTo(a.scratch[:0])
				} else {
					it.rec.ITL = it.itl.appendTo(make([]int64, 0, it.itl.n+1))
				}
			}
			a.sum.Add(it.rec)
			if it.itl.c != nil && a.free != nil {
				a.scratch, it.rec.ITL = it.rec.ITL[:0], nil
			}
			if a.records != nil && !a.failed {
				if err := a.records(it.rec); err != nil {
					a.mu.Lock()
					a.err, a.errBatch, a.failed = err, (a.seen-1)/pipeBatch, true
					a.mu.Unlock()
				}
			}
		}
		a.processed.Add(1)
		select {
		case a.back <- b:
		default:
		}
	}
}

// add queues a finished request's record (it.rec) with its gaps still in
// a decode log (it.itl), neither of which the caller may touch again.
// Afterwards stop says whether the run must stop on a sink error (see
// sinkLag).
func (a *accumulator) add(it accItem) {
	a.cur = append(a.cur, it)
	if len(a.cur) == cap(a.cur) {
		a.flush()
	}
}

func (a *accumulator) observe(t int64, name string, v float64) {
	a.cur = append(a.cur, accItem{name: name, t: t, v: v})
	if len(a.cur) == cap(a.cur) {
		a.flush()
	}
}

func (a *accumulator) flush() {
	if len(a.cur) == 0 {
		return
	}
	a.in <- a.cur
	a.sent++
	a.raise()
	select {
	case b := <-a.back:
		for i := range b {
			if r := b[i].rec; r != nil && a.free != nil && cap(r.ITL) > 0 {
				*a.free = append(*a.free, r.ITL[:0])
				r.ITL = nil
			}
			b[i] = accItem{}
		}
		a.cur = b[:0]
	default:
		a.cur = make([]accItem, 0, pipeBatch)
	}
}

// raise panics on the caller's goroutine with what the consumer panicked
// with, once; otherwise it sets stop when the batch just handed over is
// the one the run stops at after a sink error (see sinkLag).
func (a *accumulator) raise() {
	a.mu.Lock()
	v := a.panicked
	raise := v != nil && !a.raised
	a.raised = a.raised || raise
	if a.stop == nil && a.err != nil && a.sent-1-a.errBatch >= sinkLag {
		a.stop = a.err
	}
	a.mu.Unlock()
	if raise {
		panic(v)
	}
}

// sinkErr reports the sink's first error without waiting for the queue.
func (a *accumulator) sinkErr() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.err
}

// close processes everything queued and waits: after close the summary is
// the caller's again.
func (a *accumulator) close() error {
	a.flush()
	close(a.in)
	<-a.done
	a.raise()
	return a.sinkErr()
}

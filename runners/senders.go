package runners

import (
	"container/heap"
	"fmt"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// DefaultSenders is the open loop's default cap on senders: requests on the
// wire at once (and connections). A busy sender with its connection costs
// up to ~60-70 KB (goroutines, buffers, the request's state), so the cap
// keeps the client well under 300 MB whatever the offered rate (measured:
// 273 MB peak RSS at 8,000 req/s overload with a cap of 4,096). More
// concurrent long streams than this need --senders.
const DefaultSenders = 2048

// MaxSenders bounds --senders.
const MaxSenders = 100_000

// job is one request to send, intended at intended ns since the start.
type job struct {
	r        *scenarios.Request
	intended int64
}

// openLoop is the open-loop dispatcher. It runs in Run's goroutine and hands
// each request to a sender when it is due: top-level arrivals from the
// schedule's pacer and follow-ups (next agent turns, sub-agents, closed-loop
// users' next tasks) from the later queue, earliest first.
//
// Senders are a bounded pool, as vegeta's workers: one is started when a
// request is due and none is idle, up to the cap (Config.Senders, or
// Config.MaxInflight when set); they never exit before the run ends. When
// all are busy, the request waits for the next free sender and goes out
// late, its delay recorded as the schedule delay (Sent - Intended), so
// latencies from the intended time stay honest (no coordinated omission);
// with --max-inflight it is dropped and counted instead. Either way the
// client's memory and connection count stay bounded: an overloaded client
// says how far behind it is rather than opening connections until the
// kernel refuses them.
func (x *run) openLoop(s *schedule) {
	p := &pool{x: x, work: make(chan job), max: x.cfg.Senders, drop: x.cfg.MaxInflight > 0}
	if p.drop {
		p.max = x.cfg.MaxInflight
	}
	x.later.wake = make(chan struct{}, 1)
	defer func() {
		x.senders = p.n
		close(p.work) // idle senders exit; busy ones after their request
		x.unsent.Add(int64(x.later.stop()))
	}()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	hits := uint64(0)
	pacerDone := false
	for x.soft.Err() == nil {
		// Read before the queue: a request ending queues its follow-ups
		// before it stops counting as active.
		idle := x.active.Load() == 0
		now := x.caller.now()
		topAt := int64(-1)
		if !pacerDone {
			if _, stop := s.pacer.Pace(time.Duration(now), hits); stop {
				pacerDone = true
			} else {
				topAt = s.pacer.cur
			}
		}
		laterAt, haveLater := x.later.peek()
		switch {
		case topAt >= 0 && topAt <= now && (!haveLater || topAt <= laterAt):
			r := s.take()
			hits++
			p.dispatch(job{r, r.Arrival})
			continue
		case haveLater && laterAt <= now:
			p.dispatch(x.later.pop())
			continue
		case topAt < 0 && !haveLater && idle:
			return // schedule done, nothing queued, nothing in flight that could add more
		}
		wait := time.Hour
		if topAt >= 0 {
			wait = time.Duration(topAt - now)
		}
		if haveLater {
			wait = min(wait, time.Duration(laterAt-now))
		}
		t.Reset(wait)
		select {
		case <-t.C:
		case <-x.later.wake: // a follow-up was queued or the last request in flight ended
			if !t.Stop() {
				<-t.C
			}
		case <-x.soft.Done():
			return
		}
	}
}

// pool is the open loop's senders.
type pool struct {
	x    *run
	work chan job // unbuffered: a send succeeds only when a sender is idle
	n    int      // senders started
	max  int      // cap on senders
	drop bool     // --max-inflight: drop at the cap instead of sending late
	busy atomic.Int64
	cpu  cpuGauge
}

// dispatch hands j to an idle sender, starts a sender if none is idle and
// the cap allows, or else waits for one to free up (late, delay recorded)
// or drops j (--max-inflight).
func (p *pool) dispatch(j job) {
	x := p.x
	x.active.Add(1)
	if p.drop && p.busy.Load() >= int64(p.max) {
		x.dropped(j)
		x.endJob()
		return
	}
	p.busy.Add(1)
	select {
	case p.work <- j:
		return
	default:
	}
	for {
		if p.n < p.max && (p.n < minSenders || !p.cpu.bound()) {
			p.n++
			x.wg.Add(1)
			go p.sender(j)
			return
		}
		if p.n >= p.max { // at the cap: wait for a sender, however long
			select {
			case p.work <- j:
			case <-x.soft.Done():
				p.busy.Add(-1)
				x.unsent.Add(1)
				x.endJob()
			}
			return
		}
		// The process is short of CPU: another sender would add work, not
		// throughput. Wait for a free one, looking again every sample.
		t := time.NewTimer(cpuSample)
		select {
		case p.work <- j:
			t.Stop()
			return
		case <-t.C:
		case <-x.soft.Done():
			t.Stop()
			p.busy.Add(-1)
			x.unsent.Add(1)
			x.endJob()
			return
		}
	}
}

// minSenders are always allowed, however busy the CPU.
const minSenders = 64

// cpuSample is how often the scheduler latency is looked at.
const cpuSample = 100 * time.Millisecond

// cpuGauge tells whether this process is short of CPU: goroutines wait to
// run (the Go scheduler's own runnable-to-running latency, p99 over the last
// sample period, above cpuBusyLatency). A client in that state that starts
// more senders only spreads the same CPU over more requests: more memory,
// lower throughput, later sends. Senders waiting on a slow server leave
// the scheduler idle, so the pool still grows for many long streams.
type cpuGauge struct {
	at     time.Time
	busy   bool
	sample []metrics.Sample
	prev   []uint64
}

// cpuBusyLatency is the runnable-to-running p99 above which the process
// counts as short of CPU.
const cpuBusyLatency = 2 * time.Millisecond

func (g *cpuGauge) bound() bool {
	now := time.Now()
	if now.Sub(g.at) < cpuSample {
		return g.busy
	}
	g.at = now
	if g.sample == nil {
		g.sample = []metrics.Sample{{Name: "/sched/latencies:seconds"}}
	}
	metrics.Read(g.sample)
	if g.sample[0].Value.Kind() != metrics.KindFloat64Histogram {
		return false // not available: never hold the pool back
	}
	h := g.sample[0].Value.Float64Histogram()
	if len(g.prev) != len(h.Counts) {
		g.prev = make([]uint64, len(h.Counts))
	}
	var total uint64
	for i, c := range h.Counts {
		total += c - g.prev[i]
	}
	var above uint64
	for i, c := range h.Counts {
		if h.Buckets[i] >= cpuBusyLatency.Seconds() {
			above += c - g.prev[i]
		}
	}
	copy(g.prev, h.Counts)
	g.busy = total > 0 && above*100 > total
	return g.busy
}

// sender sends jobs until the work channel closes.
func (p *pool) sender(j job) {
	x := p.x
	defer x.wg.Done()
	for ok := true; ok; j, ok = <-p.work {
		tr := x.transcript(j.r, j.intended)
		rec, out := x.send(j.r, j.intended, tr)
		x.followUps(x.finish(j.r, j.intended, tr, rec, out))
		p.busy.Add(-1)
		x.endJob()
	}
}

// dropped records j as not sent (--max-inflight) and queues what its
// completion releases (an agent session carries on without the turn's output).
func (x *run) dropped(j job) {
	r := j.r
	tr := x.transcript(r, j.intended)
	rec := results.NewRecord(r, j.intended)
	rec.Sent = x.caller.now()
	fail(rec, ClassDropped, fmt.Errorf("not sent: %d requests already in flight (--max-inflight)", x.cfg.MaxInflight))
	x.followUps(x.finish(r, j.intended, tr, rec, nil))
}

// followUps queues the requests a completion released, each due at its
// own arrival time.
func (x *run) followUps(next []*scenarios.Request) {
	for _, n := range next {
		if !x.later.push(job{n, n.Arrival}) {
			x.unsent.Add(1) // the run was interrupted: never sent
		}
	}
}

// endJob marks a dispatched job finished; the dispatcher is woken when
// nothing is left in flight, so it can tell that the run is over.
func (x *run) endJob() {
	if x.active.Add(-1) == 0 {
		x.later.signal()
	}
}

// laterQueue holds follow-up requests until they are due: a min-heap by
// intended time, ties in the order they were queued. It holds at most one
// entry per agent session or closed-loop user in progress.
type laterQueue struct {
	mu      sync.Mutex
	h       laterHeap
	seq     uint64
	stopped bool
	wake    chan struct{} // capacity 1: wakes the dispatcher
}

type laterItem struct {
	j   job
	seq uint64
}

type laterHeap []laterItem

func (h laterHeap) Len() int { return len(h) }
func (h laterHeap) Less(i, j int) bool {
	return h[i].j.intended < h[j].j.intended || h[i].j.intended == h[j].j.intended && h[i].seq < h[j].seq
}
func (h laterHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *laterHeap) Push(v any)   { *h = append(*h, v.(laterItem)) }
func (h *laterHeap) Pop() any {
	old := *h
	v := old[len(old)-1]
	old[len(old)-1] = laterItem{}
	*h = old[:len(old)-1]
	return v
}

// push queues j; false once the dispatcher has stopped.
func (q *laterQueue) push(j job) bool {
	q.mu.Lock()
	if q.stopped {
		q.mu.Unlock()
		return false
	}
	q.seq++
	heap.Push(&q.h, laterItem{j, q.seq})
	q.mu.Unlock()
	q.signal()
	return true
}

func (q *laterQueue) signal() {
	select {
	case q.wake <- struct{}{}:
	default:
	}
}

func (q *laterQueue) peek() (int64, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.h) == 0 {
		return 0, false
	}
	return q.h[0].j.intended, true
}

func (q *laterQueue) pop() job {
	q.mu.Lock()
	defer q.mu.Unlock()
	return heap.Pop(&q.h).(laterItem).j
}

// stop refuses further pushes and returns how many requests were left
// queued (never sent).
func (q *laterQueue) stop() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.stopped = true
	n := len(q.h)
	q.h = nil
	return n
}

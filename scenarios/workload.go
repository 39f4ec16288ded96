package scenarios

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"time"
)

// WorkloadOptions override parts of a scenario for one workload.
type WorkloadOptions struct {
	Seed     *uint64       // override the scenario seed
	Requests int           // override the cap on top-level arrivals (0 = keep)
	Duration time.Duration // override the duration (0 = keep)
	// RateScale multiplies every arrival rate (0 or 1 = unchanged). Closed
	// loops scale their number of users (rounded, at least 1); trace classes
	// compress time (timestamps are divided by it).
	RateScale float64
}

// source yields one class's top-level requests in nondecreasing Arrival.
type source interface {
	next() (*Request, bool)
	err() error
	close() error
}

// head is a source's pending request in the merge heap.
type head struct {
	r   *Request
	src int
}

// Workload is a deterministic stream of a scenario's requests: a k-way merge
// of the classes by next arrival. Memory is constant in the number of
// requests (each class holds one pending request; agent sessions live only
// while the consumer holds them).
//
// Next is not safe for concurrent use. Task.Complete may be called from
// several goroutines (each task serialises its own state).
type Workload struct {
	s       *Scenario
	seed    uint64
	end     int64 // arrivals at or after end are dropped; 0 = no end
	limit   int   // cap on top-level arrivals; 0 = none
	sources []source
	heap    []head
	seq     uint64 // last sequential request id handed out by Next

	mu      sync.Mutex // guards emitted: closed-loop tasks claim from Complete
	emitted int
	stopped bool
}

// NewWorkload starts a stream of the scenario's requests.
func (s *Scenario) NewWorkload(o WorkloadOptions) (*Workload, error) {
	w := &Workload{s: s, seed: s.Seed, limit: s.Requests}
	if o.Seed != nil {
		w.seed = *o.Seed
	}
	if o.Requests < 0 || o.Duration < 0 || o.RateScale < 0 || math.IsNaN(o.RateScale) || math.IsInf(o.RateScale, 0) {
		return nil, fmt.Errorf("workload options: requests, duration and rate scale must not be negative")
	}
	if o.Requests > 0 {
		w.limit = o.Requests
	}
	dur := s.Duration
	if o.Duration > 0 {
		dur = o.Duration
	}
	w.end = int64(dur)
	scale := o.RateScale
	if scale == 0 {
		scale = 1
	}
	if err := s.checkOverrides(o.Requests, dur, scale); err != nil {
		return nil, err
	}
	for i := range s.Classes {
		src, err := w.newSource(i, scale)
		if err != nil {
			w.Close()
			return nil, fmt.Errorf("class %q: %w", s.Classes[i].Name, err)
		}
		w.sources = append(w.sources, src)
	}
	for i, src := range w.sources {
		w.fill(i, src)
	}
	return w, nil
}

// streams returns the two independent random streams of class i: one for
// arrival times, one for everything else. Keeping them apart means editing
// a length distribution does not move any arrival time.
func (w *Workload) streams(class int) (arrivals, draws *rand.Rand) {
	base := Mix64(w.seed)
	c := uint64(class)
	arrivals = rand.New(rand.NewPCG(base^Mix64(c<<8|1), Mix64(c<<8|2)))
	draws = rand.New(rand.NewPCG(base^Mix64(c<<8|3), Mix64(c<<8|4)))
	return arrivals, draws
}

// fill pulls the next request of source i into the heap, unless it is past
// the end (then the source is finished: arrivals never go back in time).
func (w *Workload) fill(i int, src source) {
	r, ok := src.next()
	if !ok || (w.end > 0 && r.Arrival >= w.end) {
		return
	}
	w.push(head{r, i})
}

// Next returns the next top-level arrival, in nondecreasing Arrival order
// (ties: lower class index first). It returns false once the duration or
// request cap is reached or every class is exhausted; check Err then.
func (w *Workload) Next() (*Request, bool) {
	if len(w.heap) == 0 || !w.claim(w.heap[0].r.Arrival) {
		return nil, false
	}
	h := w.pop()
	w.seq++
	h.r.ID = w.seq
	if h.r.TaskID == 0 {
		h.r.TaskID = h.r.ID
	}
	w.fill(h.src, w.sources[h.src])
	return h.r, true
}

// Prefetchable reports whether Next may run ahead of the requests'
// completions, on another goroutine than Task.Complete: true when no
// class is a closed loop. A closed loop's tasks start from Complete and
// claim their place under the request cap there, so the order of those
// claims and Next's depends on the consumer; open-loop and trace classes
// never touch state that Complete writes (sessions draw from their own
// streams, samplers are read-only).
func (w *Workload) Prefetchable() bool {
	for i := range w.s.Classes {
		if c := &w.s.Classes[i]; c.Kind != KindTrace && c.Arrival.IsClosed() {
			return false
		}
	}
	return true
}

// claim reserves one top-level arrival at time at under the duration and
// request cap; closed-loop users call it for each new task.
func (w *Workload) claim(at int64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stopped || (w.end > 0 && at >= w.end) || (w.limit > 0 && w.emitted >= w.limit) {
		return false
	}
	w.emitted++
	return true
}

// Err reports the first error a class hit (e.g. a malformed trace line).
func (w *Workload) Err() error {
	var errs []error
	for _, s := range w.sources {
		if err := s.err(); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Close releases trace files; later closed-loop completions start no tasks.
func (w *Workload) Close() error {
	w.mu.Lock()
	w.stopped = true
	w.mu.Unlock()
	var errs []error
	for _, s := range w.sources {
		if err := s.close(); err != nil {
			errs = append(errs, err)
		}
	}
	w.heap = nil
	return errors.Join(errs...)
}

func (w *Workload) less(a, b head) bool {
	if a.r.Arrival != b.r.Arrival {
		return a.r.Arrival < b.r.Arrival
	}
	return a.src < b.src
}

func (w *Workload) push(h head) {
	w.heap = append(w.heap, h)
	i := len(w.heap) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !w.less(w.heap[i], w.heap[p]) {
			break
		}
		w.heap[i], w.heap[p] = w.heap[p], w.heap[i]
		i = p
	}
}

func (w *Workload) pop() head {
	top := w.heap[0]
	n := len(w.heap) - 1
	w.heap[0] = w.heap[n]
	w.heap[n] = head{}
	w.heap = w.heap[:n]
	i := 0
	for {
		l, m := 2*i+1, i
		if l < n && w.less(w.heap[l], w.heap[m]) {
			m = l
		}
		if l+1 < n && w.less(w.heap[l+1], w.heap[m]) {
			m = l + 1
		}
		if m == i {
			return top
		}
		w.heap[i], w.heap[m] = w.heap[m], w.heap[i]
		i = m
	}
}

// seconds converts a sampled tool or think time in seconds to ns,
// clamping negatives to 0 and a tail draw to MaxToolSeconds, the limit
// the file's tool_s and think_s are held to (a heavy tail must neither
// overflow int64 nor have the simulator idle through decades).
func seconds(x float64) int64 {
	if !(x > 0) {
		return 0
	}
	if x > MaxToolSeconds {
		x = MaxToolSeconds
	}
	return int64(x * 1e9)
}

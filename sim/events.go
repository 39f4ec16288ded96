package sim

// eventKind says what an event does when it fires.
type eventKind uint8

const (
	evArrival   eventKind = iota // a request (top-level or follow-up) arrives
	evStep                       // an instance finishes a step or a span of decode steps
	evTransfer                   // a link's earliest KV transfer may have finished
	evVideoDone                  // a video clip finished
	evSample                     // periodic timeline sample
	evReady                      // a provisioned instance starts serving
	evAutoscale                  // an autoscaler decision
	evFail                       // an instance fails
	evRepair                     // a failed instance is repaired
)

// event is one entry of the queue. Events are ordered by (at, seq): seq is
// a global counter, so equal-time events fire in the order they were
// scheduled and the run is deterministic.
type event struct {
	at   int64
	seq  uint64
	kind eventKind
	gen  uint32 // must equal the target's generation, else the event is stale
	idx  int32  // instance, link or video instance index
	s    *seqState
}

// eventQueue is a 4-ary min-heap specialised for event, avoiding the
// interface calls of container/heap on the hottest path of the simulator.
// Four children per node halve the depth of a binary heap: a pop, which
// walks from the root to a leaf, touches half as many cache lines on a
// queue of one event per busy instance (tens of thousands). (at, seq) is a
// total order, so the pop order, and the run, do not depend on the arity.
type eventQueue struct {
	h   []event
	seq uint64
}

func less(a, b *event) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.seq < b.seq
}

// push schedules e; it assigns e's sequence number.
func (q *eventQueue) push(e event) {
	q.seq++
	e.seq = q.seq
	q.h = append(q.h, e)
	h := q.h
	i := len(h) - 1
	for i > 0 {
		p := (i - 1) / 4
		if !less(&e, &h[p]) {
			break
		}
		h[i] = h[p]
		i = p
	}
	h[i] = e
}

// pop removes and returns the earliest event.
func (q *eventQueue) pop() event {
	h := q.h
	top := h[0]
	n := len(h) - 1
	last := h[n]
	h[n] = event{}
	h = h[:n]
	q.h = h
	if n == 0 {
		return top
	}
	i := 0
	for {
		c := 4*i + 1
		if c >= n {
			break
		}
		m := c
		for j := c + 1; j < min(c+4, n); j++ {
			if less(&h[j], &h[m]) {
				m = j
			}
		}
		if !less(&h[m], &last) {
			break
		}
		h[i] = h[m]
		i = m
	}
	h[i] = last
	return top
}

// peekTime returns the time of the earliest event; ok is false when empty.
func (q *eventQueue) peekTime() (int64, bool) {
	if len(q.h) == 0 {
		return 0, false
	}
	return q.h[0].at, true
}

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

// qent is an event as the heap stores it: 32 bytes, the kind folded into
// the low byte of the sequence number (seq<<8 | kind), which orders as seq
// does because seq is unique.
type qent struct {
	at  int64
	key uint64
	gen uint32
	idx int32
	s   *seqState
}

// eventQueue is a 4-ary min-heap specialised for event, avoiding the
// interface calls of container/heap on the hottest path of the simulator.
// Four children per node halve the depth of a binary heap: a pop, which
// walks from the root to a leaf, touches half as many cache lines on a
// queue of one event per busy instance (tens of thousands). Entries are
// 32 bytes and the root sits at h[rootAt], so that a node's four children
// (h[4j+4..4j+7] for the node at h[j+3]) fill one aligned 128-byte pair of
// cache lines: a level of a pop costs one adjacent-line fetch, where
// 40-byte entries spread the four over three or four lines. (at, seq) is a
// total order, so the pop order, and the run, do not depend on the arity
// or the layout.
type eventQueue struct {
	h   []qent // h[:rootAt] unused
	seq uint64
}

// rootAt is the heap root's index: node j of the heap is h[j+rootAt].
const rootAt = 3

func less(a, b *qent) bool {
	if a.at != b.at {
		return a.at < b.at
	}
	return a.key < b.key
}

// push schedules e; it assigns e's sequence number.
func (q *eventQueue) push(e event) {
	q.seq++
	x := qent{at: e.at, key: q.seq<<8 | uint64(e.kind), gen: e.gen, idx: e.idx, s: e.s}
	if q.h == nil {
		q.h = make([]qent, rootAt, 64)
	}
	q.h = append(q.h, x)
	h := q.h
	j := len(h) - 1 - rootAt
	for j > 0 {
		p := (j - 1) / 4
		if !less(&x, &h[p+rootAt]) {
			break
		}
		h[j+rootAt] = h[p+rootAt]
		j = p
	}
	h[j+rootAt] = x
}

// pop removes and returns the earliest event.
func (q *eventQueue) pop() event {
	h := q.h
	top := h[rootAt]
	n := len(h) - 1 - rootAt // events left after this pop
	last := h[n+rootAt]
	h[n+rootAt] = qent{}
	q.h = h[:n+rootAt]
	if n > 0 {
		h = h[rootAt : n+rootAt] // node j at h[j]; children 4j+1..4j+4
		j := 0
		for {
			c := 4*j + 1
			if c >= n {
				break
			}
			m := c
			for k := c + 1; k < min(c+4, n); k++ {
				if less(&h[k], &h[m]) {
					m = k
				}
			}
			if !less(&h[m], &last) {
				break
			}
			h[j] = h[m]
			j = m
		}
		h[j] = last
	}
	return event{at: top.at, seq: top.key >> 8, kind: eventKind(top.key), gen: top.gen, idx: top.idx, s: top.s}
}

// peekTime returns the time of the earliest event; ok is false when empty.
func (q *eventQueue) peekTime() (int64, bool) {
	if len(q.h) <= rootAt {
		return 0, false
	}
	return q.h[rootAt].at, true
}

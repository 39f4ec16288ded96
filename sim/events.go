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

// eventQueue is a binary min-heap specialised for event, avoiding the
// interface calls of container/heap on the hottest path of the simulator.
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
	i := len(q.h) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !less(&q.h[i], &q.h[p]) {
			break
		}
		q.h[i], q.h[p] = q.h[p], q.h[i]
		i = p
	}
}

// pop removes and returns the earliest event.
func (q *eventQueue) pop() event {
	top := q.h[0]
	n := len(q.h) - 1
	q.h[0] = q.h[n]
	q.h[n] = event{}
	q.h = q.h[:n]
	i := 0
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		m := l
		if r := l + 1; r < n && less(&q.h[r], &q.h[l]) {
			m = r
		}
		if !less(&q.h[m], &q.h[i]) {
			break
		}
		q.h[i], q.h[m] = q.h[m], q.h[i]
		i = m
	}
	return top
}

// peekTime returns the time of the earliest event; ok is false when empty.
func (q *eventQueue) peekTime() (int64, bool) {
	if len(q.h) == 0 {
		return 0, false
	}
	return q.h[0].at, true
}

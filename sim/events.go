package sim

import "math/bits"

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
//
// A queue that outgrows farMin events (a fleet of thousands of busy
// instances) gets a second tier: the heap keeps only the events of the
// time buckets (bucketNs wide) before cur, and later events wait unordered
// in a ring of ringLen buckets (beyond it, in a second heap, over), to be
// poured into the heap when it runs dry. A pop then walks a heap of one
// bucket's events (a few hundred, in the L1 cache) instead of one of tens
// of thousands spread over the L2 cache, and most events, scheduled
// milliseconds to seconds ahead, cost an append on arrival. The order of
// the pops is still exactly (at, seq). A bucket is a list of fixed chunks
// from a shared free list, so the ring holds memory for the events it
// holds, not for each bucket's busiest moment (per-bucket slices kept
// ~40 MB more at the peak of platform-hour).
type eventQueue struct {
	h   []qent // h[:rootAt] unused
	seq uint64

	far    bool     // the second tier is on
	cur    int64    // h holds every queued event of a bucket before cur; ring and over none
	ring   []bucket // ring[b&ringMask]: the events of bucket b, cur <= b < cur+ringLen
	occ    []uint64 // bit set of the non-empty ring slots
	inRing int      // events in ring
	over   []qent   // events of buckets from cur+ringLen on: a heap laid out as h
	free   *chunk   // chunks no bucket uses
}

// bucket is one time bucket's events, unordered, in a list of chunks,
// all full but the tail, which holds n. The count is kept here, in the
// ring, not in the tail chunk: a push into a bucket then only stores into
// the chunk, and a store to a cold line does not stall the loop, where
// reading a count at the chunk's end did (1.8 s of the 20-minute cut's
// ~100 s loop, in place).
type bucket struct {
	head, tail *chunk
	n          int
}

// chunkLen is the events a chunk holds: a chunk is 2 KB.
const chunkLen = 63

// chunk is a piece of a bucket's event list.
type chunk struct {
	e    [chunkLen]qent
	next *chunk
}

// rootAt is the heap root's index: node j of the heap is h[j+rootAt].
const rootAt = 3

// The second tier (see eventQueue): buckets of 2^22 ns (4.2 ms) in a ring
// of 1,024 (4.3 s of virtual time: decode spans, the longest-lived events,
// end within about two seconds).
const (
	bucketShift = 22
	ringLen     = 1024
	ringMask    = ringLen - 1
)

// farMin is the queue length at which the second tier starts: about
// 4,000 busy instances. A smaller heap stays in the L2 cache (at 2,048
// instances the tier measured no gain). A variable: tests lower it.
var farMin = 8192

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
	if q.far {
		q.place(x)
		return
	}
	heapPush(&q.h, x)
	if len(q.h)-rootAt > farMin {
		q.split()
	}
}

// heapPush adds x to the heap *hp (laid out as eventQueue.h).
func heapPush(hp *[]qent, x qent) {
	if *hp == nil {
		*hp = make([]qent, rootAt, 64)
	}
	*hp = append(*hp, x)
	h := *hp
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

// heapPop removes and returns the least entry of the non-empty heap *hp.
func heapPop(hp *[]qent) qent {
	h := *hp
	top := h[rootAt]
	n := len(h) - 1 - rootAt // entries left after this pop
	last := h[n+rootAt]
	h[n+rootAt] = qent{}
	*hp = h[:n+rootAt]
	if n > 0 {
		siftDown(h[rootAt:n+rootAt], 0, last)
	}
	return top
}

// siftDown places x in the subtree of node j of heap h (node j at h[j];
// children 4j+1..4j+4), whose slot j is free.
func siftDown(h []qent, j int, x qent) {
	n := len(h)
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
		if !less(&h[m], &x) {
			break
		}
		h[j] = h[m]
		j = m
	}
	h[j] = x
}

// pop removes and returns the earliest event (the queue must not be
// empty: see peekTime).
func (q *eventQueue) pop() event {
	if q.far && len(q.h) <= rootAt {
		q.refill()
	}
	top := heapPop(&q.h)
	return event{at: top.at, seq: top.key >> 8, kind: eventKind(top.key), gen: top.gen, idx: top.idx, s: top.s}
}

// peekTime returns the time of the earliest event; ok is false when empty.
func (q *eventQueue) peekTime() (int64, bool) {
	if q.far && len(q.h) <= rootAt {
		q.refill()
	}
	if len(q.h) <= rootAt {
		return 0, false
	}
	return q.h[rootAt].at, true
}

// split turns the second tier on: the events of the root's bucket stay in
// the heap, the later ones move to the ring or over.
func (q *eventQueue) split() {
	q.far = true
	q.ring = make([]bucket, ringLen)
	q.occ = make([]uint64, ringLen/64)
	q.cur = q.h[rootAt].at>>bucketShift + 1
	all := append([]qent(nil), q.h[rootAt:]...)
	clear(q.h[rootAt:])
	q.h = q.h[:rootAt]
	for _, x := range all {
		q.place(x)
	}
}

// place queues x in the tier its bucket belongs to.
func (q *eventQueue) place(x qent) {
	switch b := x.at >> bucketShift; {
	case b < q.cur:
		heapPush(&q.h, x)
	case b < q.cur+ringLen:
		i := b & ringMask
		bk := &q.ring[i]
		t := bk.tail
		if t == nil || bk.n == chunkLen {
			c := q.free
			if c != nil {
				q.free = c.next
				c.next = nil
			} else {
				c = new(chunk)
			}
			if t == nil {
				bk.head = c
			} else {
				t.next = c
			}
			bk.tail, t, bk.n = c, c, 0
		}
		if t != nil { // always: an explicit test, so that the compiler drops
			// its own nil check, a load of the chunk's first (cold) line
			// (2.1 s of that cut's loop, once the count moved out)
			t.e[bk.n] = x
		}
		bk.n++
		q.occ[i>>6] |= 1 << (i & 63)
		q.inRing++
	default:
		heapPush(&q.over, x)
	}
}

// refill pours the earliest non-empty bucket into the empty heap, if any
// event is queued.
func (q *eventQueue) refill() {
	for len(q.h) <= rootAt {
		if q.inRing == 0 {
			if len(q.over) <= rootAt {
				return
			}
			q.cur = q.over[rootAt].at >> bucketShift
			q.migrate()
			continue
		}
		b := q.nextBucket()
		i := b & ringMask
		if q.h == nil {
			q.h = make([]qent, rootAt, 64)
		}
		bk := &q.ring[i]
		for c := bk.head; c != nil; {
			n := chunkLen
			if c == bk.tail {
				n = bk.n
			}
			q.h = append(q.h, c.e[:n]...)
			clear(c.e[:n]) // drop the sequences' pointers
			q.inRing -= n
			next := c.next
			c.next, q.free = q.free, c
			c = next
		}
		q.ring[i] = bucket{}
		q.occ[i>>6] &^= 1 << (i & 63)
		q.cur = b + 1
		h := q.h[rootAt:]
		for j := (len(h) - 2) / 4; j >= 0; j-- {
			siftDown(h, j, h[j])
		}
		q.migrate()
	}
}

// nextBucket returns the earliest non-empty bucket of the ring (some is).
func (q *eventQueue) nextBucket() int64 {
	start := q.cur & ringMask
	w := start >> 6
	word := q.occ[w] &^ (1<<(start&63) - 1)
	for {
		if word != 0 {
			i := w<<6 + int64(bits.TrailingZeros64(word))
			return q.cur + (i-start)&ringMask
		}
		w = (w + 1) & (ringLen/64 - 1)
		word = q.occ[w]
	}
}

// migrate moves the events of over whose buckets the ring now covers into
// it.
func (q *eventQueue) migrate() {
	for len(q.over) > rootAt && q.over[rootAt].at>>bucketShift < q.cur+ringLen {
		q.place(heapPop(&q.over))
	}
}

package sim

// The decoders' inter-token gap log, and the gap ranges that records take
// from it.
//
// Every member of a decoding batch gets the same gap from a step, so an
// instance logs each step's gap once and a sequence leaving the batch
// takes the range of steps it decoded (decoders.flushITL). The log is kept
// in fixed chunks that are never rewritten while anyone reads them: a
// range is a reference (first chunk, offset, length), and the gaps are
// copied into the record (Record.ITL) later, by whoever needs them. On a
// pipelined batch run that is the consumer goroutine (pipeline.go), so the
// event loop does no per-token copy at all; otherwise (serial runs,
// incidents, live hooks) the loop copies at finish, as before.
//
// A chunk returns to the engine's free list once its instance dropped it
// from the log (no member needs its steps) and no range reads it: ranges
// count their chunks (refs) until their gaps are copied, on the loop's
// goroutine, or until the consumer's processed batch comes back to it.
// All the bookkeeping stays on the loop's goroutine; the consumer only
// reads gaps written before the record was queued.

// gapChunkLen is how many steps' gaps one chunk holds.
const gapChunkLen = 256

type gapChunk struct {
	g    [gapChunkLen]int64
	next *gapChunk // the log's next chunk (set once it exists)
	refs int32     // ranges reading this chunk
	held bool      // still in its instance's log
}

// itlRange is a sequence's gaps of one decode residency, not yet copied
// into its record: first (its own first gap), then n logged gaps from
// c.g[off] on, continuing in c.next.
type itlRange struct {
	c     *gapChunk
	off   int32
	n     int32
	first int64
}

// appendTo appends the range's gaps to dst.
func (r *itlRange) appendTo(dst []int64) []int64 {
	dst = append(dst, r.first)
	c, off, n := r.c, int(r.off), int(r.n)
	for n > 0 {
		k := min(n, gapChunkLen-off)
		dst = append(dst, c.g[off:off+k]...)
		n -= k
		if n > 0 { // never read the last chunk's next: the loop may be setting it
			c, off = c.next, 0
		}
	}
	return dst
}

// chunks calls f for each chunk the range reads.
func (r *itlRange) chunks(f func(c *gapChunk)) {
	c, left := r.c, int(r.off)+int(r.n)
	for {
		f(c)
		left -= gapChunkLen
		if left <= 0 {
			return
		}
		c = c.next
	}
}

// gapFree is the engine's free chunks (the loop's goroutine only).
type gapFree struct{ chunks []*gapChunk }

func (f *gapFree) get() *gapChunk {
	if n := len(f.chunks); n > 0 {
		c := f.chunks[n-1]
		f.chunks[n-1] = nil
		f.chunks = f.chunks[:n-1]
		c.next, c.held = nil, true
		return c
	}
	return &gapChunk{held: true}
}

// unhold takes c out of its instance's log.
func (f *gapFree) unhold(c *gapChunk) {
	c.held = false
	if c.refs == 0 {
		f.chunks = append(f.chunks, c)
	}
}

// take counts a new reader of r's chunks.
func (f *gapFree) take(r *itlRange) { r.chunks(func(c *gapChunk) { c.refs++ }) }

// drop ends r's reading of its chunks (after its gaps were copied).
func (f *gapFree) drop(r *itlRange) {
	r.chunks(func(c *gapChunk) {
		if c.refs--; c.refs == 0 && !c.held {
			f.chunks = append(f.chunks, c)
		}
	})
	*r = itlRange{}
}

// settleITL copies s's pending gap range into its record now (on the
// loop's goroutine): before anything else is appended to it, or before a
// reader on this goroutine (summary, hooks) sees the record.
func (e *engine) settleITL(s *seqState) {
	if s.itl.c == nil {
		return
	}
	if s.rec.ITL == nil {
		s.rec.ITL = newITL(&e.itlFree, max(int(s.itl.n)+1, s.target-1))
	}
	s.rec.ITL = s.itl.appendTo(s.rec.ITL)
	e.gapFree.drop(&s.itl)
}

// newITL returns an empty slice with room for n gaps, recycled from free
// when it has one.
func newITL(free *[][]int64, n int) []int64 {
	if free != nil {
		if f := *free; len(f) > 0 {
			b := f[len(f)-1]
			f[len(f)-1] = nil
			*free = f[:len(f)-1]
			if cap(b) >= n {
				return b
			}
		}
	}
	return make([]int64, 0, n)
}

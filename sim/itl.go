package sim

import "math"

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
// Only a completing sequence takes a range (it is finished in the same
// event: its range goes to the consumer or is copied at once); one that
// leaves the batch otherwise (preempted, failed) has its gaps copied at
// once. So when an instance trims a chunk from its log (no member needs
// its steps), every range reading it is in a batch already queued for the
// consumer or in the one being filled: the chunk waits in limbo, tagged
// with that batch, and returns to the free list once the consumer has
// processed it (accumulator.processed). Serial runs free it at once. All
// the bookkeeping stays on the loop's goroutine; the consumer only reads
// gaps written before the record was queued, and never a chunk's next
// pointer past a range's end.

// gapChunkLen is how many steps' gaps one chunk holds.
const gapChunkLen = 256

type gapChunk struct {
	g    [gapChunkLen]int64
	next *gapChunk // the log's next chunk (set once it exists)
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

// gapFree is the engine's free chunks and those in limbo (the loop's
// goroutine only).
type gapFree struct {
	chunks []*gapChunk
	limbo  []limboChunk // trimmed chunks queued records may still read, oldest first
	head   int          // limbo[:head] are reclaimed
	acc    *accumulator // the pipeline's consumer while it runs, else nil
}

// limboChunk is a trimmed chunk free once the consumer has processed
// batch number after.
type limboChunk struct {
	c     *gapChunk
	after int64
}

func (f *gapFree) get() *gapChunk {
	if len(f.chunks) == 0 && f.head < len(f.limbo) {
		f.reclaim()
	}
	if n := len(f.chunks); n > 0 {
		c := f.chunks[n-1]
		f.chunks[n-1] = nil
		f.chunks = f.chunks[:n-1]
		c.next = nil
		return c
	}
	return &gapChunk{}
}

// unhold takes c out of its instance's log.
func (f *gapFree) unhold(c *gapChunk) {
	if f.acc == nil {
		f.chunks = append(f.chunks, c)
		return
	}
	// Ranges reading c are in the batches sent so far or in the one
	// being filled (number sent+1).
	f.limbo = append(f.limbo, limboChunk{c, f.acc.sent + 1})
}

// reclaim frees the chunks in limbo whose batches the consumer has
// processed (all of them once the pipeline stopped).
func (f *gapFree) reclaim() {
	done := int64(math.MaxInt64)
	if f.acc != nil {
		done = f.acc.processed.Load()
	}
	for f.head < len(f.limbo) && f.limbo[f.head].after <= done {
		f.chunks = append(f.chunks, f.limbo[f.head].c)
		f.limbo[f.head] = limboChunk{}
		f.head++
	}
	if f.head > len(f.limbo)/2 {
		n := copy(f.limbo, f.limbo[f.head:])
		f.limbo, f.head = f.limbo[:n], 0
	}
}

// settleITL copies s's pending gap range into its record now (on the
// loop's goroutine): before anything else is appended to it, or before a
// reader on this goroutine (summary, hooks) sees the record.
func (e *engine) settleITL(s *seqState) {
	if s.itl.c == nil {
		return
	}
	if !s.hasITL {
		s.rec.ITL = newITL(&e.itlFree, max(int(s.itl.n)+1, s.target-1))
		s.hasITL = true
	}
	s.rec.ITL = s.itl.appendTo(s.rec.ITL)
	s.itl = itlRange{}
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

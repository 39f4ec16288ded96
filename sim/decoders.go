package sim

// decoders is an instance's decoding batch, kept so that advancing it by
// k steps costs O(log n) per finishing sequence and O(classes + block
// size) per span, never O(batch size): every sequence in the batch gains
// one token per step, so a sequence's state is a function of the
// instance's step clock and the clock at which it joined.
//
// For sequence r joined at clock j with KV need kv (prompt + generated
// tokens) at that moment, its KV need at clock t is base_r + t with
// base_r = kv − j; its generated count is gen0 + (t − j); it finishes when
// the clock reaches doneAt = j + (target − gen0). The batch keeps the sums
// the engine needs: Σ context for the step-time model, and the KV blocks
// Σ ceil((base_r + t)/B), computed from a histogram of base_r mod B.
type decoders struct {
	h       []decEntry  // min-heap by (doneAt, admitSeq)
	clock   int64       // decode steps executed by this instance
	ctxBase int64       // Σ base_r: context of all at clock t is ctxBase + n·t
	quot    int64       // Σ floor(base_r / B)
	resid   []int64     // count of sequences by base_r mod B
	nz      []int32     // residues with a nonzero count (blocksAt walks only these)
	nzPos   []int32     // position of each residue in nz, or -1
	own     int64       // Σ blocks held in the sequences' own block tables
	growth  int64       // anonymous blocks reserved for generated tokens
	cls     []int64     // non-warm-up sequences per class (ITL counts)
	fresh   []*seqState // joined since the last planned step (their first gap is their own)
	bs      int64

	// Inter-token gaps, for the records (Record.ITL): gap number i of the
	// log (log[i/gapChunkLen].g[i%gapChunkLen]) is the gap step gapsFrom+i
	// (the step that took the clock from c-1 to c) gave every sequence
	// that decoded in the step before it; a sequence's first step after
	// joining gives it its own gap (firstGap). A sequence leaving the
	// batch takes the range of its gaps (flushITL), copied into its record
	// later, O(its tokens) once, never O(batch) per step (itl.go). The log
	// keeps whole chunks back to the oldest member's join (trimmed when
	// nGaps reaches trimAt).
	log      []*gapChunk
	tail     *gapChunk // log's last chunk, where logSteps writes: reached without the log's (cold) array
	gapsFrom int64
	nGaps    int
	trimAt   int
	lastEnd  int64      // end time of step clock (the newest logged)
	free     *[][]int64 // the engine's recycled ITL slices (nil: none)
	gapFree  *gapFree   // the engine's free log chunks
	prev     *gapChunk  // the chunk before tail (nil when the log has fewer than two); last: flushITL alone reads it
}

// decEntry is a batch member in the heap, with its ordering keys copied
// in: the heap's comparisons and the completion check read this array
// only, never the members' own (scattered, cache-cold) state.
type decEntry struct {
	doneAt   int64
	admitSeq uint64
	s        *seqState
}

func (d *decoders) len() int { return len(d.h) }

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}

// blocksAt is Σ ceil((base_r + t)/B) over the batch: with u = t + B − 1
// = q·B + r (0 ≤ r < B), a member of residue ρ needs floor((ρ + u)/B) =
// q + [ρ + r ≥ B] blocks beyond floor(base_r/B), so one division serves
// every residue (the planner asks this for each candidate span length).
func (d *decoders) blocksAt(t int64) int64 {
	u := t + d.bs - 1
	q := floorDiv(u, d.bs)
	edge := d.bs - (u - q*d.bs) // residues at or above it take one more block
	var n, more int64
	for _, rho := range d.nz {
		k := d.resid[rho]
		n += k
		if int64(rho) >= edge {
			more += k
		}
	}
	return d.quot + q*n + more
}

// growthAt is how many anonymous blocks the batch needs for a step at
// clock t (never negative).
func (d *decoders) growthAt(t int64) int64 {
	return max(d.blocksAt(t)-d.own, 0)
}

func (d *decoders) ctxAt(t int64) int64 { return d.ctxBase + int64(len(d.h))*t }

// gen is s's generated-token count at the current clock.
func (d *decoders) gen(s *seqState) int { return s.gen0 + int(d.clock-s.joinClock) }

func (d *decoders) less(i, j int) bool {
	a, b := &d.h[i], &d.h[j]
	if a.doneAt != b.doneAt {
		return a.doneAt < b.doneAt
	}
	return a.admitSeq < b.admitSeq
}

func (d *decoders) swap(i, j int) {
	d.h[i], d.h[j] = d.h[j], d.h[i]
}

func (d *decoders) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !d.less(i, p) {
			return
		}
		d.swap(i, p)
		i = p
	}
}

func (d *decoders) down(i int) {
	n := len(d.h)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && d.less(r, l) {
			m = r
		}
		if !d.less(m, i) {
			return
		}
		d.swap(i, m)
		i = m
	}
}

// join adds s, which has just emitted token number s.generated and holds
// its prompt blocks, to the batch at the current clock.
func (d *decoders) join(s *seqState, included bool) {
	s.joinClock = d.clock
	s.gen0 = s.generated
	s.base = int64(s.kvTokens()) - d.clock
	s.doneAt = d.clock + int64(s.target-s.generated)
	s.ownBlocks = int32(s.kv.Blocks()) // a cache holds at most 2^30 blocks (kvcache.New)
	s.included = included
	d.ctxBase += s.base
	d.quot += floorDiv(s.base, d.bs)
	d.addResid(s.base-floorDiv(s.base, d.bs)*d.bs, 1)
	d.own += int64(s.ownBlocks)
	d.cls[s.classIdx]++
	d.fresh = append(d.fresh, s)
	d.h = append(d.h, decEntry{doneAt: s.doneAt, admitSeq: s.admitSeq, s: s})
	d.up(len(d.h) - 1)
}

// settleFresh gives the sequences that joined since the last step their
// own first gap, to the end of the step that will give them their next
// token (their previous one came before they joined). The scheduler calls
// it when it plans that step, while they are in cache (by the time the
// step ends, at 10,000 instances, they are not); nothing but a step's own
// end can come between (kick only cuts a span after its first step).
func (d *decoders) settleFresh(firstEnd int64) {
	for _, s := range d.fresh {
		s.firstGap = firstEnd - s.lastTok
	}
	d.fresh = d.fresh[:0]
}

// logSteps records the gaps of the k steps just run (ends are their end
// times, the first began at start) and settles the first gaps of fresh
// sequences not settled when the step was planned.
func (d *decoders) logSteps(ends []int64, start int64) {
	d.settleFresh(ends[0])
	if d.nGaps == 0 {
		d.gapsFrom = d.clock + 1
	}
	prev := start
	for len(ends) > 0 {
		i := d.nGaps % gapChunkLen
		if i == 0 && d.nGaps/gapChunkLen == len(d.log) {
			c := d.gapFree.get()
			if d.tail != nil {
				d.tail.next = c // the last chunk, without reading the log's array
			}
			d.prev = d.tail
			d.log = append(d.log, c)
			d.tail = c
		}
		c := d.tail
		if w := d.nGaps / gapChunkLen; w != len(d.log)-1 {
			c = d.log[w] // not reached: the write position is in the last chunk
		}
		if c == nil {
			panic("sim: decode gap log has no tail chunk") // never: one was appended above
		}
		// c is known non-nil here, so slicing c.g needs no nil check: that
		// check is a load of the chunk's first line, cold at 10,000
		// instances once the write position has moved past it (loadDeps
		// prefetches the write position's line only).
		g := c.g[i:]
		k := min(len(g), len(ends))
		for j, t := range ends[:k] {
			g[j] = t - prev
			prev = t
		}
		d.nGaps += k
		ends = ends[k:]
	}
	d.lastEnd = prev
	if d.nGaps < d.trimAt {
		return
	}
	// Drop the whole chunks no member needs: before the oldest join + 2.
	keep := d.gapsFrom + int64(d.nGaps)
	for i := range d.h {
		keep = min(keep, d.h[i].s.joinClock+2)
	}
	if n := int(keep-d.gapsFrom) / gapChunkLen; n > 0 {
		for _, c := range d.log[:n] {
			d.gapFree.unhold(c)
		}
		k := copy(d.log, d.log[n:])
		clear(d.log[k:])
		d.log = d.log[:k]
		if k == 0 {
			d.tail = nil
		}
		if k < 2 {
			d.prev = nil
		}
		d.gapsFrom += int64(n * gapChunkLen)
		d.nGaps -= n * gapChunkLen
	}
	d.trimAt = max(1024, 2*d.nGaps)
}

// dropLog empties the gap log (the batch is gone).
func (d *decoders) dropLog() {
	for _, c := range d.log {
		d.gapFree.unhold(c)
	}
	clear(d.log)
	d.log, d.nGaps, d.tail, d.prev = d.log[:0], 0, nil, nil
}

// flushITL gives s the gaps of the steps it decoded since it joined, and
// moves s.lastTok to its last token (call before s leaves the batch, at
// the settled clock: a preempted sequence's next gap, after its
// recompute, starts there). A sequence completing now (it is finished in
// this event) takes them as a range (s.itl), copied into its record later
// (itl.go), unless the record already has gaps (an earlier residency's, a
// recomputed prompt's token); otherwise they are appended now, in order.
func (d *decoders) flushITL(s *seqState) {
	n := int(d.clock - s.joinClock)
	if n <= 0 {
		return
	}
	from := int(s.joinClock + 2 - d.gapsFrom) // log position of its second gap
	r := itlRange{first: s.firstGap, n: int32(n - 1)}
	if n > 1 {
		r.c, r.off = d.chunk(from/gapChunkLen), int32(from%gapChunkLen)
	}
	if s.doneAt <= d.clock && !s.hasITL && r.c != nil {
		s.itl = r
	} else {
		if !s.hasITL {
			s.rec.ITL = newITL(d.free, max(n, s.target-1))
			s.hasITL = true
		}
		s.rec.ITL = r.appendTo(s.rec.ITL)
	}
	// s's last token came with step clock: lastTok + firstGap + the gaps
	// after it telescope to that step's end.
	s.lastTok = d.lastEnd
}

// chunk returns the log's chunk number w: the last two come from the
// struct (most completing sequences joined within the last 512 steps),
// the rest from the log's array, a cache miss at 10,000 instances.
func (d *decoders) chunk(w int) *gapChunk {
	switch n := len(d.log); {
	case w == n-1:
		return d.tail
	case w == n-2:
		return d.prev
	}
	return d.log[w]
}

// index is s's position in the heap, or -1 when s is not in the batch
// (a scan: only preemption asks, never the per-step path).
func (d *decoders) index(s *seqState) int {
	for i := range d.h {
		if d.h[i].s == s {
			return i
		}
	}
	return -1
}

// remove takes the member at heap position i out of the batch and brings
// its counters up to date.
func (d *decoders) remove(i int) {
	s := d.h[i].s
	d.flushITL(s)
	s.generated = d.gen(s)
	last := len(d.h) - 1
	if i != last {
		d.swap(i, last)
	}
	d.h[last] = decEntry{}
	d.h = d.h[:last]
	if i != last {
		d.down(i)
		d.up(i)
	}
	d.ctxBase -= s.base
	d.quot -= floorDiv(s.base, d.bs)
	d.addResid(s.base-floorDiv(s.base, d.bs)*d.bs, -1)
	d.own -= int64(s.ownBlocks)
	d.cls[s.classIdx]--
	for k, f := range d.fresh {
		if f == s {
			d.fresh = append(d.fresh[:k], d.fresh[k+1:]...)
			break
		}
	}
}

// newest returns the most recently admitted sequence, or nil.
func (d *decoders) newest() *seqState {
	var v *decEntry
	for i := range d.h {
		if v == nil || d.h[i].admitSeq > v.admitSeq {
			v = &d.h[i]
		}
	}
	if v == nil {
		return nil
	}
	return v.s
}

// addResid changes the count of residue rho by delta, keeping the list of
// nonzero residues.
func (d *decoders) addResid(rho int64, delta int64) {
	if d.nzPos == nil {
		d.nzPos = make([]int32, d.bs)
		for i := range d.nzPos {
			d.nzPos[i] = -1
		}
	}
	before := d.resid[rho]
	d.resid[rho] += delta
	switch {
	case before == 0 && d.resid[rho] != 0:
		d.nzPos[rho] = int32(len(d.nz))
		d.nz = append(d.nz, int32(rho))
	case before != 0 && d.resid[rho] == 0:
		i := d.nzPos[rho]
		last := d.nz[len(d.nz)-1]
		d.nz[i] = last
		d.nzPos[last] = i
		d.nz = d.nz[:len(d.nz)-1]
		d.nzPos[rho] = -1
	}
}

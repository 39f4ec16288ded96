package kvcache

// segment is a range of evictable slots [lo, hi) that sit together in the
// LRU order, evicted from hi-1 down to lo: Release walks a sequence tail
// first, so consecutive slots it unpins one after the other form one
// segment. Segments live in Cache.segs, linked through prev/next in LRU
// order; free ones are stacked in Cache.freeSegs. Release
// appends to the last segment, or starts one, block by block.
type segment struct {
	lo, hi     int32
	prev, next int32
}

// segRemove takes evictable slot b out of the LRU order (its state is the
// caller's to set): its segment shrinks, or splits in two around it, the
// smaller half getting a new segment (its slots are relabelled).
func (c *Cache) segRemove(b int32) {
	g := -c.sl.grp(b).st[b&slotMask] - 1
	s := c.segs[g]
	c.nLRU--
	switch {
	case s.hi-s.lo == 1:
		c.segUnlink(g)
	case b == s.lo:
		c.segs[g].lo++
	case b == s.hi-1:
		c.segs[g].hi--
	case b-s.lo <= s.hi-b-1: // lower half [lo, b) is evicted after g: a new segment after it
		n := c.segNew(s.lo, b)
		c.segInsert(n, g, s.next)
		c.segs[g].lo = b + 1
		c.relabel(s.lo, b, n)
	default: // upper half [b+1, hi) is evicted before g: a new segment before it
		n := c.segNew(b+1, s.hi)
		c.segInsert(n, s.prev, g)
		c.segs[g].hi = b
		c.relabel(b+1, s.hi, n)
	}
}

func (c *Cache) relabel(lo, hi, g int32) {
	c.sl.setSt(lo, hi, -g-1)
}

// segNew returns a free segment holding [lo, hi), not linked yet.
func (c *Cache) segNew(lo, hi int32) int32 {
	c.segCount++
	if n := len(c.freeSegs); n > 0 {
		g := c.freeSegs[n-1]
		c.freeSegs = c.freeSegs[:n-1]
		c.segs[g] = segment{lo: lo, hi: hi}
		return g
	}
	c.segs = append(c.segs, segment{lo: lo, hi: hi})
	return int32(len(c.segs) - 1)
}

// segInsert links g between prev and next (adjacent, or nilSeg at an end).
func (c *Cache) segInsert(g, prev, next int32) {
	c.segs[g].prev, c.segs[g].next = prev, next
	if prev == nilSeg {
		c.lruHead = g
	} else {
		c.segs[prev].next = g
	}
	if next == nilSeg {
		c.lruTail = g
	} else {
		c.segs[next].prev = g
	}
}

// segUnlink takes g out of the LRU order and frees it.
func (c *Cache) segUnlink(g int32) {
	s := c.segs[g]
	if s.prev == nilSeg {
		c.lruHead = s.next
	} else {
		c.segs[s.prev].next = s.next
	}
	if s.next == nilSeg {
		c.lruTail = s.prev
	} else {
		c.segs[s.next].prev = s.prev
	}
	c.segs[g] = segment{}
	c.freeSegs = append(c.freeSegs, g)
	c.segCount--
}

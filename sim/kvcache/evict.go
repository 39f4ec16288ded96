package kvcache

// Eviction and slot bookkeeping of Cache (cache.go): hashes leaving the
// index, LRU victims, slots materialised and freed, the ghost set, and
// the bit and span helpers they share.

// dropHash takes slot b's hash out of the index (b stays where it is, now
// unhashed); a linked successor becomes a run head.
func (c *Cache) dropHash(b int32) {
	g, j := c.sl.grp(b), b&slotMask
	if g.bits[bLinked]>>j&1 != 0 {
		g.bits[bLinked] &^= 1 << j
	} else {
		c.tab.del(&c.sl, g.hash[j], b)
	}
	g.bits[bHashed] &^= 1 << j
	g.bits[bMoved] &^= 1 << j
	c.nHashed--
	c.headAfter(b + 1)
}

// headAfter makes slot nx a run head if it is linked (the slot before it
// just lost its hash).
func (c *Cache) headAfter(nx int32) {
	if nx < c.sl.n && c.sl.bit(bLinked, nx) {
		c.sl.set(bLinked, nx, false)
		c.tab.swap(&c.sl, c.sl.hash(nx), nx)
	}
}

// unhash drops b's hash (b is re-published with other content), firing
// onEvict and writing it back to the tier (its KV leaves HBM but survives
// in the second tier). The hash becomes a ghost: its cached successors
// lose their predecessor (see Publish).
func (c *Cache) unhash(b int32) {
	h := c.sl.hash(b)
	c.addGhost(h)
	c.dropHash(b)
	if c.onEvict != nil {
		c.onEvict(h)
	}
	if c.tier != nil {
		c.tier.Put(h)
	}
}

// evict evicts the n least recently used evictable blocks (n <= nLRU; none
// if n <= 0), in LRU order, and frees their slots. A hash that had moved
// into its slot (Publish dedupe) becomes a ghost (see Publish).
func (c *Cache) evict(n int) {
	for n > 0 {
		g := &c.segs[c.lruHead]
		m := min(int32(n), g.hi-g.lo, touchBatch)
		lo, hi := g.hi-m, g.hi
		if c.onTouch != nil {
			keys := c.touchKeys[:0]
			for b := hi - 1; b >= lo; b-- {
				keys = append(keys, c.sl.hash(b))
			}
			c.onTouch(keys)
			c.touchKeys = keys
		}
		// The blocks [lo, hi), evicted top down: what unhash does block by
		// block, with the bit sets cleared a word at a time.
		for b := hi - 1; b >= lo; b-- {
			g, j := c.sl.grp(b), b&slotMask
			h := g.hash[j]
			if g.bits[bMoved]>>j&1 != 0 {
				c.addGhost(h)
			}
			if g.bits[bLinked]>>j&1 == 0 {
				c.tab.del(&c.sl, h, b)
			}
			if c.onEvict != nil {
				c.onEvict(h)
			}
			if c.tier != nil {
				c.tier.Put(h)
			}
		}
		for b := lo; b < hi; { // the group-sized pieces of [lo, hi)
			g, off := c.sl.grp(b), b&slotMask
			k := min(hi-b, groupSlots-off)
			mask := uint64(1<<k-1) << off
			g.bits[bHashed] &^= mask
			g.bits[bLinked] &^= mask
			g.bits[bMoved] &^= mask
			g.bits[bFree] |= mask
			clear(g.st[off : off+k])
			b += k
		}
		c.nHashed -= int(m)
		c.headAfter(hi)
		c.evictions += uint64(m)
		c.nLRU -= int(m)
		g = &c.segs[c.lruHead]
		if g.hi = lo; g.hi == g.lo {
			c.segUnlink(c.lruHead)
		}
		c.nFree += int(m)
		n -= int(m)
	}
}

// fresh materialises at least one more slot, at most n and maxSlots in
// all: free slots for the cursor to take. Pages of slots are added as
// needed (slots.go): nothing is copied, and the slack is at most one page.
func (c *Cache) fresh(n int) {
	lo := c.sl.n
	n = min(max(n, 64), c.maxSlots-int(lo))
	c.sl.grow(lo + int32(n))
	c.sl.setBits(bFree, lo, lo+int32(n))
	c.nFree += n
}

func (c *Cache) freeSlot(b int32) {
	c.sl.set(bFree, b, true)
	c.nFree++
}

// maxGhosts bounds the ghost set at an eighth of the capacity (a few bytes
// per block at most); past it, every Publish looks up every block.
func (c *Cache) maxGhosts() int { return max(64, c.capacity/8) }

func (c *Cache) addGhost(h uint64) {
	if c.ghostsAll {
		return
	}
	if c.ghosts.n >= c.maxGhosts() {
		c.ghosts, c.ghostsAll = table{}, true
		return
	}
	c.ghosts.set(h, 0)
}

func (c *Cache) isGhost(h uint64) bool {
	if c.ghosts.n == 0 {
		return false
	}
	_, ok := c.ghosts.get(h)
	return ok
}

// appendSpan appends sp to spans, extending the last span when sp continues it.
func appendSpan(spans []span, sp span) []span {
	if k := len(spans); k > 0 && spans[k-1].lo+spans[k-1].n == sp.lo {
		spans[k-1].n += sp.n
		return spans
	}
	return append(spans, sp)
}

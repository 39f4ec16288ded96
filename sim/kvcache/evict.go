package kvcache

// Eviction and slot bookkeeping of Cache (cache.go): hashes leaving the
// index, LRU victims, slots materialised and freed, the ghost set, and
// the bit and span helpers they share.

// dropHash takes slot b's hash out of the index (b stays where it is, now
// unhashed); a linked successor becomes a run head.
func (c *Cache) dropHash(b int32) {
	if bit(c.linked, b) {
		set(c.linked, b, false)
	} else {
		c.tab.del(c.hash, c.hash[b], b)
	}
	set(c.hashed, b, false)
	set(c.moved, b, false)
	c.nHashed--
	if nx := b + 1; int(nx) < len(c.hash) && bit(c.linked, nx) {
		set(c.linked, nx, false)
		c.tab.swap(c.hash, c.hashed, c.linked, c.hash[nx], nx)
	}
}

// unhash drops b's hash (b is re-published with other content), firing
// onEvict and writing it back to the tier (its KV leaves HBM but survives
// in the second tier). The hash becomes a ghost: its cached successors
// lose their predecessor (see Publish).
func (c *Cache) unhash(b int32) {
	h := c.hash[b]
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
				keys = append(keys, c.hash[b])
			}
			c.onTouch(keys)
			c.touchKeys = keys
		}
		// The blocks [lo, hi), evicted top down: what unhash does block by
		// block, with the bit sets cleared a word at a time.
		for b := hi - 1; b >= lo; b-- {
			h := c.hash[b]
			if bit(c.moved, b) {
				c.addGhost(h)
			}
			if !bit(c.linked, b) {
				c.tab.del(c.hash, h, b)
			}
			if c.onEvict != nil {
				c.onEvict(h)
			}
			if c.tier != nil {
				c.tier.Put(h)
			}
		}
		clearBits(c.hashed, lo, hi)
		clearBits(c.linked, lo, hi)
		clearBits(c.moved, lo, hi)
		clear(c.st[lo:hi])
		c.nHashed -= int(m)
		if nx := hi; int(nx) < len(c.hash) && bit(c.linked, nx) { // now a run head
			set(c.linked, nx, false)
			c.tab.swap(c.hash, c.hashed, c.linked, c.hash[nx], nx)
		}
		c.evictions += uint64(m)
		c.nLRU -= int(m)
		g = &c.segs[c.lruHead]
		if g.hi = lo; g.hi == g.lo {
			c.segUnlink(c.lruHead)
		}
		setBits(c.free, lo, lo+m)
		c.nFree += int(m)
		n -= int(m)
	}
}

// clearBits clears bits [lo, hi).
func clearBits(bits []uint64, lo, hi int32) {
	for lo < hi {
		w, off := lo>>6, lo&63
		k := min(hi-lo, 64-off)
		bits[w] &^= (1<<k - 1) << off
		lo += k
	}
}

// setBits sets bits [lo, hi).
func setBits(bits []uint64, lo, hi int32) {
	for lo < hi {
		w, off := lo>>6, lo&63
		k := min(hi-lo, 64-off)
		bits[w] |= (1<<k - 1) << off
		lo += k
	}
}

// fresh materialises at least one more slot, at most n and maxSlots in
// all: free slots for the cursor to take. The arrays grow by an eighth at
// a time, not double, so that a cache's slack stays small: memory per
// cached block is what a fleet of thousands of instances multiplies.
func (c *Cache) fresh(n int) {
	lo := len(c.hash)
	n = min(max(n, 64), c.maxSlots-lo)
	if hi := lo + n; hi > cap(c.hash) {
		size := min(c.maxSlots, max(hi, lo+max(lo/8, 256)))
		h := make([]uint64, lo, size)
		copy(h, c.hash)
		st := make([]int32, lo, size)
		copy(st, c.st)
		c.hash, c.st = h, st
	}
	c.hash, c.st = c.hash[:lo+n], c.st[:lo+n]
	clear(c.st[lo : lo+n])
	for w := (lo + n + 63) / 64; len(c.hashed) < w; {
		c.hashed = append(c.hashed, 0)
		c.linked = append(c.linked, 0)
		c.moved = append(c.moved, 0)
		c.marks = append(c.marks, 0)
		c.free = append(c.free, 0)
	}
	setBits(c.free, int32(lo), int32(lo+n))
	c.nFree += n
}

func (c *Cache) freeSlot(b int32) {
	set(c.free, b, true)
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

func bit(bits []uint64, b int32) bool { return bits[b>>6]&(1<<(b&63)) != 0 }

func set(bits []uint64, b int32, v bool) {
	if v {
		bits[b>>6] |= 1 << (b & 63)
	} else {
		bits[b>>6] &^= 1 << (b & 63)
	}
}

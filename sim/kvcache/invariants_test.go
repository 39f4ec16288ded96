package kvcache

import "fmt"

// checkInvariants walks the whole cache and returns the first broken
// invariant, or nil. live are the sequences the caller still holds.
func checkInvariants(c *Cache, live []*Seq) error {
	n := c.sl.n
	if n > c.sl.np<<pageShift || int(c.sl.np) > (c.maxSlots+(1<<pageShift)-1)>>pageShift || len(c.sl.more) != max(int(c.sl.np)-inlinePages, 0) {
		return fmt.Errorf("%d slots materialised in %d pages (%d slots at most)", n, c.sl.np, c.maxSlots)
	}
	st := slotStates(c)
	refs := make([]int32, n)
	for _, s := range live {
		if !c.valid(s) {
			continue
		}
		if c.BlocksFor(int(s.tokens)) > s.Blocks() {
			return fmt.Errorf("seq sized for %d tokens holds only %d blocks", int(s.tokens), s.n)
		}
		total := 0
		for i, sp := range s.spans {
			if sp.n <= 0 || sp.lo < 0 || sp.lo+sp.n > n {
				return fmt.Errorf("seq span %d %+v out of range", i, sp)
			}
			if i > 0 && s.spans[i-1].lo+s.spans[i-1].n == sp.lo {
				return fmt.Errorf("seq spans %d and %d not merged", i-1, i)
			}
			for b := sp.lo; b < sp.lo+sp.n; b++ {
				refs[b]++
			}
			total += int(sp.n)
		}
		if total != s.Blocks() {
			return fmt.Errorf("seq spans hold %d blocks, n says %d", total, s.n)
		}
	}
	inPool := make([]bool, n)
	pooled := 0
	for b := range n {
		if c.sl.bit(bFree, b) {
			inPool[b] = true
			pooled++
		}
	}
	// Beyond the materialised slots every page is zero (fresh relies on it).
	for b := n; b < c.sl.np<<pageShift; b++ {
		g, j := c.sl.grp(b), b&slotMask
		for f := range g.bits {
			if g.bits[f]>>j&1 != 0 {
				return fmt.Errorf("bit set %d set for slot %d beyond the %d slots", f, b, n)
			}
		}
		if g.st[j] != 0 {
			return fmt.Errorf("state %d for slot %d beyond the %d slots", g.st[j], b, n)
		}
	}
	if pooled != c.nFree {
		return fmt.Errorf("%d free slots, nFree says %d", pooled, c.nFree)
	}
	if int(n) > c.maxSlots || c.cursor > n {
		return fmt.Errorf("%d slots of at most %d, cursor %d", n, c.maxSlots, c.cursor)
	}
	// Segments: the list is consistent, covers exactly the slots labelled
	// with it, and its lengths add up to nLRU.
	inSeg := make([]int32, n)
	for i := range inSeg {
		inSeg[i] = nilSeg
	}
	evictable, segs, prev := 0, 0, nilSeg
	seen := map[int32]bool{}
	for g := c.lruHead; g != nilSeg; g = c.segs[g].next {
		if seen[g] {
			return fmt.Errorf("LRU cycle at segment %d", g)
		}
		seen[g] = true
		s := c.segs[g]
		if s.prev != prev {
			return fmt.Errorf("segment %d back link %d, want %d", g, s.prev, prev)
		}
		if s.lo >= s.hi || s.lo < 0 || s.hi > n {
			return fmt.Errorf("segment %d [%d,%d) empty or out of range", g, s.lo, s.hi)
		}
		for b := s.lo; b < s.hi; b++ {
			if inSeg[b] != nilSeg {
				return fmt.Errorf("slot %d in segments %d and %d", b, inSeg[b], g)
			}
			inSeg[b] = g
		}
		evictable += int(s.hi - s.lo)
		segs++
		prev = g
	}
	if prev != c.lruTail || evictable != c.nLRU || segs != c.segCount {
		return fmt.Errorf("LRU tail %d/%d, blocks %d/%d, segments %d/%d", prev, c.lruTail, evictable, c.nLRU, segs, c.segCount)
	}
	used, hashed, heads := 0, 0, 0
	for b := range n {
		st, isHashed := st[b], c.sl.bit(bHashed, b)
		if c.sl.bit(bMarks, b) {
			return fmt.Errorf("slot %d left marked", b)
		}
		switch {
		case st > 0:
			if st != refs[b] {
				return fmt.Errorf("slot %d refcount %d, live sequences hold it %d times", b, st, refs[b])
			}
			used++
		case refs[b] > 0:
			return fmt.Errorf("slot %d held %d times but its state is %d", b, refs[b], st)
		case st < 0:
			if !isHashed || inSeg[b] != -st-1 {
				return fmt.Errorf("slot %d labelled segment %d, in segment %d, hashed %v", b, -st-1, inSeg[b], isHashed)
			}
		}
		if (st == 0) != inPool[b] || (st == 0 && isHashed) {
			return fmt.Errorf("slot %d state %d hashed %v in pool %v", b, st, isHashed, inPool[b])
		}
		if st >= 0 && inSeg[b] != nilSeg {
			return fmt.Errorf("slot %d state %d but in segment %d", b, st, inSeg[b])
		}
		if c.sl.bit(bLinked, b) {
			if !isHashed || b == 0 || !c.sl.bit(bHashed, b-1) {
				return fmt.Errorf("slot %d linked but it or its predecessor is unhashed", b)
			}
		}
		if isHashed {
			hashed++
			h := c.sl.hash(b)
			got, ok := c.tab.get(&c.sl, h)
			if !c.sl.bit(bLinked, b) {
				heads++
				if !ok || got != b {
					return fmt.Errorf("head slot %d hash %x but table maps it to %d,%v", b, h, got, ok)
				}
			} else if ok {
				return fmt.Errorf("linked slot %d hash %x is in the table too (slot %d)", b, h, got)
			}
		}
	}
	if heads != c.tab.n || hashed != c.nHashed {
		return fmt.Errorf("%d heads, table holds %d; %d hashed, counter says %d", heads, c.tab.n, hashed, c.nHashed)
	}
	if used+c.reserved != c.used {
		return fmt.Errorf("%d pinned slots + %d reserved, counter says %d used", used, c.reserved, c.used)
	}
	if c.nFree+c.nLRU+used != int(n) {
		return fmt.Errorf("free %d + evictable %d + pinned %d slots != %d slots", c.nFree, c.nLRU, used, n)
	}
	if c.avail() < 0 || c.nFree+c.maxSlots-int(n) < c.avail() {
		return fmt.Errorf("%d free blocks, %d free slots", c.avail(), c.nFree+c.maxSlots-int(n))
	}
	if c.Free()+c.Used() != c.Capacity() {
		return fmt.Errorf("Free %d + Used %d != Capacity %d", c.Free(), c.Used(), c.Capacity())
	}
	return nil
}

// lruHashes lists the evictable hashes in eviction order.
func lruHashes(c *Cache) []uint64 {
	out := []uint64{}
	for g := c.lruHead; g != nilSeg; g = c.segs[g].next {
		for b := c.segs[g].hi - 1; b >= c.segs[g].lo; b-- {
			out = append(out, c.sl.hash(b))
		}
	}
	return out
}

package kvcache

import "fmt"

// checkInvariants walks the whole cache and returns the first broken
// invariant, or nil. live are the sequences the caller still holds.
func checkInvariants(c *Cache, live []*Seq) error {
	if len(c.blk) > c.capacity {
		return fmt.Errorf("%d blocks materialised, capacity %d", len(c.blk), c.capacity)
	}
	refs := make([]int32, len(c.blk))
	for _, s := range live {
		if !c.valid(s) {
			continue
		}
		if c.BlocksFor(s.tokens) > len(s.blocks) {
			return fmt.Errorf("seq sized for %d tokens holds only %d blocks", s.tokens, len(s.blocks))
		}
		for _, b := range s.blocks {
			refs[b]++
		}
	}
	inFree := make([]bool, len(c.blk))
	for _, b := range c.free {
		if inFree[b] {
			return fmt.Errorf("block %d twice on the free stack", b)
		}
		inFree[b] = true
	}
	inLRU := make([]bool, len(c.blk))
	n, prev := 0, nilBlock
	for b := c.lruHead; b != nilBlock; b = c.blk[b].next {
		if inLRU[b] {
			return fmt.Errorf("LRU cycle at block %d", b)
		}
		if c.blk[b].prev != prev {
			return fmt.Errorf("LRU back link of %d is %d, want %d", b, c.blk[b].prev, prev)
		}
		inLRU[b] = true
		prev = b
		n++
	}
	if prev != c.lruTail || n != c.nLRU {
		return fmt.Errorf("LRU tail %d/%d, length %d/%d", prev, c.lruTail, n, c.nLRU)
	}
	used, hashed := 0, 0
	for i := range c.blk {
		b := &c.blk[i]
		if b.ref < 0 {
			return fmt.Errorf("block %d has negative refcount %d", i, b.ref)
		}
		if b.ref != refs[i] {
			return fmt.Errorf("block %d refcount %d, live sequences hold it %d times", i, b.ref, refs[i])
		}
		if b.ref > 0 {
			used++
		}
		if b.hashed {
			hashed++
			if got, ok := c.tab.get(b.hash); !ok || got != int32(i) {
				return fmt.Errorf("block %d hashed %x but table maps it to %d,%v", i, b.hash, got, ok)
			}
		}
		wantLRU := b.ref == 0 && b.hashed
		wantFree := b.ref == 0 && !b.hashed
		if inLRU[i] != wantLRU || inFree[i] != wantFree {
			return fmt.Errorf("block %d ref %d hashed %v: inLRU %v inFree %v", i, b.ref, b.hashed, inLRU[i], inFree[i])
		}
	}
	if hashed != c.tab.n {
		return fmt.Errorf("%d hashed blocks, table holds %d", hashed, c.tab.n)
	}
	if used != c.used {
		return fmt.Errorf("%d pinned blocks, counter says %d", used, c.used)
	}
	fresh := c.capacity - len(c.blk)
	if len(c.free)+fresh+c.nLRU+c.used != c.capacity {
		return fmt.Errorf("free %d + fresh %d + evictable %d + used %d != capacity %d",
			len(c.free), fresh, c.nLRU, c.used, c.capacity)
	}
	if c.Free()+c.Used() != c.Capacity() {
		return fmt.Errorf("Free %d + Used %d != Capacity %d", c.Free(), c.Used(), c.Capacity())
	}
	return nil
}

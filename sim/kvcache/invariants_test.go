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
		b := int32(i)
		ref, isHashed := refOf(c, b), bit(c.hashed, b)
		if bit(c.marks, b) {
			return fmt.Errorf("block %d left marked", i)
		}
		if ref < 0 {
			return fmt.Errorf("block %d has negative refcount %d", i, ref)
		}
		if ref != refs[i] {
			return fmt.Errorf("block %d refcount %d, live sequences hold it %d times", i, ref, refs[i])
		}
		if ref > 0 {
			used++
		}
		if isHashed {
			hashed++
			if got, ok := c.tab.get(c.blk, c.blk[i].hash); !ok || got != b {
				return fmt.Errorf("block %d hashed %x but table maps it to %d,%v", i, c.blk[i].hash, got, ok)
			}
		}
		wantLRU := ref == 0 && isHashed
		wantFree := ref == 0 && !isHashed
		if inLRU[i] != wantLRU || inFree[i] != wantFree {
			return fmt.Errorf("block %d ref %d hashed %v: inLRU %v inFree %v", i, ref, isHashed, inLRU[i], inFree[i])
		}
		if inLRU[i] == (c.blk[i].next == offLRU) {
			return fmt.Errorf("block %d: in the LRU list %v, next %d", i, inLRU[i], c.blk[i].next)
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

// refOf is block b's refcount (0 while it is in the LRU list).
func refOf(c *Cache, b int32) int32 {
	if bk := &c.blk[b]; bk.next == offLRU {
		return bk.prev
	}
	return 0
}

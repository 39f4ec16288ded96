package kvcache

import "fmt"

// nilBlock terminates the tier's LRU list.
const nilBlock int32 = -1

// Tier is a pool-shared second KV tier (Mooncake-style DRAM/SSD store): a set
// of block hashes with LRU replacement. Caches attached with SetTier write the
// blocks they evict here, and prefix matches continue here after the HBM hit.
// It tracks identity only; transfer time is the engine's business. Like the
// Cache it is single-threaded; share it only within one simulation.
type Tier struct {
	capacity int
	tab      table    // hash -> slot
	hash     []uint64 // slot -> hash; grows lazily up to capacity
	prev     []int32  // LRU links over slots
	next     []int32
	head     int32 // least recently used slot (replaced first)
	tail     int32 // most recently used
	writes   uint64
	drops    uint64
}

// NewTier returns an empty tier holding up to capacityBlocks block hashes.
// A negative or absurd capacity is a configuration bug and panics, saying so.
func NewTier(capacityBlocks int) *Tier {
	if capacityBlocks < 0 || capacityBlocks > 1<<30 {
		panic(fmt.Sprintf("kvcache.NewTier: capacityBlocks %d out of range [0, 2^30]; validate the pool's tier size first", capacityBlocks))
	}
	return &Tier{capacity: capacityBlocks, head: nilBlock, tail: nilBlock}
}

// Put stores hash as the most recently used block, replacing the least
// recently used one when full. A zero-capacity tier ignores it.
func (t *Tier) Put(hash uint64) {
	if t.capacity == 0 {
		return
	}
	t.writes++
	if s, ok := t.tab.get(hash); ok {
		t.moveToTail(s)
		return
	}
	var s int32
	if len(t.hash) < t.capacity {
		t.hash = append(t.hash, hash)
		t.prev = append(t.prev, nilBlock)
		t.next = append(t.next, nilBlock)
		s = int32(len(t.hash) - 1)
	} else {
		s = t.head
		t.unlink(s)
		t.tab.del(t.hash[s])
		t.hash[s] = hash
		t.drops++
	}
	t.tab.set(hash, s)
	t.link(s)
}

// prefix returns how many leading hashes the tier holds, changing nothing.
func (t *Tier) prefix(hashes []uint64) int {
	n := 0
	for n < len(hashes) {
		if _, ok := t.tab.get(hashes[n]); !ok {
			break
		}
		n++
	}
	return n
}

// touch marks the held ones among hashes as just used, walking them in
// reverse so that, as in the Cache, a prefix's head ends most recent and
// outlives its tail.
func (t *Tier) touch(hashes []uint64) {
	for i := len(hashes) - 1; i >= 0; i-- {
		if s, ok := t.tab.get(hashes[i]); ok {
			t.moveToTail(s)
		}
	}
}

func (t *Tier) moveToTail(s int32) {
	if t.tail == s {
		return
	}
	t.unlink(s)
	t.link(s)
}

func (t *Tier) link(s int32) {
	t.prev[s], t.next[s] = t.tail, nilBlock
	if t.tail == nilBlock {
		t.head = s
	} else {
		t.next[t.tail] = s
	}
	t.tail = s
}

func (t *Tier) unlink(s int32) {
	p, n := t.prev[s], t.next[s]
	if p == nilBlock {
		t.head = n
	} else {
		t.next[p] = n
	}
	if n == nilBlock {
		t.tail = p
	} else {
		t.prev[n] = p
	}
	t.prev[s], t.next[s] = nilBlock, nilBlock
}

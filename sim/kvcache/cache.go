package kvcache

import "fmt"

// nilBlock terminates the intrusive LRU list.
const nilBlock int32 = -1

// offLRU in block.next marks a block that is not in the LRU list.
const offLRU int32 = -2

// block is one KV block's bookkeeping in 16 bytes. Blocks are int32 indices
// into Cache.blk. An evictable block (hashed, unpinned) is in the LRU list,
// threaded through prev/next, so that moving it in or out costs O(1) and
// allocates nothing. Any other block (pinned, free, reserved) has next ==
// offLRU and its refcount (pins by running sequences; a sequence may pin a
// block twice) in prev: a block needs its links or its refcount, never both.
// Whether it is hashed is a bit in Cache.hashed.
type block struct {
	hash uint64 // chain hash; meaningful only when hashed
	prev int32
	next int32
}

// Seq is a running sequence's block table: the blocks it pins, in prompt
// order. It is opaque; Cache methods operate on it. A Seq must not be used
// after Release (its storage is recycled for the next Admit) and is inert
// after Reset.
type Seq struct {
	blocks []int32
	tokens int    // largest token count it was sized for
	epoch  uint32 // Cache.epoch at Admit; a Reset invalidates the Seq
	live   bool   // false once released
}

// Blocks returns how many KV blocks the sequence holds.
func (s *Seq) Blocks() int { return len(s.blocks) }

// Admission is the result of a successful Admit.
type Admission struct {
	Seq        *Seq // the admitted sequence; pass it to Grow, Publish and Release
	HitBlocks  int  // leading blocks found in this cache (no prefill needed)
	TierBlocks int  // further leading blocks found in the second tier, after HitBlocks (to be loaded, not recomputed)
}

// Cache is one instance's KV blocks with vLLM-style prefix caching.
//
// Every block is in exactly one state: free (no KV worth keeping), pinned
// (ref > 0, used by running sequences, maybe hashed) or evictable (ref == 0,
// hashed, in the LRU list). Free()+Used() == Capacity() always.
//
// LRU order on Release: a sequence's blocks are appended to the MRU end tail
// first, head last, exactly as vLLM does, so among one sequence's blocks the
// tail is evicted before the head: heads (system prompts, earlier turns) are
// the parts other requests share, tails are usually unique to the request.
type Cache struct {
	capacity    int
	blockTokens int

	blk      []block  // grows lazily up to capacity: an idle instance costs nothing
	hashed   []uint64 // bit per block: holds published KV under its hash and is in tab
	marks    []uint64 // bit per block: Admit's scratch
	free     []int32  // stack of free blocks below len(blk)
	reserved []int32  // anonymous blocks held by Reserve
	tab      idTable  // hash -> hashed block
	lruHead  int32    // least recently released evictable block (evicted first)
	lruTail  int32    // most recently released
	nLRU     int      // evictable blocks
	used     int      // pinned blocks

	epoch   uint32
	seqPool []*Seq
	scratch []int32 // Admit's hit blocks, reused

	tier              *Tier
	onInsert, onEvict func(hash uint64)
	onTouch           func(hashes []uint64)

	evictions uint64
	sink      uint32 // folds the touch passes' loads, so that they are kept
	touchKeys []uint64
}

// New returns an empty cache of capacityBlocks KV blocks of blockTokens tokens
// each. Both come from the engine's validated fleet configuration, so
// nonsense values are programming errors and panic with a message saying so.
func New(capacityBlocks, blockTokens int) *Cache {
	if capacityBlocks < 0 || capacityBlocks > 1<<30 {
		panic(fmt.Sprintf("kvcache.New: capacityBlocks %d out of range [0, 2^30]; validate the fleet's KV capacity first", capacityBlocks))
	}
	if blockTokens < 1 {
		panic(fmt.Sprintf("kvcache.New: blockTokens %d must be >= 1; validate the fleet's block size first", blockTokens))
	}
	return &Cache{capacity: capacityBlocks, blockTokens: blockTokens, lruHead: nilBlock, lruTail: nilBlock,
		tab: newIDTable(capacityBlocks)}
}

// SetTier attaches a second tier (nil detaches): blocks evicted from this
// cache are written to it, and Match/Admit continue the prefix match there.
func (c *Cache) SetTier(t *Tier) { c.tier = t }

// SetHooks installs callbacks for a fleet-wide prefix index: onInsert when a
// hash becomes resident here, onEvict when it stops being resident (eviction,
// Reset). Either may be nil. A hash moving between two of this cache's blocks
// (Publish dedupe) stays resident and fires neither.
func (c *Cache) SetHooks(onInsert, onEvict func(hash uint64)) {
	c.onInsert, c.onEvict = onInsert, onEvict
}

// SetTouchHook installs a callback that receives, ahead of a batch of
// onInsert or onEvict calls, the hashes they may concern (possibly more), so
// that a fleet-wide index can load their table slots at once (Index.Touch)
// instead of missing the CPU caches once per call. It must change nothing.
func (c *Cache) SetTouchHook(touch func(hashes []uint64)) { c.onTouch = touch }

// BlocksFor returns the number of blocks that hold tokens tokens (0 for
// tokens <= 0).
func (c *Cache) BlocksFor(tokens int) int {
	if tokens <= 0 {
		return 0
	}
	return (tokens + c.blockTokens - 1) / c.blockTokens
}

// Capacity returns the total number of KV blocks.
func (c *Cache) Capacity() int { return c.capacity }

// Free returns the blocks allocatable now: free plus evictable.
func (c *Cache) Free() int { return c.capacity - c.used }

// Used returns the blocks pinned by running sequences.
func (c *Cache) Used() int { return c.used }

// Cached returns the hashed blocks resident (pinned or evictable).
func (c *Cache) Cached() int { return c.tab.n }

// Admit starts a sequence whose prompt has the given block hashes and which
// needs blocks for tokens tokens: it pins the longest cached prefix of hashes
// (at most BlocksFor(tokens) blocks) and allocates the rest, evicting LRU
// evictable blocks as needed. It returns false and changes nothing if they do
// not fit. Tier blocks are allocated like misses; the caller models their
// load time and publishes them with the rest after prefill.
//
// vLLM recomputes the last prompt token even on a full hit; a caller that
// wants that passes the hashes of the first (tokens-1) tokens' blocks only.
func (c *Cache) Admit(hashes []uint64, tokens int) (Admission, bool) {
	need := c.BlocksFor(tokens)
	if need > c.capacity {
		return Admission{}, false
	}
	limit := min(len(hashes), need)
	// Find the hit prefix and how many of its blocks are evictable now (they
	// stop being allocatable once pinned). A block is marked on first sight
	// so that one met twice (only with hand-made, non-chained hashes) is
	// counted once; the marks are cleared right below.
	hits := c.scratch[:0]
	idle := 0
	for len(hits) < limit {
		if len(hits)%touchBatch == 0 {
			c.sink ^= c.tab.touch(c.blk, hashes[len(hits):min(limit, len(hits)+touchBatch)])
		}
		b, ok := c.tab.get(c.blk, hashes[len(hits)])
		if !ok {
			break
		}
		if c.blk[b].next != offLRU && !bit(c.marks, b) {
			set(c.marks, b, true)
			idle++
		}
		hits = append(hits, b)
	}
	for _, b := range hits {
		set(c.marks, b, false)
	}
	c.scratch = hits
	hit := len(hits)
	if need-hit > c.Free()-idle {
		return Admission{}, false
	}
	tier := 0
	if c.tier != nil {
		tier = c.tier.prefix(hashes[hit:limit])
		c.tier.touch(hashes[hit : hit+tier])
	}

	s := c.newSeq()
	s.tokens = max(tokens, 0)
	for _, b := range hits {
		c.pin(b)
		s.blocks = append(s.blocks, b)
	}
	c.touchVictims(need - hit)
	for range need - hit {
		b := c.alloc()
		c.blk[b].prev = 1
		c.used++
		s.blocks = append(s.blocks, b)
	}
	return Admission{Seq: s, HitBlocks: hit, TierBlocks: tier}, true
}

// Grow makes sure s has blocks for tokens tokens in total (a decode step
// crossing a block boundary, or a chunked prefill). It returns false and
// changes nothing if the blocks are not available (the engine then preempts),
// or if s was released or invalidated by Reset.
func (c *Cache) Grow(s *Seq, tokens int) bool {
	if !c.valid(s) {
		return false
	}
	need := c.BlocksFor(tokens)
	add := need - len(s.blocks)
	if add > c.Free() {
		return false
	}
	c.touchVictims(add)
	for range add {
		b := c.alloc()
		c.blk[b].prev = 1
		c.used++
		s.blocks = append(s.blocks, b)
	}
	s.tokens = max(s.tokens, tokens)
	return true
}

// Publish records that s's first len(hashes) blocks now hold computed KV with
// these hashes, making them hittable (hashes beyond s's blocks are ignored).
// If another block already caches a hash, the hash moves to s's block and the
// other block loses it (freed if unpinned): one copy stays, and it is the
// newest, so its LRU position is that of the latest use.
func (c *Cache) Publish(s *Seq, hashes []uint64) {
	if !c.valid(s) {
		return
	}
	n := min(len(hashes), len(s.blocks))
	for i := range n {
		if i%touchBatch == 0 {
			c.touchPublish(s.blocks[i:n], hashes[i:n])
		}
		b, h := s.blocks[i], hashes[i]
		if bit(c.hashed, b) {
			if c.blk[b].hash == h {
				continue
			}
			c.unhash(b) // re-published with other content
		}
		c.blk[b].hash = h
		set(c.hashed, b, true)
		if other, ok := c.tab.swap(c.blk, c.hashed, h, b); ok {
			set(c.hashed, other, false)
			if c.blk[other].next != offLRU { // evictable: unpinned
				c.lruRemove(other)
				c.free = append(c.free, other)
			}
		} else if c.onInsert != nil {
			c.onInsert(h)
		}
	}
}

// Release ends s: its blocks are unpinned; hashed ones become evictable
// (appended to the MRU end tail block first, so heads outlive tails) and
// unhashed ones free. s must not be used afterwards. Releasing a sequence
// twice, or one invalidated by Reset, does nothing.
func (c *Cache) Release(s *Seq) {
	if !c.valid(s) {
		return
	}
	for i := len(s.blocks) - 1; i >= 0; i-- {
		b := s.blocks[i]
		bk := &c.blk[b]
		bk.prev-- // pinned: prev is the refcount
		if bk.prev > 0 {
			continue
		}
		c.used--
		if bit(c.hashed, b) {
			c.lruPush(b)
		} else {
			c.free = append(c.free, b)
		}
	}
	s.blocks = s.blocks[:0]
	s.live = false
	c.seqPool = append(c.seqPool, s)
}

// Reset loses every block (instance failure): onEvict fires for each resident
// hash (in block order, deterministically), nothing is written to the tier,
// and every running Seq becomes inert.
func (c *Cache) Reset() {
	if c.onEvict != nil {
		for i := range c.blk {
			if bit(c.hashed, int32(i)) {
				c.onEvict(c.blk[i].hash)
			}
		}
	}
	c.blk = c.blk[:0]
	clear(c.hashed)
	c.hashed, c.marks = c.hashed[:0], c.marks[:0]
	c.free = c.free[:0]
	c.reserved = c.reserved[:0]
	c.tab.clear()
	c.lruHead, c.lruTail, c.nLRU, c.used = nilBlock, nilBlock, 0, 0
	c.epoch++
}

func (c *Cache) valid(s *Seq) bool { return s != nil && s.live && s.epoch == c.epoch }

func (c *Cache) newSeq() *Seq {
	var s *Seq
	if n := len(c.seqPool); n > 0 {
		s = c.seqPool[n-1]
		c.seqPool = c.seqPool[:n-1]
	} else {
		s = new(Seq)
	}
	s.blocks = s.blocks[:0]
	s.epoch, s.live = c.epoch, true
	return s
}

// pin adds a reference to a resident block, taking it off the LRU list.
func (c *Cache) pin(b int32) {
	if c.blk[b].next != offLRU {
		c.lruRemove(b)
		c.used++
	}
	c.blk[b].prev++
}

// alloc returns an unhashed, unreferenced block that is in no list. Callers
// have checked Free() first: free stack, then never-used blocks, then the
// least recently used evictable block.
func (c *Cache) alloc() int32 {
	if n := len(c.free); n > 0 {
		b := c.free[n-1]
		c.free = c.free[:n-1]
		return b
	}
	if len(c.blk) < c.capacity {
		return c.fresh()
	}
	b := c.lruHead
	if b == nilBlock {
		panic("kvcache: alloc with no free block; callers must check Free()") // internal invariant
	}
	c.lruRemove(b)
	c.evictions++
	c.unhash(b)
	return b
}

// unhash drops b's hash from the index, firing onEvict and writing it back to
// the tier (its KV leaves HBM but survives in the second tier).
func (c *Cache) unhash(b int32) {
	bk := &c.blk[b]
	c.tab.del(c.blk, bk.hash, b)
	set(c.hashed, b, false)
	if c.onEvict != nil {
		c.onEvict(bk.hash)
	}
	if c.tier != nil {
		c.tier.Put(bk.hash)
	}
}

func (c *Cache) lruPush(b int32) {
	bk := &c.blk[b]
	bk.prev, bk.next = c.lruTail, nilBlock
	if c.lruTail == nilBlock {
		c.lruHead = b
	} else {
		c.blk[c.lruTail].next = b
	}
	c.lruTail = b
	c.nLRU++
}

func (c *Cache) lruRemove(b int32) {
	bk := &c.blk[b]
	if bk.prev == nilBlock {
		c.lruHead = bk.next
	} else {
		c.blk[bk.prev].next = bk.next
	}
	if bk.next == nilBlock {
		c.lruTail = bk.prev
	} else {
		c.blk[bk.next].prev = bk.prev
	}
	bk.prev, bk.next = 0, offLRU // unpinned, off the list
	c.nLRU--
}

// touchVictims loads the table slots of the hashes that the next n allocs
// will evict (after the free stack and the never-used blocks), so that
// their cache misses overlap; it changes nothing.
func (c *Cache) touchVictims(n int) {
	n -= len(c.free) + c.capacity - len(c.blk)
	keys := c.touchKeys[:0]
	for b := c.lruHead; n > 0 && b != nilBlock; n-- {
		bk := &c.blk[b]
		keys = append(keys, bk.hash)
		b = bk.next
		if len(keys) == touchBatch*4 {
			c.sink ^= c.tab.touchSlots(keys)
			if c.onTouch != nil {
				c.onTouch(keys)
			}
			keys = keys[:0]
		}
	}
	c.sink ^= c.tab.touchSlots(keys)
	if c.onTouch != nil && len(keys) > 0 {
		c.onTouch(keys)
	}
	c.touchKeys = keys
}

// touchPublish loads the table slots of the next touchBatch hashes that
// Publish will insert (those whose block is not hashed yet).
func (c *Cache) touchPublish(blocks []int32, hashes []uint64) {
	keys := c.touchKeys[:0]
	for i := range min(len(blocks), touchBatch) {
		if !bit(c.hashed, blocks[i]) {
			keys = append(keys, hashes[i])
		}
	}
	c.sink ^= c.tab.touchSlots(keys)
	if c.onTouch != nil && len(keys) > 0 {
		c.onTouch(keys)
	}
	c.touchKeys = keys
}

// Reserve takes n anonymous blocks (free ones first, then evicting LRU
// cached blocks) for KV whose identity nobody will look up: the tokens a
// decoding batch generates. It returns false and changes nothing if they
// are not available. Reserved blocks count as used.
func (c *Cache) Reserve(n int) bool {
	if n <= 0 {
		return n == 0
	}
	if n > c.Free() {
		return false
	}
	c.touchVictims(n)
	for range n {
		b := c.alloc()
		c.blk[b].prev = 1
		c.reserved = append(c.reserved, b)
	}
	c.used += n
	return true
}

// Unreserve returns n reserved blocks to the free pool.
func (c *Cache) Unreserve(n int) {
	n = min(n, len(c.reserved))
	for range n {
		b := c.reserved[len(c.reserved)-1]
		c.reserved = c.reserved[:len(c.reserved)-1]
		c.blk[b].prev = 0
		c.free = append(c.free, b)
	}
	c.used -= n
}

// Reserved is the number of blocks held by Reserve.
func (c *Cache) Reserved() int { return len(c.reserved) }

// fresh materialises the next never-used block (len(blk) < capacity). The
// arrays grow by an eighth at a time, not double, so that a cache's slack
// stays small: memory per cached block is what a fleet of thousands of
// instances multiplies.
func (c *Cache) fresh() int32 {
	n := len(c.blk)
	if n == cap(c.blk) {
		grown := make([]block, n, min(c.capacity, n+max(n/8, 256)))
		copy(grown, c.blk)
		c.blk = grown
	}
	c.blk = append(c.blk, block{prev: 0, next: offLRU})
	if w := n / 64; w >= len(c.hashed) {
		c.hashed = append(c.hashed, 0)
		c.marks = append(c.marks, 0)
	}
	return int32(n)
}

func bit(bits []uint64, b int32) bool { return bits[b>>6]&(1<<(b&63)) != 0 }

func set(bits []uint64, b int32, v bool) {
	if v {
		bits[b>>6] |= 1 << (b & 63)
	} else {
		bits[b>>6] &^= 1 << (b & 63)
	}
}

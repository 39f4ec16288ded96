package kvcache

import (
	"fmt"
	"math"
	"math/bits"
	"unsafe"

	"github.com/fleetbench/fleetbench/internal/prefetch"
)

// nilSeg terminates the LRU list of segments.
const nilSeg int32 = -1

// span is a range of slots [lo, lo+n).
type span struct{ lo, n int32 }

// Seq is a running sequence's block table: the slots it pins, in prompt
// order, as ranges of consecutive slots. It is opaque; Cache methods operate
// on it. A Seq must not be used after Release (its storage is recycled for
// the next Admit, possibly by another cache sharing its SeqPool) and is
// inert after Reset.
type Seq struct {
	spans  []span // in inl while two spans do (most sequences: a hit prefix and new blocks)
	n      int32  // blocks held: the spans' total length (capacity is at most 2^30)
	tokens int32  // largest token count it was sized for (saturated at 2^31-1)
	// pub is how many leading blocks were hashed when last seen (the hit
	// prefix at Admit, then what Publish published): touchPublish's guess
	// of which blocks a Publish will insert, made without reading their
	// (cache-cold) slots. A guess only: another sequence's Publish may
	// have moved a hash away since.
	pub   int32
	epoch uint32 // Cache.epoch at Admit; a Reset invalidates the Seq
	// owner is the cache that admitted it, nil once released: a Seq is
	// valid only for its owner (the pool is shared, so a released Seq
	// may be live in another cache, where epochs are mostly 0 too).
	owner *Cache
	// inl holds the first spans inside the Seq (64 bytes in all, one
	// cache line): on a cold instance, Publish and Release then reach
	// the slots without first missing on a separate spans array.
	inl [2]span
}

// Blocks returns how many KV blocks the sequence holds.
func (s *Seq) Blocks() int { return int(s.n) }

// Admission is the result of a successful Admit.
type Admission struct {
	Seq        *Seq // the admitted sequence; pass it to Grow, Publish and Release
	HitBlocks  int  // leading blocks found in this cache (no prefill needed)
	TierBlocks int  // further leading blocks found in the second tier, after HitBlocks (to be loaded, not recomputed)
}

// Cache is one instance's KV blocks with vLLM-style prefix caching.
//
// Every block is in exactly one state: free (no KV worth keeping), pinned
// (used by running sequences or reserved, maybe hashed) or evictable
// (unpinned, hashed, in the LRU order). Free()+Used() == Capacity() always.
//
// LRU order on Release: a sequence's blocks are appended to the MRU end tail
// first, head last, exactly as vLLM does, so among one sequence's blocks the
// tail is evicted before the head: heads (system prompts, earlier turns) are
// the parts other requests share, tails are usually unique to the request.
//
// Hashes must be chain hashes (Hasher, HashPrompt): a block's hash
// determines the hashes of every block before it. The cache relies on it
// to index runs instead of blocks, so that a request costs a few table
// operations and sequential work over its blocks, not a random table probe
// per block:
//
//   - Blocks live in slots (interchangeable: which slot a block occupies is
//     never observable). There are more slots than blocks, swept as a ring
//     (see slackDen), so a sequence's new blocks get consecutive slots.
//   - A hashed slot is linked when the slot before it held its chain
//     predecessor when it was published (the same sequence published both).
//     Only unlinked hashed slots (run heads) are in the table. A lookup of a
//     prompt's block i+1 first compares the slot after block i's (linked,
//     same hash) and asks the table only at a run's end: a linked slot's
//     predecessor slot holds its chain predecessor, which is cached at most
//     once, so a hash that is cached but not a head is always found there.
//     A slot losing its hash turns its linked successor into a head.
//   - Evictable blocks are kept in LRU order as segments: ranges of
//     consecutive slots released together, evicted from the highest slot
//     down (Release walks a sequence tail first). Evicting shrinks the LRU
//     segment from its top, pinning a block or moving its hash away splits
//     its segment, both in O(1) (plus relabelling the smaller half of a
//     split).
//   - Free and reserved blocks are counts (and free slots a bit set): they
//     have no identity worth keeping.
//
// With hashes that break the chain property (hand-made ones) the cache stays
// consistent but may miss hits or keep a second copy of a hash.
type Cache struct {
	capacity    int
	blockTokens int

	// Per slot (slots.go): chain hash, state (> 0: refcount, pinned; 0:
	// free; < 0: evictable, in segment -st-1) and the bit sets hashed,
	// linked, moved, marks and free. Pages are added lazily up to maxSlots:
	// an idle instance costs nothing.
	sl slots

	// ghosts holds the hashes that may have orphans: cached successors
	// whose chain predecessor is not cached. Publish skips the dedupe
	// lookup of a block that follows a hash it has just inserted (one not
	// cached anywhere), unless that hash is a ghost, or ghostsAll says the
	// set outgrew its bound (see Publish).
	ghosts    table
	ghostsAll bool

	nFree    int   // free slots below sl.n
	maxSlots int   // slots at most: capacity plus slack, so that new blocks find free slots together
	cursor   int32 // next slot the allocator looks at (it sweeps the slots as a ring)
	reserved int   // anonymous blocks held by Reserve (counted in used, not given slots)
	tab      idTable
	nHashed  int
	used     int // pinned slots + reserved

	segs []segment // LRU segments
	// freeSegs stacks the free segments (last freed on top). A list
	// chained through the free segments' next fields made each new
	// segment a dependent miss: a request releasing a few dozen spans
	// (an agent turn) walked a chain of cold entries, 3.6% of
	// platform-hour's event loop.
	freeSegs []int32
	lruHead  int32 // least recently released segment (evicted first)
	lruTail  int32
	nLRU     int // evictable blocks
	segCount int // live segments

	anon    bool // counts blocks only (SetAnonymous, anon.go)
	epoch   uint32
	seqs    *SeqPool // released Seqs, for Admit (own, or shared: SetSeqPool)
	ownSeqs SeqPool
	scratch []span // Admit's hit spans, reused

	tier              *Tier
	onInsert, onEvict func(hash uint64)
	onTouch           func(hashes []uint64)

	evictions uint64
	sink      uint32 // folds the touch passes' loads, so that they are kept
	touchKeys []uint64
}

// touchBatch is how many hashes the touch hook gets at a time: enough
// cache misses in flight to fill a core's miss buffers.
const touchBatch = 64

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
	slots := capacityBlocks + capacityBlocks/slackDen + 64
	c := &Cache{capacity: capacityBlocks, blockTokens: blockTokens, lruHead: nilSeg, lruTail: nilSeg,
		maxSlots: slots, tab: newIDTable(slots)}
	c.seqs = &c.ownSeqs
	return c
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
func (c *Cache) Cached() int { return c.nHashed }

// avail is the number of free blocks: neither pinned, reserved nor evictable.
func (c *Cache) avail() int { return c.capacity - c.used - c.nLRU }

// slackDen sets the slots beyond capacity: capacity/slackDen (+64). Slots
// are not blocks: which slot holds a block is never observable, and the
// allocator sweeps them as a ring, so a new sequence's blocks land on
// consecutive free slots (one run) where the slots ahead were freed by
// evicting blocks allocated a lap earlier. Without slack the free slots
// would be exactly the ones just evicted, scattered, and runs would
// fragment further with every lap.
const slackDen = 4

// lookup returns the slot holding h, the hash following the one in slot
// prev (-1 at a prompt's first block): the slot after prev if it continues
// prev's run with h, else a run head found in the table.
func (c *Cache) lookup(prev int32, h uint64) (int32, bool) {
	if nx := prev + 1; prev >= 0 && nx < c.sl.n {
		if g, i := c.sl.grp(nx), nx&slotMask; g.bits[bLinked]>>i&1 != 0 && g.hash[i] == h {
			return nx, true
		}
	}
	return c.tab.get(&c.sl, h)
}

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
	if c.anon {
		return c.admitAnon(hashes, tokens, need)
	}
	limit := min(len(hashes), need)
	// Find the hit prefix and how many of its blocks are evictable now (they
	// stop being allocatable once pinned). A block is marked on first sight
	// so that one met twice (only with hand-made, non-chained hashes) is
	// counted once; the marks are cleared right below.
	hits := c.scratch[:0]
	hit, idle := 0, 0
	prev := int32(-1)
	for hit < limit {
		b, ok := c.lookup(prev, hashes[hit])
		if !ok {
			break
		}
		if g, i := c.sl.grp(b), b&slotMask; g.st[i] < 0 && g.bits[bMarks]>>i&1 == 0 {
			g.bits[bMarks] |= 1 << i
			idle++
		}
		hits = appendSpan(hits, span{b, 1})
		prev = b
		hit++
	}
	if idle > 0 {
		for _, sp := range hits {
			c.sl.clearBits(bMarks, sp.lo, sp.lo+sp.n)
		}
	}
	c.scratch = hits
	if need-hit > c.Free()-idle {
		return Admission{}, false
	}
	tier := 0
	if c.tier != nil {
		tier = c.tier.prefix(hashes[hit:limit])
		c.tier.touch(hashes[hit : hit+tier])
	}

	s := c.newSeq()
	s.tokens = tokens32(tokens)
	s.pub = int32(hit)
	for _, sp := range hits {
		for b := sp.lo; b < sp.lo+sp.n; b++ {
			st := &c.sl.grp(b).st[b&slotMask]
			if *st < 0 {
				c.segRemove(b)
				*st = 0
				c.used++
			}
			*st++
		}
		s.spans = appendSpan(s.spans, sp)
	}
	s.n = int32(hit)
	c.alloc(s, need-hit)
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
	add := c.BlocksFor(tokens) - int(s.n)
	if add > c.Free() {
		return false
	}
	if c.anon {
		c.growAnon(s, add)
	} else {
		c.alloc(s, add)
	}
	s.tokens = max(s.tokens, tokens32(tokens))
	return true
}

// alloc appends n new pinned, unhashed blocks to s, evicting LRU blocks
// first if the free ones do not suffice (callers checked Free()). Their
// slots are the next free ones from the cursor, in runs of consecutive
// slots (see slackDen).
func (c *Cache) alloc(s *Seq, n int) {
	if n <= 0 {
		return
	}
	c.evict(n - c.avail())
	c.used += n
	s.n += int32(n)
	for n > 0 {
		if c.cursor >= c.sl.n {
			if int(c.sl.n) < c.maxSlots {
				c.fresh(n)
			} else {
				c.cursor = 0
			}
			continue
		}
		g, off := c.sl.grp(c.cursor), c.cursor&slotMask
		word := g.bits[bFree] >> off
		if word == 0 {
			c.cursor = (c.cursor>>groupShift + 1) << groupShift
			continue
		}
		lo := c.cursor + int32(bits.TrailingZeros64(word))
		k := min(int32(bits.TrailingZeros64(^(word >> (lo - c.cursor)))), int32(n), c.sl.n-lo)
		if k <= 0 { // the free bits run past the materialised slots
			c.cursor = c.sl.n
			continue
		}
		// [lo, lo+k) lies within g: the run of free bits ends in its word.
		j := lo & slotMask
		g.bits[bFree] &^= (1<<k - 1) << j
		c.nFree -= int(k)
		st := g.st[j : j+k]
		for i := range st {
			st[i] = 1
		}
		s.spans = appendSpan(s.spans, span{lo, k})
		c.cursor = lo + k
		n -= int(k)
	}
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
	if c.anon && len(hashes) > 0 && s.n > 0 {
		panic("kvcache: Publish on an anonymous cache (SetAnonymous): it keeps no prefix cache")
	}
	n := min(len(hashes), int(s.n))
	if n > 0 {
		// The walk below starts with the first hash and the first block's
		// bit words and hash, all cold since Admit (their misses: 2.7 s
		// of a 120 s profile of platform-hour's first 20 minutes, one
		// after the other). Requested now, they arrive while
		// touchPublish waits out its own misses.
		b := s.spans[0].lo
		g := c.sl.grp(b)
		prefetch.Line(unsafe.Pointer(&hashes[0]))
		prefetch.Line(unsafe.Pointer(&g.bits))
		prefetch.Line(unsafe.Pointer(&g.hash[b&slotMask]))
	}
	c.touchPublish(s, hashes[:n])
	s.pub = max(s.pub, int32(n))
	i, prev := 0, int32(-1)
	inserted := false // prev's hash was not cached anywhere before it
	for _, sp := range s.spans {
		for b := sp.lo; b < sp.lo+sp.n && i < n; b++ {
			h := hashes[i]
			i++
			g, j := c.sl.grp(b), b&slotMask
			if g.bits[bHashed]>>j&1 != 0 {
				if g.hash[j] == h {
					prev, inserted = b, false
					continue
				}
				c.unhash(b) // re-published with other content
			}
			// A copy of h elsewhere is the slot after prev's (if linked:
			// prev holds h's chain predecessor) or a head. There is none
			// if prev's hash was just inserted, not being cached anywhere:
			// a cached h would have been published after its predecessor,
			// which it never outlives (its every user pins the
			// predecessor's slot too and releases it later), unless the
			// predecessor's hash left a slot it had moved into or was
			// re-published over: then it is a ghost.
			other, ok := int32(-1), false
			if !inserted || c.ghostsAll || c.isGhost(hashes[i-2]) {
				other, ok = c.lookup(prev, h)
			}
			if ok {
				c.dropHash(other)
				if st := &c.sl.grp(other).st[other&slotMask]; *st < 0 { // evictable: unpinned
					c.segRemove(other)
					*st = 0
					c.freeSlot(other)
				}
				g.bits[bMoved] |= 1 << j
			} else if c.onInsert != nil {
				c.onInsert(h)
			}
			inserted = !ok
			g.hash[j] = h
			g.bits[bHashed] |= 1 << j
			c.nHashed++
			if prev >= 0 && prev == b-1 && c.sl.bit(bHashed, prev) {
				g.bits[bLinked] |= 1 << j
			} else {
				c.tab.swap(&c.sl, h, b)
			}
			prev = b
		}
		if i == n {
			break
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
	if c.anon {
		c.releaseAnon(s)
		return
	}
	t := c.lruTail // the segment that b extends downwards, if b is the slot below it
	if t != nilSeg {
		// Read below once a block becomes evictable: requested now, its
		// miss overlaps the walk's first slot group's.
		prefetch.Line(unsafe.Pointer(&c.segs[t]))
	}
	for i := len(s.spans) - 1; i >= 0; i-- {
		sp := s.spans[i]
		for b := sp.lo + sp.n - 1; b >= sp.lo; b-- {
			g, j := c.sl.grp(b), b&slotMask
			if g.st[j]--; g.st[j] > 0 {
				continue
			}
			c.used--
			if g.bits[bHashed]>>j&1 == 0 {
				c.freeSlot(b)
				continue
			}
			if t == nilSeg || c.segs[t].lo != b+1 {
				t = c.segNew(b+1, b+1)
				c.segInsert(t, c.lruTail, nilSeg)
			}
			c.segs[t].lo = b
			g.st[j] = -t - 1
			c.nLRU++
		}
	}
	c.seqs.put(s)
}

// Reset loses every block (instance failure): onEvict fires for each resident
// hash (in slot order, deterministically), nothing is written to the tier,
// and every running Seq becomes inert.
func (c *Cache) Reset() {
	if c.onEvict != nil {
		for b := range c.sl.n {
			if c.sl.bit(bHashed, b) {
				c.onEvict(c.sl.hash(b))
			}
		}
	}
	c.sl.reset()
	c.ghosts, c.ghostsAll = table{}, false
	c.nFree, c.cursor, c.reserved = 0, 0, 0
	c.tab.clear()
	c.nHashed, c.used = 0, 0
	c.segs, c.freeSegs, c.lruHead, c.lruTail, c.nLRU, c.segCount = c.segs[:0], c.freeSegs[:0], nilSeg, nilSeg, 0, 0
	c.epoch++
}

func (c *Cache) valid(s *Seq) bool { return s != nil && s.owner == c && s.epoch == c.epoch }

func (c *Cache) newSeq() *Seq {
	s := c.seqs.get()
	s.epoch, s.owner = c.epoch, c
	return s
}

// tokens32 is a token count as a Seq keeps it: at least 0, at most 2^31-1.
func tokens32(tokens int) int32 { return int32(min(max(tokens, 0), math.MaxInt32)) }

// touchPublish hands the touch hook the hashes Publish may insert (those
// of unhashed blocks), so that the index loads their slots at once, and
// loads the id table slots of the dedupe lookups Publish will make (see
// Publish: a block after an unhashed one is usually not looked up): the
// cache misses of the batch overlap instead of queueing one per block.
func (c *Cache) touchPublish(s *Seq, hashes []uint64) {
	keys := c.touchKeys[:0]
	all := c.ghostsAll || c.ghosts.n > 0
	// The blocks from s.pub on are new (unhashed: only s's own Publish
	// hashes them); the first follows a hashed block (or none).
	for i := min(int(s.pub), len(hashes)); i < len(hashes); i++ {
		if i == int(s.pub) || all {
			c.sink ^= c.tab.touchSlot(hashes[i])
		}
		if c.onTouch != nil {
			keys = append(keys, hashes[i])
			if len(keys) == touchBatch {
				c.onTouch(keys)
				keys = keys[:0]
			}
		}
	}
	if len(keys) > 0 {
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
	c.evict(n - c.avail())
	c.reserved += n
	c.used += n
	return true
}

// Unreserve returns n reserved blocks to the free pool.
func (c *Cache) Unreserve(n int) {
	n = min(n, c.reserved)
	c.reserved -= n
	c.used -= n
}

// Reserved is the number of blocks held by Reserve.
func (c *Cache) Reserved() int { return c.reserved }

package kvcache

import "math/bits"

// idTable maps a block hash to the Cache slot holding it in 4 bytes a slot.
// The Cache indexes only run heads here (see Cache). A slot never stores
// the hash, which the Cache already holds (its slots, keys.hash(id)); it packs
// the slot's index (id+1, idBits), the
// entry's distance from its home slot (distBits) and as many of the hash's
// bits as remain (a tag).
//
// It is Robin Hood linear probing: along a probe run, entries are ordered by
// distance, so a lookup compares a key only with entries of its own home
// (same distance) whose tag matches, and stops at the first entry closer to
// its home than the lookup is; a miss almost never reads a key. Deletion
// shifts the rest of the run back one slot, decrementing distances, with no
// key read at all. The size is any integer (no power of two), doubled
// whenever the load would pass 0.7. The Cache keeps only run heads
// here (a few per request), so the table holds a small fraction of the
// cached blocks; its limit is sized for the worst case, every block a head,
// at load 0.55, where a full cache's inserts and deletes walk about half as
// far as at 0.7.
type idTable struct {
	slots    []uint32 // 0: empty; else tag | dist<<idBits | (id+1)
	n        int      // live entries
	idBits   uint8    // bits holding id+1
	distBits uint8    // bits holding the distance from home (a longer one grows the table)
	limit    int      // size at which capacity entries sit at load idFull
	capacity int      // the cache's blocks
}

// The id table's highest load while it grows, and its load when its cache's
// every block is hashed.
const (
	idLoadNum = 7
	idLoadDen = 10
	idFullNum = 11
	idFullDen = 20
)

func newIDTable(capacity int) idTable {
	idBits := max(bitsLen(capacity), 1)
	return idTable{idBits: uint8(idBits), distBits: uint8(min(5, 32-idBits)), limit: capacity*idFullDen/idFullNum + 1, capacity: capacity}
}

func (t *idTable) idMask() uint32       { return 1<<t.idBits - 1 }
func (t *idTable) maxDist() uint32      { return 1<<t.distBits - 1 }
func (t *idTable) shift() uint8         { return t.idBits + t.distBits }
func (t *idTable) dist(s uint32) uint32 { return s >> t.idBits & t.maxDist() }

// tag is k's tag, in place: high bits of a second mix of k (the home comes
// from the first), so that keys with one home still differ in their tags.
func (t *idTable) tag(k uint64) uint32 {
	sh := t.shift()
	if sh >= 32 {
		return 0
	}
	m := (k ^ k>>31) * 0xbf58476d1ce4e5b9
	return uint32(m>>(32+sh)) << sh
}

// find returns the slot holding k, or -1.
func (t *idTable) find(keys *slots, k uint64) int {
	if t.n == 0 {
		return -1
	}
	size, want, idMask, sh := len(t.slots), t.tag(k), t.idMask(), t.shift()
	i := homeOf(k, size)
	for d := uint32(0); ; d++ {
		s := t.slots[i]
		if s == 0 {
			return -1
		}
		sd := t.dist(s)
		if sd < d {
			return -1 // Robin Hood: k would have been placed before this entry
		}
		if sd == d && (sh >= 32 || s>>sh<<sh == want) && keys.hash(int32(s&idMask)-1) == k {
			return i
		}
		i = next(i, size)
	}
}

// get returns the block holding hash k.
func (t *idTable) get(keys *slots, k uint64) (int32, bool) {
	i := t.find(keys, k)
	if i < 0 {
		return -1, false
	}
	return int32(t.slots[i]&t.idMask()) - 1, true
}

// swap makes slot id (whose hash, k, is already keys.hash(id), and which is
// already a head: set in hashed, clear in linked) the holder of k and
// returns the slot it replaced. The heads (hashed and not linked) are the
// slots that hold their hash in the table, id included: a growing table is
// rebuilt from them.
func (t *idTable) swap(keys *slots, k uint64, id int32) (old int32, existed bool) {
	if (t.n+1)*idLoadDen > len(t.slots)*idLoadNum {
		if i := t.find(keys, k); i >= 0 {
			s := t.slots[i]
			t.slots[i] = s&^t.idMask() | uint32(id+1)
			return int32(s&t.idMask()) - 1, true
		}
		t.n++
		t.rebuild(keys, t.bigger()) // places id too
		return -1, false
	}
	// One pass, as find, that inserts where find would give up: the slot
	// where k is missing is where Robin Hood places it.
	size, want, idMask, sh := len(t.slots), t.tag(k), t.idMask(), t.shift()
	i := homeOf(k, size)
	for d := uint32(0); ; d++ {
		s := t.slots[i]
		if s == 0 || t.dist(s) < d {
			t.n++
			if d > t.maxDist() {
				t.rebuild(keys, t.bigger()) // k would sit farther than distBits can say
			} else if _, ok := t.insertAt(want|uint32(id+1), d, i); !ok {
				t.rebuild(keys, t.bigger()) // a run grew longer than distBits can say
			}
			return -1, false
		}
		if t.dist(s) == d && (sh >= 32 || s>>sh<<sh == want) && keys.hash(int32(s&idMask)-1) == k {
			t.slots[i] = s&^idMask | uint32(id+1)
			return int32(s&idMask) - 1, true
		}
		i = next(i, size)
	}
}

// insert places entry e (tag and id; its distance is ignored) by Robin Hood
// from slot home. If some entry would end farther than maxDist from its
// home, it returns that entry, which is then in no slot (the table is
// otherwise consistent), and false.
func (t *idTable) insert(e uint32, home int) (uint32, bool) { return t.insertAt(e, 0, home) }

// insertAt continues insert at slot i, where the entry being placed, cur,
// is d slots from its home (d <= maxDist).
func (t *idTable) insertAt(cur, d uint32, i int) (uint32, bool) {
	size, md := len(t.slots), t.maxDist()
	for ; ; i = next(i, size) {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = t.withDist(cur, d)
			return 0, true
		}
		if sd := t.dist(s); sd < d {
			t.slots[i] = t.withDist(cur, d)
			cur, d = s, sd
		}
		if d++; d > md {
			return cur, false
		}
	}
}

func (t *idTable) withDist(e, d uint32) uint32 {
	return e&^(t.maxDist()<<t.idBits) | d<<t.idBits
}

// del removes block id, which holds hash k; false if it is not there. It
// looks for id among the entries of k's home, reading no block.
func (t *idTable) del(keys *slots, k uint64, id int32) bool {
	if t.n == 0 || keys.hash(id) != k {
		return false
	}
	size, idMask, want := len(t.slots), t.idMask(), uint32(id+1)
	i := homeOf(k, size)
	for d := uint32(0); ; d++ {
		s := t.slots[i]
		if s == 0 || t.dist(s) < d {
			return false
		}
		if s&idMask == want {
			break
		}
		i = next(i, size)
	}
	for j := next(i, size); t.slots[j] != 0 && t.dist(t.slots[j]) > 0; j = next(j, size) {
		s := t.slots[j]
		t.slots[i] = t.withDist(s, t.dist(s)-1)
		i = j
	}
	t.slots[i] = 0
	t.n--
	return true
}

func (t *idTable) clear() {
	clear(t.slots)
	t.n = 0
}

// bigger is the next size: double, or the limit once double would hold
// the cache's whole capacity at load 0.7, beyond it only when distances
// overflow. Doubling, not growing by a quarter, because a rebuild walks
// every slot's bits and every head's hash (cold, on an instance a request
// visits once a second): a filling cache rebuilt its table ~14 times on
// the way to a few hundred heads, now ~5, for a few KB more at most.
func (t *idTable) bigger() int {
	size := max(16, 2*len(t.slots))
	if len(t.slots) < t.limit && size*idLoadNum >= t.capacity*idLoadDen {
		size = t.limit
	}
	return size
}

// rebuild places every head (set in hashed, clear in linked; n of them) into at least size
// fresh slots, growing further while some distance overflows. It walks the
// blocks in order rather than the old slots: the block reads are then
// sequential, where following the old slots would read them at random.
func (t *idTable) rebuild(keys *slots, size int) {
	for {
		t.slots = make([]uint32, size)
		if t.placeAll(keys) {
			return
		}
		size += size / 4
	}
}

func (t *idTable) placeAll(keys *slots) bool {
	size := len(t.slots)
	for p := range keys.np {
		pg := keys.page(p)
		for w := range pg {
			g := &pg[w]
			for word := g.bits[bHashed] &^ g.bits[bLinked]; word != 0; word &= word - 1 {
				i := bits.TrailingZeros64(word)
				b := (int(p)*pageGroups+w)*groupSlots + i
				k := g.hash[i]
				if _, ok := t.insert(t.tag(k)|uint32(b+1), homeOf(k, size)); !ok {
					return false
				}
			}
		}
	}
	return true
}

// touchSlot loads k's home slot and returns it (the caller folds it into
// a value it keeps, so that the compiler keeps the load). It changes
// nothing: it exists so that the cache misses of a batch of independent
// probes overlap, instead of each probe waiting out its own.
func (t *idTable) touchSlot(k uint64) uint32 {
	if t.n == 0 {
		return 0
	}
	return t.slots[homeOf(k, len(t.slots))]
}

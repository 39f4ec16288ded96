package kvcache

import "slices"

// Index maps block hashes to the instances holding them, for cache-aware
// routing across a fleet. Wire it to each instance's Cache with SetHooks:
//
//	c.SetHooks(func(h uint64) { x.Add(h, inst) }, func(h uint64) { x.Remove(h, inst) })
//
// Holders of a hash are kept as a sorted slice, so a lookup intersects short
// sorted lists and never visits instances that do not hold the prompt's first
// block. It is single-threaded, like the simulator.
type Index struct {
	// one maps a hash to its only holder, or to multiBase+k when several
	// instances hold it and multi[k] lists them. Most blocks (a user's own
	// tokens) live on one instance, so the common case is one flat-table
	// probe with no allocation; shared prefixes get a sorted slice.
	one table
	// multi lists holders of shared hashes, sorted, at most MaxListed of
	// them: a prefix held fleet-wide (a popular system prompt on 10,000
	// instances) must not cost O(fleet) per insert. count is the true
	// number of holders; membership is always exact through pairs.
	multi     []holderList
	freeMulti []int32
	pairs     table    // pairKey(hash, inst) -> 1 for shared hashes: exact membership
	single    [1]int32 // scratch for holders() of a single-holder hash
	sink      int32    // folds the touch passes' loads, so that they are kept
}

type holderList struct {
	list  []int32 // sorted; nil = free slot
	count int32   // holders, listed or not
}

// MaxListed bounds the holders listed per hash. Longest, Holders and
// Deepest see at most this many; Has and Depth are exact regardless.
const MaxListed = 256

// multiBase tags table values that point into Index.multi; instance ids
// stay below it.
const multiBase = 1 << 30

// pairKey mixes a hash with an instance id into one table key.
func pairKey(hash uint64, inst int32) uint64 {
	return mum(hash^0x9e3779b97f4a7c15, uint64(inst)+0x632be59bd9b4e019)
}

// NewIndex returns an empty index.
func NewIndex() *Index { return &Index{} }

// Replicas returns how many instances hold hash.
func (x *Index) Replicas(hash uint64) int {
	v, ok := x.one.get(hash)
	switch {
	case !ok:
		return 0
	case v >= multiBase:
		return int(x.multi[v-multiBase].count)
	}
	return 1
}

// holders returns the sorted listed instances holding hash; the slice is
// valid until the next call.
func (x *Index) holders(hash uint64) []int32 {
	v, ok := x.one.get(hash)
	switch {
	case !ok:
		return nil
	case v >= multiBase:
		return x.multi[v-multiBase].list
	}
	x.single[0] = v
	return x.single[:]
}

// Add records that instance inst holds hash (idempotent).
func (x *Index) Add(hash uint64, inst int32) {
	v, ok := x.one.get(hash)
	switch {
	case !ok:
		x.one.set(hash, inst)
	case v == inst:
	case v < multiBase:
		x.pairs.set(pairKey(hash, v), 1)
		x.pairs.set(pairKey(hash, inst), 1)
		hl := holderList{list: []int32{min(v, inst), max(v, inst)}, count: 2}
		var k int32
		if n := len(x.freeMulti); n > 0 {
			k = x.freeMulti[n-1]
			x.freeMulti = x.freeMulti[:n-1]
			x.multi[k] = hl
		} else {
			k = int32(len(x.multi))
			x.multi = append(x.multi, hl)
		}
		x.one.set(hash, multiBase+k)
	default:
		pk := pairKey(hash, inst)
		if _, dup := x.pairs.get(pk); dup {
			return
		}
		x.pairs.set(pk, 1)
		hl := &x.multi[v-multiBase]
		hl.count++
		if len(hl.list) < MaxListed {
			i, _ := slices.BinarySearch(hl.list, inst)
			hl.list = slices.Insert(hl.list, i, inst)
		}
	}
}

// Remove records that inst no longer holds hash (absent pairs are ignored).
func (x *Index) Remove(hash uint64, inst int32) {
	v, ok := x.one.get(hash)
	switch {
	case !ok:
		return
	case v < multiBase:
		if v == inst {
			x.one.del(hash)
		}
		return
	}
	if !x.pairs.del(pairKey(hash, inst)) {
		return
	}
	k := v - multiBase
	hl := &x.multi[k]
	hl.count--
	if i, found := slices.BinarySearch(hl.list, inst); found {
		hl.list = slices.Delete(hl.list, i, i+1)
	}
	switch {
	case hl.count == 0:
		x.one.del(hash)
		x.multi[k] = holderList{}
		x.freeMulti = append(x.freeMulti, k)
	case hl.count == 1 && len(hl.list) == 1:
		x.pairs.del(pairKey(hash, hl.list[0])) // a single holder is known from one alone
		x.one.set(hash, hl.list[0])
		x.multi[k] = holderList{}
		x.freeMulti = append(x.freeMulti, k)
	}
}

// Has reports whether inst holds hash: one or two table probes.
func (x *Index) Has(hash uint64, inst int32) bool {
	v, ok := x.one.get(hash)
	switch {
	case !ok:
		return false
	case v < multiBase:
		return v == inst
	}
	_, ok = x.pairs.get(pairKey(hash, inst))
	return ok
}

// Depth returns how many leading hashes inst holds, assuming (as the
// chained hashes and tail-first eviction make true) that an instance
// holding a block holds the blocks before it: a binary search, O(log n ·
// log replicas), never touching other instances.
func (x *Index) Depth(hashes []uint64, inst int32) int {
	x.touchSearch(hashes, 0, len(hashes), touchLevels, inst)
	lo, hi := 0, len(hashes) // inst holds hashes[:lo]; not hashes[hi-1]'s successor
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if x.Has(hashes[mid-1], inst) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// Deepest returns the largest n such that some instance holds hashes[n-1]
// (0 if none), by binary search under the same prefix assumption, and the
// holders of that block.
func (x *Index) Deepest(hashes []uint64) (int, []int32) {
	x.touchSearch(hashes, 0, len(hashes), touchLevels, -1)
	lo, hi := 0, len(hashes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if x.Replicas(hashes[mid-1]) > 0 {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return 0, nil
	}
	return lo, x.holders(hashes[lo-1])
}

// Touch loads the table slots of those hashes that are multiples of every
// (the sampled ones, when the index records one hash in every), so that
// the cache misses of the Add or Remove calls that follow overlap. It
// changes nothing. Wire it to a Cache with SetTouchHook.
func (x *Index) Touch(hashes []uint64, every uint64) {
	if x.one.n == 0 {
		return
	}
	for _, h := range hashes {
		if h%every == 0 {
			x.sink ^= x.one.slots[x.one.home(h)].val
		}
	}
}

// touchLevels is how many levels of Depth's and Deepest's binary search
// touchSearch loads ahead: 31 probes, all of a search over up to 32 hashes.
const touchLevels = 5

// touchSearch loads the table slots that the first levels of a binary
// search over hashes[lo:hi] may probe (the positions Depth and Deepest
// compute), so that their cache misses overlap instead of following one
// another; with inst >= 0 also the pair slots of shared hashes. It changes
// nothing: a fleet's index is far bigger than the CPU caches.
func (x *Index) touchSearch(hashes []uint64, lo, hi, levels int, inst int32) {
	if lo >= hi || levels == 0 || x.one.n == 0 {
		return
	}
	mid := (lo + hi + 1) / 2
	h := hashes[mid-1]
	s := &x.one.slots[x.one.home(h)]
	x.sink ^= s.val
	if inst >= 0 && x.pairs.n > 0 && s.val >= multiBase && s.key() == h {
		x.sink ^= x.pairs.slots[x.pairs.home(pairKey(h, inst))].val
	}
	x.touchSearch(hashes, mid, hi, levels-1, inst)
	x.touchSearch(hashes, lo, mid-1, levels-1, inst)
}

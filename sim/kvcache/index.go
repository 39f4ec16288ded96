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
	single    [1]int32 // scratch for Deepest's holders of a single-holder hash
	insts     int32    // instances that add to the index (SetInstances; 0: unknown)
}

type holderList struct {
	list  []int32 // sorted; nil = free slot
	count int32   // holders, listed or not
}

// MaxListed bounds the holders listed per hash. Deepest returns at most
// this many; Depths is exact regardless.
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

// SetInstances tells the index how many distinct instances add to it: a
// hash that many hold is held by every one of them, so Depths knows their
// membership without a probe (a system prompt cached fleet-wide, the
// common shared prefix, costs no membership lookups at all).
func (x *Index) SetInstances(n int) { x.insts = int32(n) }

// everywhere reports whether the shared hash of table value v (>=
// multiBase) is held by all the instances that add to the index.
func (x *Index) everywhere(v int32) bool {
	return x.insts > 0 && x.multi[v-multiBase].count == x.insts
}

// Add records that instance inst holds hash (idempotent).
func (x *Index) Add(hash uint64, inst int32) {
	v, ok := x.one.get(hash)
	switch {
	case !ok:
		roomFor(&x.one, 1)
		x.one.set(hash, inst)
	case v == inst:
	case v < multiBase:
		roomFor(&x.pairs, 2)
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
		roomFor(&x.pairs, 1)
		x.pairs.set(pk, 1)
		hl := &x.multi[v-multiBase]
		hl.count++
		if len(hl.list) < MaxListed {
			i, _ := slices.BinarySearch(hl.list, inst)
			hl.list = slices.Insert(hl.list, i, inst)
		}
	}
}

// roomFor doubles t when k more entries would make it grow: the index
// grows with every cache in the fleet (hundreds of MB at 10,000
// instances), and the table's own growth by a quarter moves each entry
// about five times on the way; doubling moves it about twice, for a load
// between 0.35 and 0.7 instead of 0.56 and 0.7.
func roomFor(t *table, k int) {
	if n := t.n + k; n*maxLoadDen > len(t.slots)*maxLoadNum {
		t.reserve(2 * n)
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

// Lookup holds one prompt's hashes and the table entries read for them, so
// that Deepest and the Depths of the routing candidates, binary searches
// over the same positions, read each entry of the fleet-wide table (at
// 10,000 instances hundreds of MB: every probe a cache miss) once per
// request instead of once per search. Fill it with Load; it is valid until
// the index changes. The zero value is ready to use.
type Lookup struct {
	hashes []uint64
	vals   []int32 // the table's value for hashes[i]; absent or unread below
	tree   []int32 // positions the first touchLevels levels of a search probe
	hi     []int   // Depths' upper bounds, one per search
}

const (
	lookAbsent = -1 // hashes[i] is not in the index
	lookUnread = -2 // not read yet
)

// Load prepares l for hashes (kept, not copied) and requests (prefetches)
// the table slots that the first levels of a binary search over them
// probe, so that their cache misses overlap instead of following one
// another. Entries are read when a search first needs them.
func (x *Index) Load(l *Lookup, hashes []uint64) {
	l.hashes = hashes
	l.vals = slices.Grow(l.vals[:0], len(hashes))[:len(hashes)]
	fill := int32(lookUnread)
	if x.one.n == 0 {
		fill = lookAbsent
	}
	for i := range l.vals {
		l.vals[i] = fill
	}
	l.tree = searchTree(l.tree[:0], len(hashes))
	if x.one.n > 0 {
		for _, i := range l.tree {
			x.one.prefetch(hashes[i])
		}
	}
}

// val returns the table value of l.hashes[i] (lookAbsent when absent),
// reading it on first use.
func (x *Index) val(l *Lookup, i int) int32 {
	v := l.vals[i]
	if v == lookUnread {
		var ok bool
		if v, ok = x.one.get(l.hashes[i]); !ok {
			v = lookAbsent
		}
		l.vals[i] = v
	}
	return v
}

// Deepest returns the largest n such that some instance holds
// l.hashes[n-1] (0 if none), by binary search assuming (as the chained
// hashes and tail-first eviction make true) that an instance holding a
// block holds the blocks before it, and the holders of that block (valid
// until the index changes).
func (x *Index) Deepest(l *Lookup) (int, []int32) {
	lo, hi := 0, len(l.hashes)
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if x.val(l, mid-1) >= 0 {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	if lo == 0 {
		return 0, nil
	}
	v := x.val(l, lo-1)
	if v >= multiBase {
		return lo, x.multi[v-multiBase].list
	}
	x.single[0] = v
	return lo, x.single[:]
}

// Depths sets depth[j] to how many of l's leading hashes insts[j] holds
// (depth has len(insts) entries), each found by binary search under the
// same prefix assumption as Deepest: the table entries are l's, only the
// candidate's membership of shared hashes is probed, never other
// instances. The searches run in lockstep: each round takes every
// unfinished search one probe further, first requesting the lines all of
// its probes will read (the table slot of a hash not read yet, then each
// candidate's membership slot) and only then reading them, so that a round
// costs about one cache miss, not one per candidate and level. The probes
// and answers are those of one search per candidate; only their order
// differs.
func (x *Index) Depths(l *Lookup, insts []int32, depth []int) {
	lo, hi := depth[:len(insts)], slices.Grow(l.hi[:0], len(insts))[:len(insts)]
	l.hi = hi
	for j := range insts {
		lo[j], hi[j] = 0, len(l.hashes)
	}
	for {
		busy := false
		for j := range insts {
			if lo[j] < hi[j] {
				busy = true
				if i := (lo[j]+hi[j]+1)/2 - 1; l.vals[i] == lookUnread {
					x.one.prefetch(l.hashes[i])
				}
			}
		}
		if !busy {
			return
		}
		if x.pairs.n > 0 {
			for j, inst := range insts {
				if lo[j] < hi[j] {
					i := (lo[j]+hi[j]+1)/2 - 1
					if v := x.val(l, i); v >= multiBase && !x.everywhere(v) {
						x.pairs.prefetch(pairKey(l.hashes[i], inst))
					}
				}
			}
		}
		for j, inst := range insts {
			if lo[j] < hi[j] {
				if mid := (lo[j] + hi[j] + 1) / 2; x.holds(l, mid-1, inst) {
					lo[j] = mid
				} else {
					hi[j] = mid - 1
				}
			}
		}
	}
}

// holds reports whether inst holds l.hashes[i], its table entry read
// through l: one membership probe for a hash shared by some instances,
// none otherwise.
func (x *Index) holds(l *Lookup, i int, inst int32) bool {
	v := x.val(l, i)
	switch {
	case v < 0:
		return false
	case v < multiBase:
		return v == inst
	case x.everywhere(v):
		return true
	}
	_, ok := x.pairs.get(pairKey(l.hashes[i], inst))
	return ok
}

// Touch requests (prefetches) the table slots of those hashes that are
// multiples of every (the sampled ones, when the index records one hash in
// every), so that the cache misses of the Add or Remove calls that follow
// overlap. It changes nothing. Wire it to a Cache with SetTouchHook.
func (x *Index) Touch(hashes []uint64, every uint64) {
	if x.one.n == 0 {
		return
	}
	if every&(every-1) == 0 { // a power of two: a mask, not a 64-bit division per hash
		for _, h := range hashes {
			if h&(every-1) == 0 {
				x.one.prefetch(h)
			}
		}
		return
	}
	for _, h := range hashes {
		if h%every == 0 {
			x.one.prefetch(h)
		}
	}
}

// touchLevels is how many levels of Depth's and Deepest's binary search
// are loaded ahead: 31 probes, all of a search over up to 31 hashes.
const touchLevels = 5

// searchTree appends to dst the positions that the first touchLevels
// levels of a binary search over n hashes (Deepest's and Depth's
// midpoints) may probe: all of them when n < 1<<touchLevels.
func searchTree(dst []int32, n int) []int32 {
	if n < 1<<touchLevels {
		for i := range n {
			dst = append(dst, int32(i))
		}
		return dst
	}
	type span struct{ lo, hi, levels int }
	var stack [touchLevels + 1]span
	stack[0] = span{0, n, touchLevels}
	for top := 1; top > 0; {
		top--
		sp := stack[top]
		if sp.lo >= sp.hi || sp.levels == 0 {
			continue
		}
		mid := (sp.lo + sp.hi + 1) / 2
		dst = append(dst, int32(mid-1))
		stack[top] = span{sp.lo, mid - 1, sp.levels - 1}
		stack[top+1] = span{mid, sp.hi, sp.levels - 1}
		top += 2
	}
	return dst
}

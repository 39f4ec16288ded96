package kvcache

// idTable maps a block hash to the Cache block holding it in 4 bytes a slot:
// a slot stores the block's index plus as many of the hash's bits as the
// index leaves free (a tag), never the hash itself, which the block already
// holds (Cache.blk[id].hash) and which is read only when the tag matches.
// With an instance's few tens of thousands of blocks the tag has ~16 bits,
// so a miss almost never touches a block. Linear probing over any table
// size (no power of two), growing by a quarter up to the size its cache's
// capacity can need, keeps it at 5.7-7.2 bytes per cached block; deletes
// shift backward, so a table at its working size never allocates again.
type idTable struct {
	slots  []uint32 // 0: empty; else tag<<idBits | (id+1)
	n      int      // live entries
	idBits uint8    // bits holding id+1
	limit  int      // largest size ever needed: capacity entries at maxLoad
}

func newIDTable(capacity int) idTable {
	return idTable{idBits: uint8(max(bitsLen(capacity), 1)), limit: capacity*maxLoadDen/maxLoadNum + 1}
}

func (t *idTable) mask() uint32 { return 1<<t.idBits - 1 }

// tag is k's tag already shifted into place: bits of a second mix of k, so
// that keys sharing a probe run (similar homes) still differ in their tags.
func (t *idTable) tag(k uint64) uint32 {
	m := (k ^ k>>31) * 0xbf58476d1ce4e5b9
	return uint32(m>>(32+t.idBits)) << t.idBits
}

// get returns the block holding hash k.
func (t *idTable) get(blk []block, k uint64) (int32, bool) {
	if t.n == 0 {
		return -1, false
	}
	want, mask := t.tag(k), t.mask()
	for i := homeOf(k, len(t.slots)); ; i = next(i, len(t.slots)) {
		s := t.slots[i]
		if s == 0 {
			return -1, false
		}
		if s&^mask == want {
			if id := int32(s&mask) - 1; blk[id].hash == k {
				return id, true
			}
		}
	}
}

// swap makes block id (whose hash, k, is already in blk[id]) the holder of
// k and returns the block it replaced.
func (t *idTable) swap(blk []block, k uint64, id int32) (old int32, existed bool) {
	if (t.n+1)*maxLoadDen > len(t.slots)*maxLoadNum {
		t.grow(blk)
	}
	want, mask := t.tag(k), t.mask()
	for i := homeOf(k, len(t.slots)); ; i = next(i, len(t.slots)) {
		s := t.slots[i]
		if s == 0 {
			t.slots[i] = want | uint32(id+1)
			t.n++
			return -1, false
		}
		if s&^mask == want {
			if o := int32(s&mask) - 1; blk[o].hash == k {
				t.slots[i] = want | uint32(id+1)
				return o, true
			}
		}
	}
}

// del removes block id, which holds hash k; false if it is not there.
func (t *idTable) del(blk []block, k uint64, id int32) bool {
	if t.n == 0 {
		return false
	}
	size, mask := len(t.slots), t.mask()
	i := homeOf(k, size)
	for ; ; i = next(i, size) {
		s := t.slots[i]
		if s == 0 {
			return false
		}
		if s&mask == uint32(id+1) {
			if blk[id].hash != k {
				return false // id holds another hash
			}
			break
		}
	}
	for j := next(i, size); t.slots[j] != 0; j = next(j, size) {
		if movable(homeOf(blk[int32(t.slots[j]&mask)-1].hash, size), i, j, size) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = 0
	t.n--
	return true
}

func (t *idTable) clear() {
	clear(t.slots)
	t.n = 0
}

func (t *idTable) grow(blk []block) {
	size := min(max(16, len(t.slots)+len(t.slots)/4), max(t.limit, t.n+1))
	old := t.slots
	t.slots = make([]uint32, size)
	mask := t.mask()
	for _, s := range old {
		if s == 0 {
			continue
		}
		i := homeOf(blk[int32(s&mask)-1].hash, size)
		for t.slots[i] != 0 {
			i = next(i, size)
		}
		t.slots[i] = s
	}
}

package kvcache

// table is an open-addressing, linear-probing map from a 64-bit block hash to
// an int32 slot. It exists because the built-in map costs a bucket walk and
// (after deletes) tombstone growth on the per-block hot path; here deletes use
// backward shifting, so a table that has reached its working size never
// allocates again. The zero value is an empty table ready to use.
type table struct {
	slots []slot // key and value side by side: one cache miss per probe
	shift uint8  // 64 - log2(len(slots))
	n     int    // live entries
}

type slot struct {
	key uint64
	val int32 // -1 marks an empty slot
}

// fibonacci hashing constant: spreads structured keys (small test ids) over
// the high bits that home() keeps.
const fib = 0x9E3779B97F4A7C15

func (t *table) home(k uint64) int { return int((k * fib) >> t.shift) }

// get returns the value stored for k.
func (t *table) get(k uint64) (int32, bool) {
	if t.n == 0 {
		return -1, false
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.val < 0 {
			return -1, false
		}
		if s.key == k {
			return s.val, true
		}
	}
}

// set stores v (>= 0) for k, replacing any previous value.
func (t *table) set(k uint64, v int32) {
	if 2*(t.n+1) > len(t.slots) { // keep load <= 1/2: short probe chains
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.val < 0 {
			*s = slot{k, v}
			t.n++
			return
		}
		if s.key == k {
			s.val = v
			return
		}
	}
}

// swap stores v (>= 0) for k and returns the value it replaced, in one
// probe sequence (Publish's dedupe check and insert).
func (t *table) swap(k uint64, v int32) (old int32, existed bool) {
	if 2*(t.n+1) > len(t.slots) {
		t.grow()
	}
	mask := len(t.slots) - 1
	for i := t.home(k); ; i = (i + 1) & mask {
		sl := &t.slots[i]
		if sl.val < 0 {
			sl.key, sl.val = k, v
			t.n++
			return -1, false
		}
		if sl.key == k {
			old, sl.val = sl.val, v
			return old, true
		}
	}
}

// del removes k and reports whether it was present.
func (t *table) del(k uint64) bool {
	if t.n == 0 {
		return false
	}
	mask := len(t.slots) - 1
	i := t.home(k)
	for ; ; i = (i + 1) & mask {
		if t.slots[i].val < 0 {
			return false
		}
		if t.slots[i].key == k {
			break
		}
	}
	// Backward-shift deletion: pull later members of the probe run into the
	// hole when the hole lies between their home slot and where they sit.
	for j := (i + 1) & mask; t.slots[j].val >= 0; j = (j + 1) & mask {
		h := t.home(t.slots[j].key)
		if (j-h)&mask >= (j-i)&mask {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i].val = -1
	t.n--
	return true
}

// clear empties the table, keeping its storage.
func (t *table) clear() {
	for i := range t.slots {
		t.slots[i].val = -1
	}
	t.n = 0
}

func (t *table) grow() {
	size := 16
	if len(t.slots) > 0 {
		size = 2 * len(t.slots)
	}
	old := t.slots
	t.slots = make([]slot, size)
	for i := range t.slots {
		t.slots[i].val = -1
	}
	t.shift = uint8(64 - bitsLen(size-1))
	t.n = 0
	for _, s := range old {
		if s.val >= 0 {
			t.set(s.key, s.val)
		}
	}
}

// bitsLen is the number of bits needed to represent x (x >= 1).
func bitsLen(x int) int {
	n := 0
	for ; x > 0; x >>= 1 {
		n++
	}
	return n
}

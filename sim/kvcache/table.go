package kvcache

import (
	"unsafe"

	"github.com/fleetbench/fleetbench/internal/prefetch"
)

// table is an open-addressing, linear-probing map from a 64-bit block hash to
// an int32 value. It exists because the built-in map costs a bucket walk,
// ~40 bytes an entry and (after deletes) tombstone growth on the per-block
// hot path; here a key and its value sit side by side in one flat array of
// 12-byte slots (one cache miss a probe, where two arrays would cost two),
// the size is any integer (not a power of two: growth by a quarter keeps
// the load between 0.56 and 0.7, so 17-22 bytes an entry), and deletes use
// backward shifting, so a table that has reached its working size never
// allocates again. The zero value is an empty table ready to use.
type table struct {
	slots []tslot
	n     int // live entries
}

// tslot is a table slot: the key split in two 32-bit halves so that a slot
// is 12 bytes, not the 16 that a uint64 field's alignment would make it.
type tslot struct {
	lo, hi uint32
	val    int32 // -1 marks an empty slot
}

func (s *tslot) key() uint64 { return uint64(s.hi)<<32 | uint64(s.lo) }

func (s *tslot) put(k uint64, v int32) { s.lo, s.hi, s.val = uint32(k), uint32(k>>32), v }

// maxLoad bounds live entries per slot in a table: linear
// probing stays short (~2 probes for a hit, ~6 for a miss).
const (
	maxLoadNum = 7
	maxLoadDen = 10
)

// fibonacci hashing constant: spreads structured keys (small test ids) over
// the high bits that home() keeps.
const fib = 0x9E3779B97F4A7C15

// homeOf maps k to a slot in [0, size): the high 32 bits of a
// multiplicative hash, scaled to size (Lemire's fast range reduction).
func homeOf(k uint64, size int) int {
	return int(((k * fib) >> 32) * uint64(size) >> 32)
}

func (t *table) home(k uint64) int { return homeOf(k, len(t.slots)) }

// prefetch requests the line of k's home slot, where a lookup of k starts
// (the table must not be empty).
func (t *table) prefetch(k uint64) { prefetch.Line(unsafe.Pointer(&t.slots[t.home(k)])) }

// get returns the value stored for k.
func (t *table) get(k uint64) (int32, bool) {
	if t.n == 0 {
		return -1, false
	}
	for i := t.home(k); ; {
		s := &t.slots[i]
		if s.val < 0 {
			return -1, false
		}
		if s.key() == k {
			return s.val, true
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// set stores v (>= 0) for k, replacing any previous value.
func (t *table) set(k uint64, v int32) { t.swap(k, v) }

// swap stores v (>= 0) for k and returns the value it replaced, in one
// probe sequence (Publish's dedupe check and insert).
func (t *table) swap(k uint64, v int32) (old int32, existed bool) {
	if (t.n+1)*maxLoadDen > len(t.slots)*maxLoadNum {
		t.grow()
	}
	for i := t.home(k); ; {
		s := &t.slots[i]
		if s.val < 0 {
			s.put(k, v)
			t.n++
			return -1, false
		}
		if s.key() == k {
			old, s.val = s.val, v
			return old, true
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
}

// del removes k and reports whether it was present.
func (t *table) del(k uint64) bool {
	if t.n == 0 {
		return false
	}
	i := t.home(k)
	for {
		if t.slots[i].val < 0 {
			return false
		}
		if t.slots[i].key() == k {
			break
		}
		if i++; i == len(t.slots) {
			i = 0
		}
	}
	// Backward-shift deletion: pull later members of the probe run into the
	// hole when the hole lies between their home slot and where they sit.
	size := len(t.slots)
	for j := next(i, size); t.slots[j].val >= 0; j = next(j, size) {
		if movable(t.home(t.slots[j].key()), i, j, size) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i].val = -1
	t.n--
	return true
}

// next is slot i's successor in a table of size slots.
func next(i, size int) int {
	if i++; i == size {
		return 0
	}
	return i
}

// movable reports whether the entry at slot j, whose home is h, may move to
// the hole at i (earlier in the same probe run): h is not in the cyclic
// interval (i, j].
func movable(h, i, j, size int) bool {
	return (j-h+size)%size >= (j-i+size)%size
}

func (t *table) grow() { t.resize(max(16, len(t.slots)+len(t.slots)/4)) }

// reserve grows t, if needed, so that n entries fit without another growth.
func (t *table) reserve(n int) {
	if n*maxLoadDen > len(t.slots)*maxLoadNum {
		t.resize(n*maxLoadDen/maxLoadNum + 1)
	}
}

// resize moves t's entries into a table of size slots (size must hold
// them within the load bound).
func (t *table) resize(size int) {
	old := t.slots
	t.slots = newSlots(size)
	for i := range t.slots {
		t.slots[i].val = -1
	}
	t.n = 0
	for i := range old {
		if s := &old[i]; s.val >= 0 {
			t.swap(s.key(), s.val)
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

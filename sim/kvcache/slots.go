package kvcache

// Per-slot state of a Cache, stored interleaved: slots come in groups of
// 64 whose bit-set words, states and hashes share one 832-byte record, and
// groups come in fixed pages that are allocated as slots are materialised
// and never move.
//
// Why: at 10,000 instances an instance's state is cold whenever its next
// request comes (one request a second each, several GB in all), so what a
// request costs is the number of distinct cache lines and pages it touches.
// With one array per field (hashes, states and five bit sets) each run of
// slots that Admit, Publish or Release visits costs a line and a TLB entry
// in each of seven arrays; here the bit words of a run's group fill one
// line next to its states and hashes, on the same page. And pages, unlike
// a growing array, are never copied: the arrays' regrowth (by an eighth,
// to keep memory per block low) copied every slot about eight times, a
// sixth of the CPU of a cache that is still filling.
const (
	groupShift = 6
	groupSlots = 1 << groupShift               // slots per group: one bit-set word
	pageShift  = 10                            // slots per page: 1024
	pageGroups = 1 << (pageShift - groupShift) // groups per page
	slotMask   = groupSlots - 1                // a slot's index within its group
	groupMask  = pageGroups - 1                // a group's index within its page
	bHashed    = 0                             // holds published KV under its hash
	bLinked    = 1                             // hashed, not in tab: the slot before holds its chain predecessor
	bMoved     = 2                             // its hash moved here from another slot (Publish dedupe)
	bMarks     = 3                             // Admit's scratch
	bFree      = 4                             // free: holds no block
)

// group is 64 consecutive slots: bit-set words (one line), then states
// (st: > 0 refcount while pinned, 0 free, < 0 evictable in segment -st-1),
// then chain hashes (meaningful only where hashed).
type group struct {
	bits [8]uint64 // indexed by bHashed..bFree; 3 spare words pad it to a line
	st   [groupSlots]int32
	hash [groupSlots]uint64
}

// page is pageGroups groups, allocated together.
type page [pageGroups]group

// inlinePages is how many page pointers a Cache holds inline (32K slots:
// a 70B model's cache on 4 H100s, with its slack): the first pages are
// then reached from the Cache itself, not through a slice's backing array,
// one dependent cache miss fewer on a cold instance.
const inlinePages = 32

// slots is a Cache's materialised slots [0, n). Every slot at or above n
// in an allocated page is all zero (states, bits), so materialising a slot
// needs no clearing.
type slots struct {
	n     int32
	np    int32              // pages allocated
	first [inlinePages]*page // pages [0, inlinePages)
	more  []*page            // pages from inlinePages on
}

// page returns page p (p < np).
func (s *slots) page(p int32) *page {
	if uint32(p) < inlinePages {
		return s.first[p]
	}
	return s.more[p-inlinePages]
}

// grp returns the group holding slot b (b < n).
func (s *slots) grp(b int32) *group {
	return &s.page(b >> pageShift)[b>>groupShift&groupMask]
}

// hash returns slot b's hash.
func (s *slots) hash(b int32) uint64 { return s.grp(b).hash[b&slotMask] }

// bit reports bit set f's bit for slot b.
func (s *slots) bit(f int, b int32) bool { return s.grp(b).bits[f]>>(b&slotMask)&1 != 0 }

// set sets or clears bit set f's bit for slot b.
func (s *slots) set(f int, b int32, v bool) {
	g := s.grp(b)
	if v {
		g.bits[f] |= 1 << (b & slotMask)
	} else {
		g.bits[f] &^= 1 << (b & slotMask)
	}
}

// word returns bit set f's word w (slots [64w, 64w+64)).
func (s *slots) word(f int, w int32) *uint64 {
	return &s.page(w >> (pageShift - groupShift))[w&groupMask].bits[f]
}

// clearBits clears bit set f's bits [lo, hi).
func (s *slots) clearBits(f int, lo, hi int32) {
	for lo < hi {
		off := lo & slotMask
		k := min(hi-lo, groupSlots-off)
		*s.word(f, lo>>groupShift) &^= (1<<k - 1) << off
		lo += k
	}
}

// setBits sets bit set f's bits [lo, hi).
func (s *slots) setBits(f int, lo, hi int32) {
	for lo < hi {
		off := lo & slotMask
		k := min(hi-lo, groupSlots-off)
		*s.word(f, lo>>groupShift) |= (1<<k - 1) << off
		lo += k
	}
}

// setSt sets the states of slots [lo, hi) to v.
func (s *slots) setSt(lo, hi, v int32) {
	for lo < hi {
		g, off := s.grp(lo), lo&slotMask
		k := min(hi-lo, groupSlots-off)
		st := g.st[off : off+k]
		for i := range st {
			st[i] = v
		}
		lo += k
	}
}

// grow materialises slots up to n, allocating pages as needed (zeroed).
func (s *slots) grow(n int32) {
	for ; s.np<<pageShift < n; s.np++ {
		if p := new(page); s.np < inlinePages {
			s.first[s.np] = p
		} else {
			s.more = append(s.more, p)
		}
	}
	s.n = n
}

// reset dematerialises every slot, zeroing the pages (kept for reuse).
func (s *slots) reset() {
	for p := range s.np {
		*s.page(p) = page{}
	}
	s.n = 0
}

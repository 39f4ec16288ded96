package kvcache

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"
)

// refCache is a deliberately naive model of Cache: maps and slices, linear
// searches, a hash table over every block, one LRU entry per block. It
// follows the same documented policy (free blocks first, then the LRU head;
// release pushes a sequence's blocks tail first; Publish moves a hash to the
// newest block), so hits, the LRU order of the hashes, each sequence's
// hashes, the counts and the hook and tier calls must come out exactly as
// Cache's. Which slot holds a block is not observable and not compared, nor
// the order of Reset's onEvict calls (a set, compared sorted).
type refCache struct {
	capacity, bt int
	nblk         int // blocks materialised
	hash         map[int32]uint64
	hashed       map[int32]bool
	ref          map[int32]int
	tab          map[uint64]int32
	lru          []int32 // head (evicted first) to tail
	free         []int32 // stack
	reserved     []int32
	used         int
	evictions    uint64
	tier         *Tier
	log          []string // hook calls
}

type refSeq struct {
	blocks []int32
	tokens int
	live   bool
}

func newRefCache(capacity, bt int) *refCache {
	return &refCache{capacity: capacity, bt: bt, hash: map[int32]uint64{}, hashed: map[int32]bool{},
		ref: map[int32]int{}, tab: map[uint64]int32{}}
}

func (m *refCache) blocksFor(tokens int) int {
	if tokens <= 0 {
		return 0
	}
	return (tokens + m.bt - 1) / m.bt
}

func (m *refCache) freeBlocks() int { return m.capacity - m.used }

func (m *refCache) inLRU(b int32) bool { return slices.Contains(m.lru, b) }

func (m *refCache) lruRemove(b int32) {
	i := slices.Index(m.lru, b)
	m.lru = slices.Delete(m.lru, i, i+1)
}

func (m *refCache) unhash(b int32) {
	h := m.hash[b]
	delete(m.tab, h)
	m.hashed[b] = false
	m.log = append(m.log, fmt.Sprintf("evict %x", h))
	if m.tier != nil {
		m.tier.Put(h)
	}
}

func (m *refCache) alloc() int32 {
	if n := len(m.free); n > 0 {
		b := m.free[n-1]
		m.free = m.free[:n-1]
		return b
	}
	if m.nblk < m.capacity {
		m.nblk++
		return int32(m.nblk - 1)
	}
	b := m.lru[0]
	m.lru = m.lru[1:]
	m.evictions++
	m.unhash(b)
	return b
}

func (m *refCache) admit(hashes []uint64, tokens int) (*refSeq, int, int, bool) {
	need := m.blocksFor(tokens)
	if need > m.capacity {
		return nil, 0, 0, false
	}
	limit := min(len(hashes), need)
	var hits []int32
	for len(hits) < limit {
		b, ok := m.tab[hashes[len(hits)]]
		if !ok {
			break
		}
		hits = append(hits, b)
	}
	idle := map[int32]bool{}
	for _, b := range hits {
		if m.inLRU(b) {
			idle[b] = true
		}
	}
	hit := len(hits)
	if need-hit > m.freeBlocks()-len(idle) {
		return nil, 0, 0, false
	}
	tier := 0
	if m.tier != nil {
		tier = m.tier.prefix(hashes[hit:limit])
		m.tier.touch(hashes[hit : hit+tier])
	}
	s := &refSeq{tokens: max(tokens, 0), live: true}
	for _, b := range hits {
		if m.inLRU(b) {
			m.lruRemove(b)
			m.used++
		}
		m.ref[b]++
		s.blocks = append(s.blocks, b)
	}
	for range need - hit {
		b := m.alloc()
		m.ref[b] = 1
		m.used++
		s.blocks = append(s.blocks, b)
	}
	return s, hit, tier, true
}

func (m *refCache) grow(s *refSeq, tokens int) bool {
	if !s.live {
		return false
	}
	add := m.blocksFor(tokens) - len(s.blocks)
	if add > m.freeBlocks() {
		return false
	}
	for range add {
		b := m.alloc()
		m.ref[b] = 1
		m.used++
		s.blocks = append(s.blocks, b)
	}
	s.tokens = max(s.tokens, tokens)
	return true
}

func (m *refCache) publish(s *refSeq, hashes []uint64) {
	if !s.live {
		return
	}
	for i := range min(len(hashes), len(s.blocks)) {
		b, h := s.blocks[i], hashes[i]
		if m.hashed[b] {
			if m.hash[b] == h {
				continue
			}
			m.unhash(b)
		}
		m.hash[b], m.hashed[b] = h, true
		if other, ok := m.tab[h]; ok {
			m.hashed[other] = false
			if m.inLRU(other) {
				m.lruRemove(other)
				m.free = append(m.free, other)
			}
		} else {
			m.log = append(m.log, fmt.Sprintf("insert %x", h))
		}
		m.tab[h] = b
	}
}

func (m *refCache) release(s *refSeq) {
	if !s.live {
		return
	}
	for i := len(s.blocks) - 1; i >= 0; i-- {
		b := s.blocks[i]
		if m.ref[b]--; m.ref[b] > 0 {
			continue
		}
		m.used--
		if m.hashed[b] {
			m.lru = append(m.lru, b)
		} else {
			m.free = append(m.free, b)
		}
	}
	s.live = false
}

func (m *refCache) reset(live []*refSeq) {
	for b := range int32(m.nblk) {
		if m.hashed[b] {
			m.log = append(m.log, fmt.Sprintf("evict %x", m.hash[b]))
		}
	}
	fresh := newRefCache(m.capacity, m.bt)
	fresh.tier, fresh.log, fresh.evictions = m.tier, m.log, m.evictions
	*m = *fresh
	for _, s := range live {
		s.live = false
	}
}

func (m *refCache) reserve(n int) bool {
	if n <= 0 {
		return n == 0
	}
	if n > m.freeBlocks() {
		return false
	}
	for range n {
		b := m.alloc()
		m.ref[b] = 1
		m.reserved = append(m.reserved, b)
	}
	m.used += n
	return true
}

func (m *refCache) unreserve(n int) {
	n = min(n, len(m.reserved))
	for range n {
		b := m.reserved[len(m.reserved)-1]
		m.reserved = m.reserved[:len(m.reserved)-1]
		m.ref[b] = 0
		m.free = append(m.free, b)
	}
	m.used -= n
}

// FuzzCacheModel runs a random program on a Cache and on refCache and
// requires identical observable behaviour after every operation.
func FuzzCacheModel(f *testing.F) {
	f.Add([]byte{5, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15})
	f.Add([]byte{40, 0, 9, 0, 9, 2, 0, 2, 1, 3, 0, 0, 9, 2, 1, 6, 3, 3, 0, 8, 1, 9, 2})
	f.Add([]byte{33, 0, 40, 2, 0, 0, 40, 2, 1, 1, 90, 3, 0, 5, 0, 7, 0, 3, 1})
	f.Fuzz(modelOps)
}

// TestCacheModelRandom runs modelOps on seeded random programs.
func TestCacheModelRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(21, 22))
	for range 600 {
		data := make([]byte, 1+rng.IntN(600))
		for i := range data {
			data[i] = byte(rng.Uint32())
		}
		modelOps(t, data)
	}
}

func modelOps(t *testing.T, data []byte) {
	if len(data) == 0 {
		return
	}
	const bt = 4
	capacity := int(data[0] % 64)
	c, m := New(capacity, bt), newRefCache(capacity, bt)
	var ct *Tier
	if data[0]&1 == 1 {
		ct, m.tier = NewTier(int(data[0]%9)), NewTier(int(data[0]%9))
		c.SetTier(ct)
	}
	// The hooks also keep an index, wired as the simulator wires it (with
	// the touch hook, which must change nothing).
	var log []string
	x := NewIndex()
	c.SetHooks(func(h uint64) { log = append(log, fmt.Sprintf("insert %x", h)); x.Add(h, 3) },
		func(h uint64) { log = append(log, fmt.Sprintf("evict %x", h)); x.Remove(h, 3) })
	c.SetTouchHook(func(hs []uint64) { x.Touch(hs, 1) })
	var live []running
	for i := 1; i+1 < len(data); i += 2 {
		op, arg := data[i]%10, data[i+1]
		pick := func() int { return int(arg) % len(live) }
		switch op {
		case 0, 1, 2: // admit: chained prompts over a few content ids (shared prefixes), or one block per content id over two ids (a prefix tree branching at every block)
			var h []uint64
			tokens := 0
			if op < 2 {
				p := []Span{{ID: uint64(arg % 3), Tokens: int32(arg%7) * bt}, {ID: uint64(arg % 5), Tokens: int32(arg % 13)}}
				h = HashPrompt(p, bt, nil)
				tokens = int(p[0].Tokens+p[1].Tokens) + int(op)*int(arg%9)
			} else {
				h = blockChain(arg&1, arg>>1&1, arg>>2&1, arg>>3&1)
				tokens = int(arg % 20)
			}
			a, ok := c.Admit(h, tokens)
			r, hit, tier, rok := m.admit(h, tokens)
			require.Equal(t, rok, ok, "admit ok at byte %d", i)
			if ok {
				require.Equal(t, hit, a.HitBlocks, "hit blocks at byte %d", i)
				require.Equal(t, tier, a.TierBlocks, "tier blocks at byte %d", i)
				live = append(live, running{a.Seq, r, h})
			}
		case 3, 4: // publish, sometimes a prefix, sometimes other hashes (re-published content)
			if len(live) > 0 {
				x := live[pick()]
				h := x.h[:min(len(x.h), int(arg%5))]
				if op == 4 && arg&1 == 1 { // other content over the first blocks
					h = blockChain(10+uint8(arg%6), uint8(arg%5))
				}
				c.Publish(x.s, h)
				m.publish(x.r, h)
			}
		case 5: // grow
			if len(live) > 0 {
				x := live[pick()]
				want := x.r.tokens + int(arg%9)
				require.Equal(t, m.grow(x.r, want), c.Grow(x.s, want))
			}
		case 6, 7: // release
			if len(live) > 0 {
				j := pick()
				c.Release(live[j].s)
				m.release(live[j].r)
				live = append(live[:j], live[j+1:]...)
			}
		case 8:
			if arg%2 == 0 {
				require.Equal(t, m.reserve(int(arg%7)), c.Reserve(int(arg%7)))
			} else {
				c.Unreserve(int(arg % 5))
				m.unreserve(int(arg % 5))
			}
		case 9:
			if arg%16 == 0 {
				n := len(log)
				c.Reset()
				var rs []*refSeq
				for _, x := range live {
					rs = append(rs, x.r)
				}
				m.reset(rs)
				live = live[:0]
				slices.Sort(log[n:])
				slices.Sort(m.log[n:])
			}
		}
		require.Equal(t, m.log, log, "hook calls after op %d at byte %d", op, i)
		require.Equal(t, m.freeBlocks(), c.Free())
		require.Equal(t, m.used, c.Used())
		require.Equal(t, len(m.tab), c.Cached())
		require.Equal(t, len(m.tab), x.Len())
		require.Equal(t, len(m.reserved), c.Reserved())
		require.Equal(t, m.evictions, c.Evictions())
		lru := []uint64{}
		for _, b := range m.lru {
			lru = append(lru, m.hash[b])
		}
		require.Equal(t, lru, lruHashes(c), "LRU order after op %d at byte %d", op, i)
		for _, x := range live {
			require.Equal(t, m.seqHashes(x.r), c.seqHashes(x.s), "a sequence's blocks after op %d at byte %d", op, i)
		}
		require.NoError(t, checkInvariants(c, seqsOf(live)), "after op %d at byte %d", op, i)
		if ct != nil {
			require.Equal(t, m.tier.Len(), ct.Len())
			require.Equal(t, m.tier.Writes(), ct.Writes())
		}
	}
}

type running struct {
	s *Seq
	r *refSeq
	h []uint64
}

func seqsOf(live []running) []*Seq {
	out := make([]*Seq, len(live))
	for i, x := range live {
		out[i] = x.s
	}
	return out
}

// blockChain is the hash chain of a prompt of one block per content id.
func blockChain(ids ...uint8) []uint64 {
	var p []Span
	for _, id := range ids {
		p = append(p, Span{ID: uint64(id), Tokens: 4})
	}
	return HashPrompt(p, 4, nil)
}

// seqHashes lists a sequence's blocks as their hashes, 0 for an unhashed
// block, with its pin count: what a sequence holds, whatever the slots.
func (m *refCache) seqHashes(s *refSeq) []string {
	out := []string{}
	for _, b := range s.blocks {
		h := uint64(0)
		if m.hashed[b] {
			h = m.hash[b]
		}
		out = append(out, fmt.Sprintf("%x/%d", h, m.ref[b]))
	}
	return out
}

func (c *Cache) seqHashes(s *Seq) []string {
	out := []string{}
	for _, b := range s.slots() {
		h := uint64(0)
		if c.sl.bit(bHashed, b) {
			h = c.sl.hash(b)
		}
		out = append(out, fmt.Sprintf("%x/%d", h, c.sl.grp(b).st[b&slotMask]))
	}
	return out
}

package kvcache

// Accessors that only tests use: they inspect a cache, an index or a tier
// without changing it (or empty a tier). Kept here, beside the tests, so
// the package's product code holds only what the simulator calls.

// Tokens returns the token count the sequence's blocks were last sized for.
func (s *Seq) Tokens() int { return int(s.tokens) }

// BlockTokens returns the tokens per KV block.
func (c *Cache) BlockTokens() int { return c.blockTokens }

// Evictable returns the hashed blocks no sequence pins (the LRU list).
func (c *Cache) Evictable() int { return c.nLRU }

// Evictions returns how many cached blocks have been evicted since New.
func (c *Cache) Evictions() uint64 { return c.evictions }

// Contains reports whether hash is resident in this cache. It scans every
// slot, so that it holds whatever the hashes (chained or not).
func (c *Cache) Contains(hash uint64) bool {
	return c.slotOf(hash) >= 0
}

// slotOf returns the slot holding hash, or -1, by a scan.
func (c *Cache) slotOf(hash uint64) int32 {
	for b := range c.sl.n {
		if c.sl.hash(b) == hash && c.sl.bit(bHashed, b) {
			return b
		}
	}
	return -1
}

// slots lists the slots s holds, in order.
func (s *Seq) slots() []int32 {
	var out []int32
	for _, sp := range s.spans {
		for b := sp.lo; b < sp.lo+sp.n; b++ {
			out = append(out, b)
		}
	}
	return out
}

// Match returns how many leading hashes are cached here (hit) and how many
// further ones follow in the second tier (tier). It changes no state.
func (c *Cache) Match(hashes []uint64) (hit, tier int) {
	for prev := int32(-1); hit < len(hashes); hit++ {
		b, ok := c.lookup(prev, hashes[hit])
		if !ok {
			break
		}
		prev = b
	}
	if c.tier != nil {
		tier = c.tier.prefix(hashes[hit:])
	}
	return hit, tier
}

// Len returns the number of distinct hashes held anywhere.
func (x *Index) Len() int { return x.one.n }

// Len returns the number of blocks held.
func (t *Tier) Len() int { return t.tab.n }

// Writes returns how many Put calls stored or refreshed a block.
func (t *Tier) Writes() uint64 { return t.writes }

// Drops returns how many blocks were replaced to make room.
func (t *Tier) Drops() uint64 { return t.drops }

// Contains reports whether hash is held. It changes no LRU state.
func (t *Tier) Contains(hash uint64) bool {
	_, ok := t.tab.get(hash)
	return ok
}

// Reset empties the tier (its pool lost its store).
func (t *Tier) Reset() {
	t.tab.clear()
	t.hash, t.prev, t.next = t.hash[:0], t.prev[:0], t.next[:0]
	t.head, t.tail = nilBlock, nilBlock
}

// clear empties the table, keeping its storage.
func (t *table) clear() {
	for i := range t.slots {
		t.slots[i].val = -1
	}
	t.n = 0
}

// Test-only queries of the Index (routing reads it through a Lookup).

// replicas returns how many instances hold hash.
func (x *Index) replicas(hash uint64) int {
	v, ok := x.one.get(hash)
	switch {
	case !ok:
		return 0
	case v >= multiBase:
		return int(x.multi[v-multiBase].count)
	}
	return 1
}

// holders returns the sorted listed instances holding hash.
func (x *Index) holders(hash uint64) []int32 {
	v, ok := x.one.get(hash)
	switch {
	case !ok:
		return nil
	case v >= multiBase:
		return x.multi[v-multiBase].list
	}
	return []int32{v}
}

// has reports whether inst holds hash.
func (x *Index) has(hash uint64, inst int32) bool {
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

// depth is one candidate's search of Depths, alone: the reference the
// lockstep searches must agree with.
func (x *Index) depth(l *Lookup, inst int32) int {
	lo, hi := 0, len(l.hashes) // inst holds hashes[:lo]; not hashes[hi-1]'s successor
	for lo < hi {
		mid := (lo + hi + 1) / 2
		if x.holds(l, mid-1, inst) {
			lo = mid
		} else {
			hi = mid - 1
		}
	}
	return lo
}

// depthOf is Depths for one instance over a Lookup of hashes.
func (x *Index) depthOf(hashes []uint64, inst int32) int {
	var l Lookup
	x.Load(&l, hashes)
	d := []int{0}
	x.Depths(&l, []int32{inst}, d)
	return d[0]
}

// deepestOf is Deepest over a Lookup of hashes.
func (x *Index) deepestOf(hashes []uint64) (int, []int32) {
	var l Lookup
	x.Load(&l, hashes)
	return x.Deepest(&l)
}

// slotHashes copies every materialised slot's hash.
func slotHashes(c *Cache) []uint64 {
	out := make([]uint64, c.sl.n)
	for b := range c.sl.n {
		out[b] = c.sl.hash(b)
	}
	return out
}

// slotStates copies every materialised slot's state.
func slotStates(c *Cache) []int32 {
	out := make([]int32, c.sl.n)
	for b := range c.sl.n {
		out[b] = c.sl.grp(b).st[b&slotMask]
	}
	return out
}

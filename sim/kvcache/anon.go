package kvcache

// Anonymous caches: an instance that never publishes (a decode instance
// without prefix caching, as Mooncake's decode pool) needs block counts
// only. With no hashed block there is nothing to hit, order, evict or
// index, and which slot holds a block is never observable, so Admit,
// Grow and Release reduce to counting: O(1) per call instead of O(blocks),
// and the per-slot arrays are never materialised. Every result (hits,
// free and used counts, Seq.Blocks, Reserve's answers) is what the full
// machinery gives for the same calls (TestAnonymousMatchesFull).

// SetAnonymous makes c count its blocks without placing them: for a cache
// that is never asked to Publish (Publish then panics, as the engine bug it
// would be). Call it on a new, empty cache.
func (c *Cache) SetAnonymous() {
	if c.used != 0 || c.sl.n != 0 {
		panic("kvcache: SetAnonymous on a cache in use")
	}
	c.anon = true
}

// admitAnon is Admit on an anonymous cache: no block is ever hashed, so
// the hit prefix is empty and the tier (if any) is asked from the first
// block, as Admit does after a miss.
func (c *Cache) admitAnon(hashes []uint64, tokens, need int) (Admission, bool) {
	if need > c.Free() {
		return Admission{}, false
	}
	tier := 0
	if c.tier != nil {
		tier = c.tier.prefix(hashes[:min(len(hashes), need)])
		c.tier.touch(hashes[:tier])
	}
	s := c.newSeq()
	s.tokens = tokens32(tokens)
	s.n = int32(need)
	c.used += need
	return Admission{Seq: s, TierBlocks: tier}, true
}

// growAnon is Grow's allocation on an anonymous cache (callers checked
// Free()).
func (c *Cache) growAnon(s *Seq, add int) {
	if add > 0 {
		c.used += add
		s.n += int32(add)
	}
}

// releaseAnon is Release on an anonymous cache: every block is s's alone
// (nothing is shared without hits) and unhashed, so all of them are free.
func (c *Cache) releaseAnon(s *Seq) {
	c.used -= int(s.n)
	c.seqs.put(s)
}

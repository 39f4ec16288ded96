package kvcache

// SeqPool recycles released Seqs for later Admits. By default each cache
// has its own; caches that share one (SetSeqPool) hand an Admit the Seq
// released most recently by any of them. At platform scale (10,000 caches)
// a cache's own pool returned a Seq last touched when that cache last
// released one, long out of the CPU caches: the pool's top entry and the
// Seq's line were two cold misses per Admit (newSeq, 3.4 s flat of a
// 120 s profile of platform-hour's first 20 minutes); the shared pool's top
// is the Seq some cache released a few events ago, still cached.
//
// A SeqPool is not safe for concurrent use: share it only among caches
// driven by one goroutine (one simulation's fleet).
type SeqPool struct{ free []*Seq }

// NewSeqPool returns an empty pool.
func NewSeqPool() *SeqPool { return &SeqPool{} }

// SetSeqPool makes c take its Seqs from p and return them there on
// Release. Call it on a new, empty cache.
func (c *Cache) SetSeqPool(p *SeqPool) {
	if c.used != 0 {
		panic("kvcache: SetSeqPool on a cache in use")
	}
	c.seqs = p
}

// get returns an empty Seq owned by nobody: the last one put, or a new one.
func (p *SeqPool) get() *Seq {
	var s *Seq
	if n := len(p.free); n > 0 {
		s = p.free[n-1]
		p.free = p.free[:n-1]
	} else {
		s = new(Seq)
	}
	if cap(s.spans) <= len(s.inl) {
		s.spans = s.inl[:0] // a new Seq, or one whose spans never outgrew inl
	}
	s.spans, s.n, s.pub = s.spans[:0], 0, 0
	return s
}

// put takes back a released Seq: no cache accepts it any more, and it
// holds no block.
func (p *SeqPool) put(s *Seq) {
	s.spans, s.n, s.owner = s.spans[:0], 0, nil
	p.free = append(p.free, s)
}

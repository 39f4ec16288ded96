package sim

import (
	"math"
	"slices"

	"github.com/fleetbench/fleetbench/sim/kvcache"
)

// router picks an instance of one pool for a sequence. Every policy costs
// O(1) or O(k) per request, never O(pool size), except on pools no larger
// than PowerOfK (scanned whole): round-robin; least-loaded samples k
// instances (power-of-k choices); cache-aware asks the pool's prefix index
// for the instances holding the longest prefix and adds k random ones for
// load, passing over any carrying more than loadBound times their mean
// load; session pins an agent session to its first instance.
type router struct {
	policy   string
	pool     *pool
	k        int
	rr       int
	affinity map[uint64]int32 // session policy: task id -> instance
	cands    []*instance
	sampled  []uint64 // the prompt's hashes the index records (IndexEvery)
	pos      []int    // their block positions
	look     kvcache.Lookup
	depth    []int   // the candidates' cached blocks (by the sampled depth)
	ids      []int32 // the candidates' instance ids
	// hit is the prompt tokens the last cache-aware pick found cached on
	// the instance it chose (0 for other picks): the chosen instance does
	// not count them as queued work (seqState.expectHit).
	hit int
}

func newRouter(policy string, p *pool, cfg Config) *router {
	r := &router{policy: policy, pool: p, k: cfg.PowerOfK}
	if policy == "session" {
		r.affinity = map[uint64]int32{}
	}
	return r
}

func (r *router) pick(e *engine, s *seqState) *instance {
	insts := r.pool.live
	r.hit = 0
	switch len(insts) {
	case 0:
		return nil // nothing serving (autoscaled down, failed): the caller parks the request
	case 1:
		return insts[0]
	}
	switch r.policy {
	case "round-robin":
		in := insts[r.rr%len(insts)]
		r.rr++
		return in
	case "least-loaded":
		r.sample(e)
		return r.leastLoaded()
	case "session":
		if s.req.Task != nil {
			if i, ok := r.affinity[s.req.TaskID]; ok && e.fleet.instances[i].state == stUp {
				return e.fleet.instances[i]
			}
			in := r.cacheAware(e, s)
			r.affinity[s.req.TaskID] = in.idx
			return in
		}
		return r.cacheAware(e, s)
	default: // cache-aware
		return r.cacheAware(e, s)
	}
}

// forget drops a finished session's affinity.
func (r *router) forget(taskID uint64) {
	if r.affinity != nil {
		delete(r.affinity, taskID)
	}
}

// sample fills r.cands with k distinct random instances, or all of them
// when the pool is small.
func (r *router) sample(e *engine) {
	insts := r.pool.live
	r.cands = r.cands[:0]
	if len(insts) <= r.k {
		r.cands = append(r.cands, insts...)
		return
	}
	// With every instance up, live is the whole slab in order: the
	// candidate's address is computed, not read from live (a cold line
	// at thousands of instances: 0.9 s of the platform-hour 20-minute
	// cut's ~100 s loop).
	all := len(insts) == len(r.pool.slab)
	for len(r.cands) < r.k {
		j := e.rng.IntN(len(insts))
		var in *instance
		if all {
			in = &r.pool.slab[j]
		} else {
			in = insts[j]
		}
		dup := false
		for _, c := range r.cands {
			dup = dup || c == in
		}
		if !dup {
			r.cands = append(r.cands, in)
		}
	}
}

func (r *router) leastLoaded() *instance {
	best := r.cands[0]
	for _, c := range r.cands[1:] {
		if c.load() < best.load() || c.load() == best.load() && c.idx < best.idx {
			best = c
		}
	}
	return best
}

// loadBound caps a cache-aware pick's load on a pool that decodes: a
// candidate with more than loadBound times the k random candidates' mean
// sequences in flight (plus one) is passed over, however much of the
// prompt it holds, unless every candidate is. A prefill-only pool has no
// decode batch; its queued prefill work is its whole load, and the cost
// already counts it. Without it, sessions sharing a long system prompt herded
// onto the first instances that cached it (an instance without it cost the
// whole prefix, so it stayed idle for the rest of a run) and TPOT, which
// the prefill-work estimate does not see, bound on the hot ones. This is
// consistent hashing with bounded loads (Mirrokni, Thorup, Zadimoghaddam
// 2018), the rule SGLang's cache-aware router applies with its balance
// thresholds and llm-d's scheduler with its queue and KV-usage scorers;
// 1.25 is that paper's usual 1+epsilon.
const loadBound = 1.25

// cacheAware estimates, for each candidate, the prompt tokens it would
// still have to compute before this request's first token: its queued
// prefill work (the uncached part of each queued prompt) plus the part of
// this prompt it does not hold (Mooncake's conductor and llm-d's prefix
// scorer trade the same two terms), among candidates within loadBound. On
// the decode side the uncached part is what the link must move.
//
// Candidates are bounded whatever the fleet size: up to deepK holders of
// the longest cached prefix anywhere (found by binary search over the
// prompt's sampled block hashes in the prefix index) plus k random ones
// for load; each candidate's overlap is another binary search. A prefix
// every instance holds (a popular system prompt) costs no more than a
// unique one.
func (r *router) cacheAware(e *engine, s *seqState) *instance {
	const deepK = 4
	r.sample(e)
	if e.loadAheadOn {
		for _, in := range r.cands {
			in.loadHead()
		}
	}
	bs := e.cfg.BlockTokens
	idx := r.pool.prefix
	r.sampled, r.pos = r.sampled[:0], r.pos[:0]
	if idx != nil {
		every := uint64(e.cfg.IndexEvery)
		if mask := every - 1; every&mask == 0 { // a mask, not a 64-bit division per hash
			for i, h := range s.hashes {
				if h&mask == 0 {
					r.sampled = append(r.sampled, h)
					r.pos = append(r.pos, i)
				}
			}
		} else {
			for i, h := range s.hashes {
				if h%every == 0 {
					r.sampled = append(r.sampled, h)
					r.pos = append(r.pos, i)
				}
			}
		}
	}
	// blocks converts a sampled depth n into the blocks certainly held.
	blocks := func(n int) int {
		if n == 0 {
			return 0
		}
		return r.pos[n-1] + 1
	}
	inflight := 0
	for _, in := range r.cands {
		inflight += in.inflight()
	}
	bound := int(loadBound*float64(inflight)/float64(len(r.cands))) + 1
	if r.pool.spec.Role == RolePrefill {
		bound = math.MaxInt // no decode batch: queued prefill work is its whole load
	}
	var best *instance
	var bestCost int64
	consider := func(in *instance, hitBlocks int) {
		if in.inflight() > bound {
			return
		}
		hit := min(hitBlocks*bs, s.prefillTarget)
		cost := in.load() + int64(s.prefillTarget-hit)
		if best == nil || cost < bestCost || cost == bestCost && in.idx < best.idx {
			best, bestCost, r.hit = in, cost, hit
		}
	}
	if len(r.sampled) > 0 {
		// One read of the fleet-wide table per sampled hash, shared by
		// the search for the deepest holders and every candidate's depth.
		idx.Load(&r.look, r.sampled)
		if n, holders := idx.Deepest(&r.look); n > 0 {
			// Up to deepK holders, from a random offset so that a prefix
			// held everywhere does not always favour the lowest ids.
			start := 0
			if len(holders) > deepK {
				start = e.rng.IntN(len(holders))
			}
			for i := 0; i < min(deepK, len(holders)); i++ {
				in := e.fleet.inst(holders[(start+i)%len(holders)])
				if in.state == stUp {
					consider(in, blocks(n))
				}
			}
		}
	}
	r.depth = slices.Grow(r.depth[:0], len(r.cands))[:len(r.cands)]
	if len(r.sampled) > 0 {
		r.ids = r.ids[:0]
		for _, in := range r.cands {
			r.ids = append(r.ids, in.idx)
		}
		idx.Depths(&r.look, r.ids, r.depth) // all candidates' searches in lockstep
		for i, n := range r.depth {
			r.depth[i] = blocks(n)
		}
	} else {
		clear(r.depth)
	}
	random := func() {
		for i, in := range r.cands {
			consider(in, r.depth[i])
		}
	}
	random()
	if best == nil { // every candidate is over the bound: the cheapest
		bound = math.MaxInt
		random()
	}
	return best
}

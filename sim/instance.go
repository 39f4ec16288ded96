package sim

import (
	"github.com/fleetbench/fleetbench/sim/kvcache"
	"github.com/fleetbench/fleetbench/sim/perf"
)

// instance is one vLLM-like serving instance: continuous batching with a
// per-step token budget, chunked prefill, paged KV blocks with a prefix
// cache, FIFO admission and preemption by recompute.
type instance struct {
	idx   int32
	pool  *pool
	model *perf.Model
	cache *kvcache.Cache
	link  *link // inbound KV link (decode instances in disaggregated mode)

	waiting  deque       // not yet admitted (no KV blocks)
	running  []*seqState // admitted, in admission order: prefilling or decoding
	xfers    deque       // decode side: waiting for KV space to start a transfer
	incoming int         // transfers in flight towards this instance

	busy      bool
	gen       uint32 // bumps invalidate a scheduled step event
	stepStart int64
	span      int     // steps in the current unit of work
	spanEnds  []int64 // absolute end time of each step of the span
	mixed     bool    // the current step carries prefill chunks

	pendingTokens int64 // prompt tokens waiting or prefilling, not yet computed (routing load)
	classCount    []int64
}

// load is the least-loaded policies' measure: queued prompt work first,
// then sequences in flight.
func (in *instance) load() int64 {
	return in.pendingTokens + int64(len(in.running)+in.waiting.len()+in.xfers.len()+in.incoming)*16
}

// enqueue adds a newly routed sequence to the waiting queue.
func (in *instance) enqueue(e *engine, s *seqState) {
	s.inst = in
	in.pendingTokens += int64(s.prefillTarget - s.computed)
	in.waiting.pushBack(s)
	in.kick(e)
}

// kick makes the instance notice new work: start a step when idle, or cut
// a running decode span short at the end of its current step.
func (in *instance) kick(e *engine) {
	if !in.busy {
		in.schedule(e)
		return
	}
	if in.mixed || in.span <= 1 {
		return // a single step: the new work joins at its end anyway
	}
	// First step of the span still running at e.now.
	i := 0
	for i < in.span-1 && in.spanEnds[i] < e.now {
		i++
	}
	if i+1 < in.span {
		in.span = i + 1
		in.gen++
		e.q.push(event{at: in.spanEnds[i], kind: evStep, idx: in.idx, gen: in.gen})
	}
}

// schedule forms the next batch and schedules its end. It is called only
// when the instance is idle.
func (in *instance) schedule(e *engine) {
	bs := e.cfg.BlockTokens
	// Every decoding sequence needs a KV slot for the token it consumes;
	// when memory runs out, preempt the newest sequence (recompute) and
	// retry, as vLLM does.
	nDecode := 0
	var decodeCtx int64
retry:
	nDecode, decodeCtx = 0, 0
	for _, s := range in.running {
		if !s.decoding() {
			continue
		}
		if !in.cache.Grow(s.kv, s.kvTokens()) {
			in.preempt(e, in.running[len(in.running)-1])
			goto retry
		}
		nDecode++
		decodeCtx += int64(s.kvTokens())
	}

	// Prefill: continue partial prefills, then admit from the queue.
	budget := e.cfg.MaxBatchTokens - nDecode
	var prefillTokens int
	var prefillAttn int64
	var tierBytes float64
	for _, s := range in.running {
		if budget <= 0 {
			break
		}
		if s.decoding() {
			continue
		}
		c := min(budget, s.prefillTarget-s.computed)
		s.chunk = c
		budget -= c
		prefillTokens += c
		prefillAttn += attn(s.computed, c)
	}
	for budget > 0 && in.waiting.len() > 0 && len(in.running) < e.cfg.MaxSeqs {
		s := in.waiting.front()
		adm, ok := in.cache.Admit(s.hashes, s.prefillTarget)
		if !ok {
			if len(in.running) == 0 && in.cache.Free() == in.cache.Capacity() {
				// Even an empty instance cannot hold this prompt.
				in.waiting.popFront()
				in.pendingTokens -= int64(s.prefillTarget - s.computed)
				e.finish(s, "too_long")
				continue
			}
			break
		}
		in.waiting.popFront()
		s.kv = adm.Seq
		e.admitCounter++
		s.admitSeq = e.admitCounter
		// The cache truth is reported; compute still runs at least the
		// last prompt token to produce logits (as vLLM does on a full hit).
		cached := min((adm.HitBlocks+adm.TierBlocks)*bs, s.prefillTarget)
		hit := min(cached, s.prefillTarget-1)
		if !s.started {
			e.cachedTokens += int64(cached)
			e.promptTokens += int64(s.prefillTarget)
			s.rec.CachedTokens = cached
			s.rec.QueueNs = e.now - s.rec.Sent
			s.started = true
		}
		tierBytes += float64(adm.TierBlocks*bs) * float64(in.model.KVBytesPerToken())
		in.pendingTokens -= int64(hit - s.computed)
		s.computed = hit
		in.running = append(in.running, s)
		c := min(budget, s.prefillTarget-s.computed)
		s.chunk = c
		budget -= c
		prefillTokens += c
		prefillAttn += attn(s.computed, c)
	}

	switch {
	case prefillTokens > 0:
		dur := in.model.StepTime(perf.Step{PrefillTokens: prefillTokens, PrefillAttn: prefillAttn, DecodeSeqs: nDecode, DecodeCtx: decodeCtx})
		if tierBytes > 0 {
			dur += int64(tierBytes / e.cfg.TierBandwidth * 1e9)
		}
		dur = max(dur, 1)
		in.begin(e, 1, true)
		in.spanEnds = append(in.spanEnds[:0], e.now+dur)
		in.pool.busyNs += dur
		// Colocated steps mix classes: charge each its share of the tokens.
		total := float64(prefillTokens + nDecode)
		for _, s := range in.running {
			if s.chunk > 0 {
				in.pool.charge(s.classIdx, float64(dur)*float64(s.chunk)/total)
			} else if s.decoding() {
				in.pool.charge(s.classIdx, float64(dur)/total)
			}
		}
	case nDecode > 0:
		in.planSpan(e, nDecode, decodeCtx)
	default:
		return // idle
	}
	e.q.push(event{at: in.spanEnds[in.span-1], kind: evStep, idx: in.idx, gen: in.gen})
}

func (in *instance) begin(e *engine, span int, mixed bool) {
	in.busy = true
	in.gen++
	in.stepStart = e.now
	in.span = span
	in.mixed = mixed
	e.stats.Spans++
}

// planSpan schedules k pure-decode steps as one event. Between
// batch-changing events (a completion, an arrival, a transfer landing) the
// batch is fixed and each step's time is a function of the growing
// context, so the span's step boundaries are computed exactly here; an
// arrival cuts the span at the end of its current step (kick). KV blocks
// for the whole span are reserved up front, so the span cannot run out
// of memory midway; MaxSpanSteps bounds how early that reservation evicts
// cached blocks.
func (in *instance) planSpan(e *engine, n int, ctx0 int64) {
	kmax := e.cfg.MaxSpanSteps
	for _, s := range in.running {
		kmax = min(kmax, s.target-s.generated)
	}
	free := in.cache.Free()
	need := func(k int) int {
		total := 0
		for _, s := range in.running {
			t := s.kvTokens()
			total += in.cache.BlocksFor(t+k-1) - in.cache.BlocksFor(t)
		}
		return total
	}
	if need(kmax) > free {
		lo, hi := 1, kmax // need(1) == 0: the first step always fits
		for lo < hi {
			mid := (lo + hi + 1) / 2
			if need(mid) <= free {
				lo = mid
			} else {
				hi = mid - 1
			}
		}
		kmax = lo
	}
	for _, s := range in.running {
		in.cache.Grow(s.kv, s.kvTokens()+kmax-1)
	}
	in.begin(e, kmax, false)
	in.spanEnds = in.spanEnds[:0]
	t := e.now
	for i := 0; i < kmax; i++ {
		t += max(in.model.StepTime(perf.Step{DecodeSeqs: n, DecodeCtx: ctx0 + int64(i*n)}), 1)
		in.spanEnds = append(in.spanEnds, t)
	}
	e.stats.Steps += uint64(kmax) - 1 // stepDone counts one
}

// stepDone applies the finished step or span to every sequence.
func (in *instance) stepDone(e *engine) {
	in.busy = false
	e.stats.Steps++
	end := e.now
	if in.mixed {
		for _, s := range in.running {
			switch {
			case s.chunk > 0:
				in.pendingTokens -= int64(s.chunk)
				s.computed += s.chunk
				s.chunk = 0
				in.publishPrompt(s, e.cfg.BlockTokens)
				if s.computed >= s.prefillTarget {
					in.emit(e, s, end)
				}
			case s.decoding():
				in.emit(e, s, end)
			}
		}
	} else {
		in.settleSpan(e)
	}
	in.compact()
	in.afterFree(e)
	in.schedule(e)
}

// settleSpan advances every decoding sequence by the span's steps, feeding
// per-token gaps to the summary in bulk (one call per step per class).
func (in *instance) settleSpan(e *engine) {
	k := in.span
	end := in.spanEnds[k-1]
	busy := float64(end - in.stepStart)
	in.pool.busyNs += end - in.stepStart
	share := busy / float64(len(in.running))
	for _, s := range in.running {
		in.pool.charge(s.classIdx, share)
	}
	if cap(in.classCount) < len(e.classNames) {
		in.classCount = make([]int64, len(e.classNames))
	}
	cc := in.classCount[:len(e.classNames)]
	clear(cc)
	first := in.spanEnds[0]
	for _, s := range in.running {
		if !e.summary.Includes(&s.rec) {
			continue // warm-up requests stay out of every metric
		}
		cc[s.classIdx]++
		e.summary.AddITL(s.rec.Class, first-s.lastTok, 1)
	}
	for i := 1; i < k; i++ {
		gap := in.spanEnds[i] - in.spanEnds[i-1]
		for c, n := range cc {
			if n > 0 {
				e.summary.AddITL(e.classNames[c], gap, n)
			}
		}
	}
	if e.onToken != nil {
		for _, s := range in.running {
			for _, t := range in.spanEnds[:k] {
				e.onToken(s, t)
			}
		}
	}
	for _, s := range in.running {
		s.generated += k
		s.lastTok = end
		if s.generated >= s.target {
			in.complete(e, s)
		}
	}
}

// emit delivers one token of s at time t and moves s along: completion,
// hand-off to a decode instance, or on to decoding here.
func (in *instance) emit(e *engine, s *seqState, t int64) {
	s.generated++
	if s.generated == 1 {
		s.rec.FirstToken = t
	} else {
		e.summary.AddITLFor(&s.rec, t-s.lastTok, 1)
	}
	s.lastTok = t
	if e.onToken != nil {
		e.onToken(s, t)
	}
	switch {
	case s.generated >= s.target:
		in.complete(e, s)
	case in.pool.spec.Role == RolePrefill:
		s.inst = nil // leaves this instance's batch; KV stays pinned until transferred
		e.fleet.handOff(e, in, s)
	}
}

// complete finishes s and frees its blocks.
func (in *instance) complete(e *engine, s *seqState) {
	e.finish(s, "")
	in.cache.Release(s.kv)
	s.kv = nil
	s.inst = nil
}

// compact drops sequences that left the batch (finished or handed off).
func (in *instance) compact() {
	j := 0
	for _, s := range in.running {
		if s.inst == in {
			in.running[j] = s
			j++
		}
	}
	clear(in.running[j:])
	in.running = in.running[:j]
}

// preempt evicts s from the batch by recompute: its blocks are released
// (published ones stay cached and may be hit again) and it goes back to the
// front of the queue to recompute prompt + generated tokens.
func (in *instance) preempt(e *engine, s *seqState) {
	e.stats.Preemptions++
	s.rec.Preemptions++
	in.cache.Release(s.kv)
	s.kv = nil
	for i := len(in.running) - 1; i >= 0; i-- {
		if in.running[i] == s {
			copy(in.running[i:], in.running[i+1:])
			in.running[len(in.running)-1] = nil
			in.running = in.running[:len(in.running)-1]
			break
		}
	}
	in.pendingTokens -= int64(s.prefillTarget - s.computed)
	s.prefillTarget = s.req.InputTokens + s.generated
	s.computed = 0
	s.chunk = 0
	in.pendingTokens += int64(s.prefillTarget)
	in.waiting.pushFront(s)
}

// publishPrompt makes the complete prompt blocks computed so far hittable.
func (in *instance) publishPrompt(s *seqState, bs int) {
	n := min(s.computed/bs, len(s.hashes))
	if n > 0 {
		in.cache.Publish(s.kv, s.hashes[:n])
	}
}

// afterFree lets KV-blocked transfers start once memory was released.
func (in *instance) afterFree(e *engine) {
	for in.xfers.len() > 0 {
		if !e.fleet.startTransfer(e, in, in.xfers.front()) {
			return
		}
		in.xfers.popFront()
	}
}

// attn is Σ attention context over a prefill chunk of c tokens starting
// at position p: c·p + c(c+1)/2.
func attn(p, c int) int64 { return int64(c)*int64(p) + int64(c)*int64(c+1)/2 }

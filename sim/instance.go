package sim

import (
	"slices"

	"github.com/fleetbench/fleetbench/sim/kvcache"
	"github.com/fleetbench/fleetbench/sim/perf"
)

// instance is one vLLM-like serving instance: continuous batching with a
// per-step token budget, chunked prefill, paged KV blocks with a prefix
// cache, FIFO admission and preemption by recompute.
type instance struct {
	// The fields routing reads on every candidate (inflight, load, state)
	// and the event loop's generation check come first, so that they share
	// the first three cache lines of the struct: at 10,000 instances each
	// candidate is a cold instance, and these lines are all that picking
	// among eight of them should cost.
	idx           int32
	gen           uint32 // bumps invalidate a scheduled step event
	state         instState
	busy          bool
	mixed         bool        // the current step carries prefill chunks
	incoming      int         // transfers in flight towards this instance
	waiting       deque       // not yet admitted (no KV blocks)
	pendingTokens int64       // prompt tokens waiting or prefilling, not yet computed (routing load)
	xfers         deque       // decode side: waiting for KV space to start a transfer
	prefill       []*seqState // admitted, computing their prompt, in admission order
	joining       []*seqState // landed (KV transferred) during a step; join at its end
	dec           decoders    // decoding batch

	stepStart int64
	span      int     // steps in the current unit of work
	spanEnds  []int64 // absolute end time of each step of the span
	stepNs    int64   // a decode span's mean step time as planned (stepAt's guess)

	pool  *pool
	model *perf.Model
	cache *kvcache.Cache
	link  *link  // inbound KV link (decode instances in disaggregated mode)
	name  string // "<role>-<index in pool>", for records

	// Whole lines: in a pool's slab (pool.slab) each instance then starts
	// on a line of its own, as it did in its own 576-byte allocation
	// (TestInstanceLines).
	_ [40]byte
}

// active is the number of admitted sequences (the MaxSeqs bound).
func (in *instance) active() int { return len(in.prefill) + in.dec.len() + len(in.joining) }

// load is the least-loaded policies' measure: queued prompt work first,
// then sequences in flight.
func (in *instance) load() int64 {
	return in.pendingTokens + int64(in.inflight())*16
}

// inflight is the number of sequences the instance holds or will hold
// (cache-aware routing's bound on load).
func (in *instance) inflight() int {
	return in.active() + in.waiting.len() + in.xfers.len() + in.incoming
}

// enqueue adds a newly routed sequence to the waiting queue.
func (in *instance) enqueue(e *engine, s *seqState) {
	s.inst = in
	s.rec.Instance = in.name
	s.expectHit = max(0, min(s.expectHit, s.prefillTarget-1-s.computed))
	in.pendingTokens += int64(s.prefillTarget - s.computed - s.expectHit)
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
	i := in.stepAt(e.now) // first step of the span still running
	if i+1 < in.span {
		in.span = i + 1
		in.gen++
		e.q.push(event{at: in.spanEnds[i], kind: evStep, idx: in.idx, gen: in.gen})
	}
}

// stepAt returns the first step of the running decode span that ends at
// or after t: slices.BinarySearch's answer over spanEnds[:span-1]. A
// binary search over the span's cold ends (up to 128, 16 lines) is a
// chain of dependent misses (1.8 s of the platform-hour 20-minute cut's
// ~100 s loop, in kick); the steps of one span take nearly equal times,
// so the answer is guessed from the planned mean step time and corrected
// by a walk of a step or two from there: one line read, same answer.
func (in *instance) stepAt(t int64) int {
	ends := in.spanEnds[:in.span-1]
	i := 0
	if in.stepNs > 0 && t > in.stepStart {
		i = int(min((t-in.stepStart)/in.stepNs, int64(len(ends))))
	}
	for i > 0 && ends[i-1] >= t {
		i--
	}
	for i < len(ends) && ends[i] < t {
		i++
	}
	return i
}

// reserveGrowth makes sure the decoding batch has KV blocks for a step at
// clock t, preempting the newest sequences (recompute, as vLLM) until it
// does. It reports whether any decoder is left.
func (in *instance) reserveGrowth(e *engine, t int64) bool {
	d := &in.dec
	for d.len() > 0 {
		need := d.growthAt(t) - d.growth
		if need <= 0 || in.cache.Reserve(int(need)) {
			d.growth += max(need, 0)
			return true
		}
		in.preempt(e, in.victim())
	}
	return false
}

// trimGrowth returns anonymous blocks the batch no longer needs (after
// sequences left), so they serve the prefix cache again.
func (in *instance) trimGrowth() {
	d := &in.dec
	if surplus := d.growth - d.growthAt(d.clock); surplus > 0 {
		in.cache.Unreserve(int(surplus))
		d.growth -= surplus
	}
}

// schedule forms the next batch and schedules its end. It is called only
// when the instance is idle.
func (in *instance) schedule(e *engine) {
	bs := e.cfg.BlockTokens
	d := &in.dec
	in.reserveGrowth(e, d.clock)
	nDecode := d.len()

	// Prefill: continue partial prefills, then admit from the queue.
	budget := in.pool.maxBatchTokens - nDecode
	var prefillTokens int
	var prefillAttn int64
	var tierBytes float64
	for _, s := range in.prefill {
		if budget <= 0 {
			break
		}
		c := min(budget, s.prefillTarget-s.computed)
		s.chunk = c
		budget -= c
		prefillTokens += c
		prefillAttn += attn(s.computed, c)
	}
	for budget > 0 && in.waiting.len() > 0 && in.active() < in.pool.maxSeqs {
		s := in.waiting.front()
		if in.pool.spec.Role != RolePrefill && !in.canFinish(s) {
			// Refused before any token, as vLLM refuses prompt + max_tokens
			// over max_model_len: admitted, it would stream tokens, outgrow
			// the cache and fail, and its tokens would count for nothing.
			in.waiting.popFront()
			in.pendingTokens -= int64(s.prefillTarget - s.computed - s.expectHit)
			s.expectHit = 0
			e.finish(s, "too_long")
			continue
		}
		adm, ok := in.cache.Admit(s.hashes, s.prefillTarget)
		if !ok {
			if in.active() == 0 && in.cache.Free()+in.cache.Reserved() >= in.cache.Capacity() {
				// Even an empty instance cannot hold this prompt.
				in.waiting.popFront()
				in.pendingTokens -= int64(s.prefillTarget - s.computed - s.expectHit)
				s.expectHit = 0
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
		} else if s.requeued {
			s.rec.QueueNs += e.now - s.requeuedAt // parked for a repair, then queued again
			s.requeued = false
		}
		tierBytes += float64(adm.TierBlocks*bs) * float64(in.model.KVBytesPerToken())
		in.pendingTokens -= int64(hit - s.computed - s.expectHit)
		s.expectHit = 0
		s.computed = hit
		in.prefill = append(in.prefill, s)
		c := min(budget, s.prefillTarget-s.computed)
		s.chunk = c
		budget -= c
		prefillTokens += c
		prefillAttn += attn(s.computed, c)
	}

	switch {
	case prefillTokens > 0:
		dur := in.model.StepTime(perf.Step{PrefillTokens: prefillTokens, PrefillAttn: prefillAttn, DecodeSeqs: nDecode, DecodeCtx: d.ctxAt(d.clock)})
		if tierBytes > 0 {
			dur += int64(tierBytes / e.cfg.TierBandwidth * 1e9)
		}
		dur = max(dur, 1)
		in.begin(e, 1, true)
		in.spanEnds = append(in.spanEnds[:0], e.now+dur)
		in.pool.busyNs += dur
		in.pool.steps++
		in.pool.prefillTokens += int64(prefillTokens)
		in.pool.decodeTokens += int64(nDecode)
		// Colocated steps mix classes: charge each its share of the tokens
		// (mixedCharges, which the window's snapshots repeat for a step
		// running at its edges).
		in.mixedCharges(float64(dur), in.pool.charge)
	case nDecode > 0:
		in.planSpan(e)
	default:
		in.maybeOff(e) // idle; a draining instance can now turn off
		return
	}
	d.settleFresh(in.spanEnds[0])
	// The step's event carries the sequence its end reads first, hot here,
	// cold by then: a mixed step's first prefilling sequence, or the
	// decoder a span ends by completing (the batch's top). loadAhead
	// prefetches it; a hint only, read by nothing else.
	var hint *seqState
	switch {
	case in.mixed && len(in.prefill) > 0:
		hint = in.prefill[0]
	case !in.mixed && d.len() > 0 && d.h[0].doneAt <= d.clock+int64(in.span):
		hint = d.h[0].s
	}
	e.q.push(event{at: in.spanEnds[in.span-1], kind: evStep, idx: in.idx, gen: in.gen, s: hint})
}

// chargeDecoders attributes busy time spread evenly over the decoders,
// through their per-class counts (warm-up sequences included: what counts
// is the time inside the measurement window, taken from snapshots at its
// edges, see window.go and docs/metrics.md).
func (in *instance) chargeDecoders(busy float64) {
	in.decoderCharges(busy, in.pool.charge)
}

// decoderCharges splits busy evenly over the decoding batch, by class.
func (in *instance) decoderCharges(busy float64, charge func(c int, d float64)) {
	n := int64(in.dec.len())
	if n == 0 || busy == 0 {
		return
	}
	for c, k := range in.dec.cls {
		if k > 0 {
			charge(c, busy*float64(k)/float64(n))
		}
	}
}

// mixedCharges splits the time dur of the mixed (prefill) step that
// schedule planned, and that runs until stepDone, over its sequences by
// their tokens: each prefill chunk, and the decoders' one token each.
func (in *instance) mixedCharges(dur float64, charge func(c int, d float64)) {
	nDecode := in.dec.len()
	total := float64(nDecode)
	for _, s := range in.prefill {
		total += float64(s.chunk)
	}
	if total == 0 {
		return
	}
	for _, s := range in.prefill {
		if s.chunk > 0 {
			charge(int(s.classIdx), dur*float64(s.chunk)/total)
		}
	}
	in.decoderCharges(dur*float64(nDecode)/total, charge)
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
func (in *instance) planSpan(e *engine) {
	d := &in.dec
	t0 := d.clock
	kmax := int(min(int64(e.cfg.MaxSpanSteps), d.h[0].doneAt-t0))
	free := int64(in.cache.Free())
	need := func(k int) int64 { return d.growthAt(t0+int64(k)-1) - d.growth }
	if need(kmax) > free {
		lo, hi := 1, kmax // need(1) <= free: reserveGrowth made room for it
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
	if n := need(kmax); n > 0 {
		in.cache.Reserve(int(n))
		d.growth += n
	}
	in.begin(e, kmax, false)
	in.spanEnds = in.spanEnds[:0]
	steps := in.model.DecodeSteps(d.len())
	// Step i runs at context ctxAt(t0+i) = ctxAt(t0) + i·len.
	in.spanEnds = steps.AppendEnds(in.spanEnds, e.now, d.ctxAt(t0), int64(d.len()), kmax)
	in.stepNs = (in.spanEnds[kmax-1] - e.now) / int64(kmax)
	e.stats.Steps += uint64(kmax) - 1 // stepDone counts one
}

// settlePartialSpan accounts the steps of a running decode span that ended
// before now, for an instance failing mid-span: their tokens reached the
// clients, so the records of the requests it loses count them (tokens,
// ITL gaps, busy time). The span's last step is left to its event, so no
// sequence completes here (a span never outlasts its first completion).
func (in *instance) settlePartialSpan(e *engine) {
	if !in.busy || in.mixed || in.span <= 1 {
		return
	}
	i, found := slices.BinarySearch(in.spanEnds[:in.span-1], e.now)
	if found {
		i++ // the step ending exactly now has delivered its token
	}
	if i == 0 {
		return
	}
	in.span = i
	in.settleDecoders(e)
}

// stepDone applies the finished step or span.
func (in *instance) stepDone(e *engine) {
	in.busy = false
	e.stats.Steps++
	in.settleDecoders(e)
	if in.mixed {
		end := e.now
		for _, s := range in.prefill {
			if s.chunk == 0 {
				continue
			}
			in.pendingTokens -= int64(s.chunk)
			s.computed += s.chunk
			s.chunk = 0
			in.publishPrompt(s, e.cfg.BlockTokens)
			if s.computed >= s.prefillTarget {
				in.emit(e, s, end) // leaves the prefill list
			}
		}
		j := 0
		for _, s := range in.prefill {
			if s.computed < s.prefillTarget && s.kv != nil {
				in.prefill[j] = s
				j++
			}
		}
		clear(in.prefill[j:])
		in.prefill = in.prefill[:j]
	}
	for _, s := range in.joining {
		in.join(e, s)
	}
	clear(in.joining)
	in.joining = in.joining[:0]
	in.trimGrowth()
	in.afterFree(e)
	in.schedule(e)
}

// settleDecoders advances the decoding batch by the steps just finished,
// logging their inter-token gaps (copied into each record when it leaves
// the batch, see decoders.logSteps) and completing the sequences that
// reached their length.
func (in *instance) settleDecoders(e *engine) {
	d := &in.dec
	if d.len() == 0 {
		return
	}
	k := in.span
	ends := in.spanEnds[:k]
	end := ends[k-1]
	if !in.mixed {
		busy := end - in.stepStart
		in.pool.busyNs += busy
		in.chargeDecoders(float64(busy))
		in.pool.steps += int64(k)
		in.pool.decodeTokens += int64(k) * int64(d.len())
	}
	d.logSteps(ends, in.stepStart)
	if e.onToken != nil {
		for _, x := range d.h {
			for _, t := range ends {
				e.onToken(x.s, t)
			}
		}
	}
	d.clock += int64(k)
	for d.len() > 0 && d.h[0].doneAt <= d.clock {
		s := d.h[0].s
		d.remove(0)
		s.lastTok = end
		in.complete(e, s)
	}
}

// emit delivers one token of s (a prompt just computed) at time t and
// moves s along: completion, hand-off to a decode instance, or into this
// instance's decoding batch.
func (in *instance) emit(e *engine, s *seqState, t int64) {
	s.generated++
	if s.generated == 1 {
		s.rec.FirstToken = t
	} else {
		e.settleITL(s)                             // its earlier gaps first
		s.rec.ITL = append(s.rec.ITL, t-s.lastTok) // a token after a recomputed prompt
		s.hasITL = true
	}
	s.lastTok = t
	if e.onToken != nil {
		e.onToken(s, t)
	}
	switch {
	case s.generated >= s.target:
		in.complete(e, s)
	case in.pool.spec.Role == RolePrefill:
		e.fleet.handOff(e, in, s) // KV stays pinned here until transferred
	default:
		in.join(e, s)
	}
}

// join puts s, whose KV is on this instance, into the decoding batch.
func (in *instance) join(e *engine, s *seqState) {
	s.inst = in
	s.lastTok = max(s.lastTok, 0)
	in.dec.join(s, s.included) // newSeqState's e.summary.Includes(&s.rec): the fields it reads never change
}

// complete finishes s and frees its blocks. A request that a task may
// continue keeps its generated tokens' blocks long enough for finish to
// publish them (its continuation's prefix).
func (in *instance) complete(e *engine, s *seqState) {
	if s.task && s.kv != nil {
		want := in.cache.BlocksFor(s.kvTokens() - 1)
		if extra := want - s.kv.Blocks(); extra > 0 {
			give := min(int64(extra), in.dec.growth)
			in.cache.Unreserve(int(give))
			in.dec.growth -= give
			in.cache.Grow(s.kv, s.kvTokens()-1)
		}
	}
	s.inst = in
	e.finish(s, "")
	in.cache.Release(s.kv)
	s.kv = nil
	s.inst = nil
}

// canFinish reports whether s, alone on this instance, could hold the KV
// of its whole prompt and output (the last token's KV is never written).
func (in *instance) canFinish(s *seqState) bool {
	return in.cache.BlocksFor(s.rec.InputTokens+s.target-1) <= in.cache.Capacity()
}

// victim is the sequence vLLM would preempt: the newest admitted.
func (in *instance) victim() *seqState {
	v := in.dec.newest()
	if n := len(in.prefill); n > 0 && (v == nil || in.prefill[n-1].admitSeq > v.admitSeq) {
		v = in.prefill[n-1]
	}
	return v
}

// preempt evicts s from the batch by recompute: its blocks are released
// (published ones stay cached and may be hit again) and it goes back to the
// front of the queue to recompute prompt + generated tokens.
func (in *instance) preempt(e *engine, s *seqState) {
	e.stats.Preemptions++
	s.rec.Preemptions++
	if i := in.dec.index(s); i >= 0 && s.decoding() {
		in.dec.remove(i)
	} else {
		for i := len(in.prefill) - 1; i >= 0; i-- {
			if in.prefill[i] == s {
				in.prefill = append(in.prefill[:i], in.prefill[i+1:]...)
				break
			}
		}
	}
	in.cache.Release(s.kv)
	s.kv = nil
	in.trimGrowth()
	in.pendingTokens -= int64(s.prefillTarget - s.computed)
	s.prefillTarget = s.rec.InputTokens + s.generated
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

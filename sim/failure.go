package sim

import (
	"fmt"
	"math/rand/v2"
	"slices"

	"github.com/fleetbench/fleetbench/results"
)

// incident is one failure's bookkeeping for the report.
type incident struct {
	inst             *instance
	at, repairedAt   int64
	lost, retried    int
	cachedBlocksLost int
	during           *results.Summary // requests sent while the instance was down
}

// scheduleFailures queues scripted failures and each instance's first
// random one.
func (f *fleet) scheduleFailures(e *engine) error {
	fc := f.cfg.Failures
	for _, sf := range fc.At {
		var p *pool
		for _, q := range f.pools {
			if q.spec.Role.String() == sf.Pool {
				p = q
			}
		}
		if p == nil || sf.Instance < 0 || sf.Instance >= len(p.insts) {
			return fmt.Errorf("scripted failure: no %s instance %d in fleet %q", sf.Pool, sf.Instance, f.cfg.Fleet)
		}
		e.q.push(event{at: int64(sf.At()), kind: evFail, idx: p.insts[sf.Instance].idx})
	}
	if fc.MTBFHours > 0 {
		f.failRng = rand.New(rand.NewPCG(e.seedV, 0xfa11))
		for _, in := range f.instances {
			e.q.push(event{at: f.nextFailure(e, 0), kind: evFail, idx: in.idx})
		}
	}
	return nil
}

func (f *fleet) nextFailure(e *engine, from int64) int64 {
	return from + int64(f.failRng.ExpFloat64()*float64(f.cfg.Failures.MTBF()))
}

// fail takes an instance down: its KV cache is lost and every request it
// held is retried elsewhere or failed, per policy.
func (f *fleet) fail(e *engine, in *instance, random bool) {
	if in.state != stUp && in.state != stDraining {
		if random && in.state != stDown && e.ongoing() {
			e.q.push(event{at: f.nextFailure(e, e.now), kind: evFail, idx: in.idx})
		}
		return
	}
	in.settlePartialSpan(e)
	inc := &incident{inst: in, at: e.now, cachedBlocksLost: in.cache.Cached()}
	inc.during = results.NewSummary(e.classInfos, 0)
	in.pool.setState(e, in, stDown)
	in.gen++ // cancels its step event
	in.busy = false

	var victims []*seqState
	for in.waiting.len() > 0 {
		victims = append(victims, in.waiting.popFront())
	}
	victims = append(victims, in.prefill...)
	for _, x := range in.dec.h {
		victims = append(victims, x.s)
	}
	victims = append(victims, in.joining...)
	in.joining = in.joining[:0]
	for in.xfers.len() > 0 {
		victims = append(victims, in.xfers.popFront())
	}
	if in.link != nil { // transfers landing here
		victims = append(victims, in.link.active...)
		in.link.active = in.link.active[:0]
		in.link.gen++
	}
	if in.pool.spec.Role == RolePrefill { // transfers whose source KV was here
		for _, d := range f.decode.insts {
			victims = append(victims, d.dropSource(e, in)...)
		}
		var rest deque // parked for want of a decode instance
		for f.decode.parked.len() > 0 {
			s := f.decode.parked.popFront()
			if s.prefillInst == in {
				victims = append(victims, s)
			} else {
				rest.pushBack(s)
			}
		}
		f.decode.parked = rest
	}
	in.prefill = in.prefill[:0]
	in.resetDecoders()
	in.incoming, in.pendingTokens = 0, 0
	in.cache.Reset()
	for _, s := range victims {
		s.kv = nil
		if s.prefillInst != nil && s.prefillInst != in {
			s.prefillInst.cache.Release(s.prefillKV)
		}
		s.prefillInst, s.prefillKV = nil, nil
		e.lost(s, inc)
	}
	f.incidents = append(f.incidents, inc)
	e.q.push(event{at: e.now + int64(f.cfg.Failures.Repair()), kind: evRepair, idx: in.idx})
}

// dropSource removes from this decode instance the transfers whose source
// prefill instance failed, releasing the blocks reserved for them here.
func (d *instance) dropSource(e *engine, src *instance) []*seqState {
	var out []*seqState
	keep := d.link.active[:0]
	for _, s := range d.link.active {
		if s.prefillInst == src {
			d.cache.Release(s.kv)
			d.incoming--
			out = append(out, s)
			continue
		}
		keep = append(keep, s)
	}
	clear(d.link.active[len(keep):])
	d.link.active = keep
	var rest deque
	for d.xfers.len() > 0 {
		s := d.xfers.popFront()
		if s.prefillInst == src {
			d.incoming--
			out = append(out, s)
			continue
		}
		rest.pushBack(s)
	}
	d.xfers = rest
	if len(out) > 0 {
		d.link.reschedule(e)
	}
	return out
}

// repair brings a failed instance back, empty.
func (f *fleet) repair(e *engine, in *instance) {
	for _, inc := range f.incidents {
		if inc.inst == in && inc.repairedAt == 0 {
			inc.repairedAt = e.now
		}
	}
	in.pool.ready(e, in)
	if f.failRng != nil && e.ongoing() {
		e.q.push(event{at: f.nextFailure(e, e.now), kind: evFail, idx: in.idx})
	}
}

// lost handles a request caught on a failed instance.
func (e *engine) lost(s *seqState, inc *incident) {
	if e.cfg.Failures.Policy == "fail" {
		inc.lost++
		e.finish(s, "instance_failed")
		return
	}
	inc.retried++
	s.rec.Retries++
	if s.started {
		s.requeuedAt, s.requeued = e.now, true
	}
	s.computed, s.chunk, s.generated = 0, 0, 0
	s.prefillTarget = s.req.InputTokens
	s.rec.FirstToken = 0
	s.inst = nil
	e.fleet.route(e, s)
}

// incidentReport is the result's view of the failures.
func (f *fleet) incidentReport(e *engine) []map[string]any {
	var out []map[string]any
	for _, inc := range f.incidents {
		end := inc.repairedAt
		if end == 0 {
			end = e.now
		}
		r := inc.during.Result(results.Meta{Backend: "sim", StartNs: inc.at, EndNs: end})
		var repaired any // null: still down when the run ended (never 0)
		if inc.repairedAt != 0 {
			repaired = float64(inc.repairedAt) / 1e9
		}
		item := map[string]any{
			"pool": inc.inst.pool.spec.Role.String(), "instance": slices.Index(inc.inst.pool.insts, inc.inst),
			"at_s": float64(inc.at) / 1e9, "repaired_s": repaired,
			"requests_lost": inc.lost, "requests_retried": inc.retried, "cached_blocks_lost": inc.cachedBlocksLost,
			"capacity_share_lost": roundShare(1 / float64(max(len(inc.inst.pool.insts), 1))),
		}
		if r.Totals != nil {
			item["requests_during"] = r.Totals.Requests
			item["slo_attainment_during"] = r.Totals.SLOAttainment
			item["cache_hit_rate_during"] = r.Totals.CacheHitRate
		}
		out = append(out, item)
	}
	return out
}

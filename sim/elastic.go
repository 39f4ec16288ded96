package sim

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/fleetbench/fleetbench/elastic"
)

// instState is an instance's life-cycle state. Only up instances are
// routable; every state but off is paid for.
type instState uint8

const (
	stUp           instState = iota
	stOff                    // not provisioned (autoscaled pools start their spare instances here)
	stProvisioning           // paid for, not serving until ready
	stDraining               // serves what it has, takes nothing new, then turns off
	stDown                   // failed, under repair
)

// provisionPoint records the paid-for instance count from time t on.
type provisionPoint struct {
	t int64
	n int
}

// scaler is a pool's autoscaler state.
type scaler struct {
	spec     elastic.Autoscale
	lastBusy int64 // pool busyNs at the previous tick
	lastUp   int64 // time of the last scale-up decision
	events   []map[string]any
}

// setState moves in to state st, keeping the pool's routable list and its
// paid-for count (and so the GPU-time integral) up to date.
func (p *pool) setState(e *engine, in *instance, st instState) {
	if in.state == st {
		return
	}
	defer func() {
		if p.scaler != nil {
			p.history = append(p.history, provisionPoint{e.now, p.provisioned})
		}
	}()
	paid := func(s instState) bool { return s != stOff }
	if paid(in.state) && !paid(st) {
		p.provisioned--
	} else if !paid(in.state) && paid(st) {
		p.provisioned++
	}
	if in.state == stUp {
		i := slices.Index(p.live, in)
		p.live = slices.Delete(p.live, i, i+1)
	}
	in.state = st
	if st == stUp {
		p.live = append(p.live, in)
		slices.SortFunc(p.live, func(a, b *instance) int { return int(a.idx - b.idx) })
	}
}

// tick is one autoscaler decision.
func (p *pool) tick(e *engine) {
	sc := p.scaler
	up, booting := 0, 0
	for _, in := range p.insts {
		switch in.state {
		case stUp:
			up++
		case stProvisioning:
			booting++
		}
	}
	var metric float64
	switch sc.spec.Metric {
	case "utilization":
		if up > 0 {
			metric = float64(p.busyNs-sc.lastBusy) / (float64(up) * float64(sc.spec.Interval()))
		}
	case "kv":
		var used, capacity int
		for _, in := range p.live {
			used += in.cache.Used()
			capacity += in.cache.Capacity()
		}
		if capacity > 0 {
			metric = float64(used) / float64(capacity)
		}
	case "concurrency":
		inflight := p.parked.len()
		for _, in := range p.live {
			inflight += in.active() + in.waiting.len() + in.xfers.len()
		}
		metric = float64(inflight) / float64(max(up, 1))
	}
	sc.lastBusy = p.busyNs
	current := up + booting
	desired := int(math.Ceil(float64(max(up, 1)) * metric / sc.spec.Target))
	desired = min(max(desired, sc.spec.Min), sc.spec.Max)
	switch {
	case desired > current:
		n := desired - current
		for _, in := range p.insts {
			if n == 0 {
				break
			}
			if in.state == stOff {
				p.setState(e, in, stProvisioning)
				e.q.push(event{at: e.now + int64(sc.spec.ProvisionDelay()), kind: evReady, idx: in.idx})
				n--
			}
		}
		sc.lastUp = e.now
		sc.events = append(sc.events, map[string]any{"t_s": float64(e.now) / 1e9, "pool": p.spec.Role.String(), "from": current, "to": desired, "metric": roundShare(metric)})
	case desired < current && booting == 0 && e.now-sc.lastUp >= int64(sc.spec.Cooldown()):
		// Drain the least-loaded instances; they finish their work first.
		cands := slices.Clone(p.live)
		slices.SortFunc(cands, func(a, b *instance) int {
			if a.load() != b.load() {
				return int(a.load() - b.load())
			}
			return int(b.idx - a.idx)
		})
		for _, in := range cands[:current-desired] {
			p.setState(e, in, stDraining)
			in.maybeOff(e)
		}
		sc.events = append(sc.events, map[string]any{"t_s": float64(e.now) / 1e9, "pool": p.spec.Role.String(), "from": current, "to": desired, "metric": roundShare(metric)})
	}
	if e.ongoing() {
		e.q.push(event{at: e.now + int64(sc.spec.Interval()), kind: evAutoscale, idx: p.index})
	}
}

// ready brings a provisioned (or repaired) instance into service.
func (p *pool) ready(e *engine, in *instance) {
	if p.scaler != nil && in.state == stProvisioning {
		p.scaler.events = append(p.scaler.events, map[string]any{"t_s": float64(e.now) / 1e9, "pool": p.spec.Role.String(), "ready": in.name})
	}
	p.setState(e, in, stUp)
	e.fleet.unpark(e, p)
	in.kick(e)
}

// maybeOff turns a draining instance off once it holds no work.
func (in *instance) maybeOff(e *engine) {
	if in.state != stDraining || in.busy || in.active() > 0 || in.waiting.len() > 0 || in.xfers.len() > 0 || in.incoming > 0 {
		return
	}
	in.cache.Reset()
	in.resetDecoders()
	in.pool.setState(e, in, stOff)
}

// resetDecoders empties the decoding batch's bookkeeping (its sequences
// are gone: failed, or never there).
func (in *instance) resetDecoders() {
	d := &in.dec
	for _, x := range d.h {
		s := x.s
		d.flushITL(s)          // the steps it decoded here are gaps its client saw
		s.generated = d.gen(s) // and the tokens it received: a failed record counts them
	}
	clear(d.h)
	d.h = d.h[:0]
	d.dropLog()
	d.ctxBase, d.quot, d.own, d.growth = 0, 0, 0, 0
	clear(d.resid)
	for _, rho := range d.nz {
		d.nzPos[rho] = -1
	}
	d.nz = d.nz[:0]
	clear(d.cls)
	d.fresh = d.fresh[:0]
}

// gpuSecondsBetween integrates the pool's provisioned GPUs over [from, to]
// from its history (the run ends at end).
func (p *pool) gpuSecondsBetween(from, to, end int64) float64 {
	var ns float64
	for i, pt := range p.history {
		next := end
		if i+1 < len(p.history) {
			next = p.history[i+1].t
		}
		a, b := max(pt.t, from), min(next, to)
		if b > a {
			ns += float64(pt.n*p.model.GPUs()) * float64(b-a)
		}
	}
	return ns / 1e9
}

// unmatchedAutoscalers says which of the configured autoscalers name a pool
// this fleet lacks, so never ran: the commands refuse such a scenario
// before running (sim, sweep, scale, serve: cmd/fleetbench elasticPools),
// but the simulator runs whatever fleet a caller gives it, fixed-size
// where no autoscaler matches, and its results must say so. "" when every
// one ran.
func (f *fleet) unmatchedAutoscalers() string {
	var miss []string
	for _, a := range f.cfg.Autoscale {
		if f.poolByRole(a.Pool) == nil {
			miss = append(miss, a.Pool)
		}
	}
	if len(miss) == 0 {
		return ""
	}
	var have []string
	for _, p := range f.pools {
		have = append(have, p.spec.Role.String())
	}
	return fmt.Sprintf("autoscaler not run: the scenario scales pool %s, which fleet %s does not have (its pools: %s), so those results are of a fixed-size fleet; run a fleet with that pool, or autoscale one it has",
		strings.Join(miss, ", "), f.spec.String(), strings.Join(have, ", "))
}

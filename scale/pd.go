package scale

import (
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweep"
)

// misses says which pool a failed probe lacks, from the SLO targets it
// missed: TTFT and queue wait are the prefill pool's (the prompt waits for
// and runs on a prefill instance), TPOT and ITL the decode pool's; any
// other miss (E2E, task completion, errors, an unmeasured target) is
// charged to both. worstTTFT is the largest TTFT actual/bound ratio (0
// when TTFT met every bound), used to notice that growing the prefill
// pool did not help.
func misses(r *results.Result) (needP, needD bool, worstTTFT float64) {
	if r == nil {
		return true, true, 0
	}
	for _, c := range r.Classes { // order-free: booleans and a maximum
		if c == nil || c.SLO == nil {
			continue
		}
		for _, t := range c.SLO.Targets {
			if t.Met {
				continue
			}
			switch {
			case t.NotMeasured || t.Actual == nil:
				needP, needD = true, true
			case t.Metric == "ttft_ms" || t.Metric == "queue_s":
				needP = true
				if t.Bound > 0 {
					worstTTFT = max(worstTTFT, *t.Actual/t.Bound)
				}
			case t.Metric == "tpot_ms" || t.Metric == "itl_ms":
				needD = true
			default:
				needP, needD = true, true
			}
		}
	}
	if !needP && !needD { // failed on errors or an unmet class-less check
		needP, needD = true, true
	}
	return needP, needD, worstTTFT
}

// searchPD finds a small prefill:decode split meeting every SLO at the
// probe set's level. capGPUs > 0 is the other fleet shape's answer: a
// split with more GPUs cannot win, so none is simulated.
//
// Phase 1 finds a passing split from the previous level's answer scaled
// with the traffic (without one, from the cap's instances split evenly),
// growing (doubling) only the pool whose SLO missed:
// TTFT grows prefill, TPOT decode (if growing prefill did not improve
// TTFT, the decode side is holding prefills back and grows too). Where
// growth would cross the cap it walks the line of splits with exactly the
// cap's instances, bisecting between "needs more prefill" and "needs more
// decode"; a split missing both on that line ends the search. Phase 2
// shrinks decode with prefill fixed, then prefill with decode fixed, by
// bisection (pass is monotone in each pool).
func (s *Searcher) searchPD(ps *probeSet, prev *found, ratio float64, capGPUs int) *found {
	maxN := ps.spec.MaxInstances
	perInst := max(1, sweep.EstimateGPUs(fleetOf(KindPD, 1, 1), s.Base.TP)/2)
	capN := 2 * maxN
	if capGPUs > 0 {
		capN = capGPUs / perInst
	}
	grow := func(n int) int { return min(maxN, max(1, ceilMul(n, ratio))) }
	plo, dlo, p, d := 1, 1, 1, 1
	switch {
	case prev != nil:
		plo, dlo, p, d = prev.p, prev.d, grow(prev.p), grow(prev.d)
	case capGPUs > 0:
		// No split to start from: the other shape's GPUs, half and half
		// (a split missing both SLOs there cannot win, one probe).
		p, d = max(1, capN/2), max(1, capN-capN/2)
	}
	if plo+dlo > capN {
		return nil // the smallest split allowed already has more GPUs than the other shape's answer
	}
	// An over-cap guess shrinks towards the lower bounds, keeping its ratio.
	p0, d0 := p, d
	for p+d > capN {
		if p > plo && (d == dlo || (p-plo)*d0 >= (d-dlo)*p0) {
			p--
		} else {
			d--
		}
	}
	run := func(p, d int) *probeOut { return ps.run([]string{fleetOf(KindPD, p, d)})[0] }
	onLine := false
	var lineLo, lineHi int // on the cap line p+d = capN: prefill counts still possible
	lastTTFT, grewP := 0.0, false
	for {
		o := run(p, d)
		if o.pass {
			break
		}
		needP, needD := o.needP, o.needD
		if needP && grewP && !needD && o.worstTTFT >= 0.9*lastTTFT {
			needD = true // more prefill did not shorten TTFT: decode backpressure
		}
		lastTTFT, grewP = o.worstTTFT, false
		if !onLine {
			np, nd := p, d
			if needP {
				np = min(maxN, 2*p)
			}
			if needD {
				nd = min(maxN, 2*d)
			}
			if np+nd <= capN {
				if np == p && nd == d {
					return nil // both pools at --max-instances
				}
				grewP = np > p
				p, d = np, nd
				continue
			}
			if needP && needD {
				// Grow both as far as the cap allows, once; then the line.
				if p+d+2 > capN {
					return nil
				}
				for np+nd > capN {
					if np-p >= nd-d {
						np--
					} else {
						nd--
					}
				}
				grewP = np > p
				p, d = np, nd
				continue
			}
			// Splits with at most p prefill (needP) or at most d decode
			// (needD) instances on the cap line miss as this one did.
			onLine, lineLo, lineHi = true, max(plo, capN-maxN), min(maxN, capN-dlo)
		}
		if needP && needD {
			return nil
		}
		if needP {
			lineLo = max(lineLo, p+1)
		} else {
			lineHi = min(lineHi, capN-d-1)
		}
		if lineLo > lineHi {
			return nil
		}
		p = (lineLo + lineHi) / 2
		d = capN - p
	}
	// Phase 2: the passing split (p, d) bounds both pools.
	pf, df := p, d
	d, _ = minimize(dlo, df, df, func(ds []int) []bool {
		fl := make([]string, len(ds))
		for i, d := range ds {
			fl[i] = fleetOf(KindPD, pf, d)
		}
		return passes(ps.run(fl))
	})
	p, _ = minimize(plo, pf, pf, func(pp []int) []bool {
		fl := make([]string, len(pp))
		for i, p := range pp {
			fl[i] = fleetOf(KindPD, p, d)
		}
		return passes(ps.run(fl))
	})
	o := ps.seen[fleetOf(KindPD, p, d)]
	if o == nil || !o.pass {
		return nil
	}
	return &found{kind: KindPD, p: p, d: d, pt: o.pt, f: o.f}
}

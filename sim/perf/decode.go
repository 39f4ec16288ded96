package perf

import "math"

// DecodeSteps is the step time of a decode-only batch of a fixed size as a
// function of its total context: the parts of the step model that depend
// on the batch size only are computed once, so a span of decode steps (the
// engine's hottest loop: one call per simulated step) costs a few flops a
// step. Time(ctx) equals StepTime(Step{DecodeSeqs: n, DecodeCtx: ctx})
// bit for bit: the remaining operations run in the same order.
type DecodeSteps struct {
	p    *Model
	n    int
	dec  float64 // batch size
	pre  float64 // the step's leading terms up to attention: GEMMs, LM head, prefill attention (0)
	expT float64 // routed experts (0: dense)
	a2a  float64 // dispatch + combine (unused when p.a2aTok is 0)
	// attn is max(attnDecC, attnDecM) when both are finite and >= 0
	// (attnOne): then max(attnDecC·x, attnDecM·x) = attn·x exactly for
	// any context x >= 0, since rounding is monotone, and a step costs one
	// product and no float max (with its NaN and signed-zero handling).
	attn    float64
	attnOne bool
}

// DecodeSteps prepares the step times of a decode batch of n sequences.
func (p *Model) DecodeSteps(n int) DecodeSteps {
	d := DecodeSteps{p: p, n: n, dec: float64(max(n, 0))}
	if d.dec == 0 || p.spec.on {
		return d // Time falls back to StepTime
	}
	// As step(0, dec, 0, ctx, 1), whose evaluation order Time continues.
	tok := 0 + d.dec*1
	rank := tok / p.dp
	logits := d.dec * 1
	pad := gemmPadTokens * p.mb
	d.pre = max(p.cNE*(rank+pad), p.wNE) +
		max(p.cHead*(logits/p.dp+pad), p.wHead) +
		p.attnPre*0
	if p.experts > 0 {
		d.expT = p.expertTime(tok, pad)
	}
	d.a2a = p.a2aFix + p.a2aTok*tok
	if c, m := p.attnDecC, p.attnDecM; c >= 0 && m >= 0 && !math.IsInf(c, 0) && !math.IsInf(m, 0) {
		d.attn, d.attnOne = max(c, m), true
	}
	return d
}

// Time is the step time in ns of the batch at total context ctx.
func (d *DecodeSteps) Time(ctx int64) int64 {
	p := d.p
	if d.dec == 0 || p.spec.on {
		return p.StepTime(Step{DecodeSeqs: d.n, DecodeCtx: ctx})
	}
	decCtx := float64(max(ctx, 0))
	tok := d.dec
	var attn float64
	if d.attnOne {
		attn = float64(d.attn * decCtx) // the conversion rounds: never fused into the sum
	} else {
		attn = max(p.attnDecC*decCtx*1, p.attnDecM*decCtx)
	}
	compute := d.pre + attn +
		p.elem*tok + p.commTok*tok
	return toNs(p.finish(compute, d.expT, d.a2a))
}

// AppendEnds appends to dst the end times of k consecutive steps, the
// first starting at t with total context ctx and each of the others with
// dctx more context than the one before it: step i ends
// max(Time(ctx+i·dctx), 1) ns after step i-1, exactly as k calls of Time
// give it. A decode span is planned this way (billions of steps in a long
// run): in the common case (dense, one attention slope, no speculative
// decoding) the step time is evaluated here, its operands kept in
// registers and every operation in Time's order, so that the result is
// the same bit for bit (TestAppendEndsEqualsTime).
func (d *DecodeSteps) AppendEnds(dst []int64, t, ctx, dctx int64, k int) []int64 {
	p := d.p
	if d.dec == 0 || p.spec.on || !d.attnOne || p.a2aTok != 0 {
		for i := 0; i < k; i++ {
			t += max(d.Time(ctx+int64(i)*dctx), 1)
			dst = append(dst, t)
		}
		return dst
	}
	pre, attnK, tok, elem, commTok := d.pre, d.attn, d.dec, p.elem, p.commTok
	fixed, expT := p.fixed, d.expT
	for i := 0; i < k; i++ {
		decCtx := float64(max(ctx+int64(i)*dctx, 0))
		attn := float64(attnK * decCtx) // the conversion rounds: never fused into the sum (as Time)
		compute := pre + attn +
			elem*tok + commTok*tok
		t += max(toNs(fixed+compute+expT), 1) // p.finish when a2aTok == 0
		dst = append(dst, t)
	}
	return dst
}

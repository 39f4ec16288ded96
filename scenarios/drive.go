package scenarios

// Drive runs a workload against a zero-latency server: every request
// completes at its arrival time with its requested output length, and the
// follow-ups that completions release (agent turns, sub-agents, closed-loop
// users' next tasks) are merged with the top-level stream in time order.
// fn sees each request once, in nondecreasing Arrival order (ties: top-level
// stream first, then follow-ups in the order they were released). limit > 0
// stops after that many requests; with limit <= 0 it runs until the
// workload ends, which a closed loop with zero think time never does under
// zero latency (time cannot advance), so bound such runs. Drive returns the workload's error, if any.
//
// sample, stats and tests use it; the simulator and runner schedule
// follow-ups themselves.
func Drive(w *Workload, limit int, fn func(*Request)) error {
	var pending followups
	var next *Request
	have := false
	count := 0
	for limit <= 0 || count < limit {
		if !have {
			next, have = w.Next()
		}
		var r *Request
		switch {
		case have && (len(pending.h) == 0 || next.Arrival <= pending.h[0].r.Arrival):
			r, have = next, false
		case len(pending.h) > 0:
			r = pending.pop()
		default:
			return w.Err()
		}
		fn(r)
		count++
		if r.Task != nil {
			more, _ := r.Task.Complete(r, r.Arrival, r.OutputTokens)
			for _, m := range more {
				pending.push(m)
			}
		}
	}
	return w.Err()
}

// followups is a min-heap of released requests by (Arrival, release order).
type followups struct {
	h   []pendingReq
	seq uint64
}

type pendingReq struct {
	r   *Request
	seq uint64
}

func (f *followups) less(i, j int) bool {
	a, b := f.h[i], f.h[j]
	if a.r.Arrival != b.r.Arrival {
		return a.r.Arrival < b.r.Arrival
	}
	return a.seq < b.seq
}

func (f *followups) push(r *Request) {
	f.seq++
	f.h = append(f.h, pendingReq{r, f.seq})
	for i := len(f.h) - 1; i > 0; {
		p := (i - 1) / 2
		if !f.less(i, p) {
			break
		}
		f.h[i], f.h[p] = f.h[p], f.h[i]
		i = p
	}
}

func (f *followups) pop() *Request {
	top := f.h[0].r
	n := len(f.h) - 1
	f.h[0] = f.h[n]
	f.h[n] = pendingReq{}
	f.h = f.h[:n]
	for i := 0; ; {
		l, m := 2*i+1, i
		if l < n && f.less(l, m) {
			m = l
		}
		if l+1 < n && f.less(l+1, m) {
			m = l + 1
		}
		if m == i {
			return top
		}
		f.h[i], f.h[m] = f.h[m], f.h[i]
		i = m
	}
}

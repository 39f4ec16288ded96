package sim

// link is the inbound network path of one decode instance. Concurrent KV
// transfers share its bandwidth equally (processor sharing); each transfer
// also pays a fixed setup latency, modelled as extra bytes at full rate.
//
// The fleet keeps its links in one array (fleet.links), one 64-byte line
// each: the event loop finds a transfer event's link by address
// arithmetic, without first loading its pointer from an array that is
// itself cache-cold at thousands of links, and a link reaches its decode
// instance through dst, not decode.insts (another cold array: 1.1 s of
// the platform-hour 20-minute cut's ~100 s loop in link.fire).
type link struct {
	idx     int32
	gen     uint32
	bw      float64 // bytes/s
	latency int64   // ns
	last    int64
	active  []*seqState
	dst     *instance // the decode instance it feeds (decode.insts[idx], without a cold array read)
}

// progress drains every active transfer up to now.
func (l *link) progress(now int64) {
	if n := len(l.active); n > 0 && now > l.last {
		per := float64(now-l.last) * l.bw / 1e9 / float64(n)
		for _, s := range l.active {
			s.xferBytes -= per
		}
	}
	l.last = now
}

func (l *link) add(e *engine, s *seqState, bytes float64) {
	l.progress(e.now)
	s.xferBytes = bytes + float64(l.latency)*l.bw/1e9
	l.active = append(l.active, s)
	l.reschedule(e)
}

// reschedule plans the event for the earliest finishing transfer.
func (l *link) reschedule(e *engine) {
	l.gen++
	if len(l.active) == 0 {
		return
	}
	least := l.active[0].xferBytes
	for _, s := range l.active[1:] {
		least = min(least, s.xferBytes)
	}
	dt := int64(max(least, 0)*float64(len(l.active))/l.bw*1e9) + 1 // +1 ns: never early
	e.q.push(event{at: e.now + dt, kind: evTransfer, idx: l.idx, gen: l.gen})
}

// fire completes the transfers that have drained.
func (l *link) fire(e *engine) {
	l.progress(e.now)
	j := 0
	var done []*seqState
	for _, s := range l.active {
		if s.xferBytes <= 1 {
			done = append(done, s)
			continue
		}
		l.active[j] = s
		j++
	}
	clear(l.active[j:])
	l.active = l.active[:j]
	l.reschedule(e)
	for _, s := range done {
		e.fleet.transferDone(e, l.dst, s)
	}
}

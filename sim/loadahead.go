package sim

import (
	"unsafe"

	"github.com/fleetbench/fleetbench/internal/prefetch"
)

// At 10,000 instances and one request per second each, every instance's
// state is cold when its next step event fires: the instance struct, its
// span's step ends, its decode heap and gap log are cache misses, taken
// one after another as the step is applied (each load's address comes
// from the one before). loadAhead overlaps them with the work of the
// events before: while event i runs, the lines of the instance of event
// i+2 are requested, and for event i+1, whose instance lines were
// requested one event ago, the arrays they point to. It reads only what
// the queue and those instances hold and changes nothing: results are the
// same with it or without it, only the memory arrives earlier.

// loadAheadMin is the fleet size from which the event loop loads ahead:
// a small fleet's instances stay in the caches, where the prefetches
// would be pure overhead. (A variable: tests turn it on for small fleets.)
var loadAheadMin = 128

// stepLines is how many of an instance's lines a step reads: all but the
// last, which holds its inbound link and name (read when a transfer
// starts or a request is routed to it, never by a step).
const stepLines = (unsafe.Offsetof(instance{}.link) + 63) / 64

// loadAhead requests the memory of the next two step events' instances.
func (e *engine) loadAhead() {
	h := e.q.h
	n := len(h) - rootAt
	if n <= 0 {
		return
	}
	f := e.fleet
	if x := &h[rootAt]; eventKind(x.key) == evStep {
		in := f.inst(x.idx)
		in.loadDeps()
		if x.s != nil {
			x.s.loadStepDeps(in)
		}
	}
	if n < 2 {
		return
	}
	// The event after the root is the least of the root's children
	// (at most four, in one aligned pair of lines); ties between equal
	// times need not be broken: this is a guess, any event will do.
	m := rootAt + 1
	for k := m + 1; k < rootAt+min(5, n); k++ {
		if h[k].at < h[m].at {
			m = k
		}
	}
	switch x := &h[m]; eventKind(x.key) {
	case evStep:
		prefetch.Lines(unsafe.Pointer(f.inst(x.idx)), 0, stepLines)
		if x.s != nil {
			prefetch.Lines(unsafe.Pointer(x.s), 0, hotSeqLines)
		}
	case evTransfer:
		prefetch.Line(unsafe.Pointer(&f.links[x.idx]))
	}
}

// A step's event carries the sequence its end reads first (schedule):
// a completing decoder, whose completion reads its first two lines
// (seqState's hot lines), or a mixed step's first prefilling sequence,
// which also has its prefill counts, hashes and record fields read in the
// next four. The first two are requested two events ahead, with the
// instance; the rest one event ahead, once the instance says the step is
// mixed.
const (
	hotSeqLines     = 2
	prefillSeqLines = 6
)

// loadStepDeps requests, for a step of in whose hinted sequence is s (its
// first lines requested one event ago), what the step's end reads through
// s: its block table (Publish's or Release's first read) and, for a mixed
// step, the rest of s's prefill fields, the prefill list and the first of
// its prompt hashes.
func (s *seqState) loadStepDeps(in *instance) {
	if s.kv != nil {
		prefetch.Line(unsafe.Pointer(s.kv))
	}
	if !in.mixed {
		return
	}
	prefetch.Lines(unsafe.Pointer(s), hotSeqLines, prefillSeqLines)
	if len(in.prefill) > 0 {
		prefetch.Line(unsafe.Pointer(&in.prefill[0]))
	}
	if len(s.hashes) > 0 {
		prefetch.Line(unsafe.Pointer(&s.hashes[0]))
	}
}

// loadDeps requests what a step of in reads through its pointers: the
// span's step ends, the decode heap's top, the gap log's tail chunk, the
// residue counts and the list of nonzero residues (blocksAt) and the
// per-class counts (chargeDecoders). Each address comes from the instance
// struct itself (requested one event earlier): one read through a cold
// array here (the tail as d.log[i]) made the loop wait for it, 5% of the
// CPU at 10,000 instances.
func (in *instance) loadDeps() {
	if k := in.span; k > 0 && k <= len(in.spanEnds) {
		prefetch.Line(unsafe.Pointer(&in.spanEnds[0]))
		prefetch.Line(unsafe.Pointer(&in.spanEnds[k-1]))
	}
	d := &in.dec
	if len(d.h) > 0 {
		prefetch.Line(unsafe.Pointer(&d.h[0]))
	}
	if d.tail != nil {
		prefetch.Line(unsafe.Pointer(&d.tail.g[d.nGaps%gapChunkLen]))
	}
	if len(d.resid) > 0 {
		prefetch.Line(unsafe.Pointer(&d.resid[0]))
	}
	if len(d.nz) > 0 {
		prefetch.Line(unsafe.Pointer(&d.nz[0]))
	}
	if len(d.cls) > 0 {
		prefetch.Line(unsafe.Pointer(&d.cls[0]))
	}
}

// routedLines is how many of an instance's first lines routing reads (the
// fields of inflight, load and state; see instance).
const routedLines = 3

// loadHead requests the lines of in that routing reads, for a candidate
// picked at random: the candidates' misses then overlap with each other
// and with the prompt's index lookups.
func (in *instance) loadHead() {
	prefetch.Lines(unsafe.Pointer(in), 0, routedLines)
}

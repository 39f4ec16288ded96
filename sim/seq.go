package sim

import (
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/kvcache"
)

// seqState is the simulator's view of one request while it is in flight.
type seqState struct {
	req    *scenarios.Request
	rec    results.Record
	hashes []uint64 // chain hashes of the prompt's complete KV blocks
	itl    itlRange // gaps taken from a decode batch, not yet in rec.ITL (itl.go)

	inst *instance    // instance that currently holds the sequence
	kv   *kvcache.Seq // block table on inst

	// Disaggregated mode: the prefill instance keeps its KV pinned until the
	// transfer to the decode instance completes.
	prefillInst *instance
	prefillKV   *kvcache.Seq
	xferBytes   float64 // bytes still to move
	xferStart   int64

	prefillTarget int // tokens whose KV must be computed before decoding
	computed      int // tokens whose KV exists (including cache hits)
	chunk         int // prefill tokens scheduled in the current step
	generated     int // output tokens emitted so far
	target        int // output tokens requested (at least 1)
	lastTok       int64
	firstGap      int64 // gap to the first token of the current decode residency
	started       bool  // first prefill step has begun (queue time recorded)
	task          bool  // req.Task != nil, read without touching the request (often cache-cold by now)
	admitSeq      uint64
	classIdx      int

	// expectHit is the prompt tokens the router found cached on the
	// instance it chose: while s waits for admission they do not count as
	// that instance's queued prefill work (its routing load).
	expectHit int

	// Decoding-batch bookkeeping (see decoders).
	joinClock, base, doneAt, ownBlocks int64
	gen0                               int
	included                           bool // counts in the summary (not warm-up)
}

// newSeqState is r's sequence before it is in flight: its record as sent
// on schedule and, for a request with a prompt, the prompt's block hashes.
// It reads nothing the event loop writes (sum only for its warm-up), so
// the pipeline's producer builds it ahead of the loop (pipeline.go).
func newSeqState(r *scenarios.Request, blockTokens int, sum *results.Summary) *seqState {
	s := &seqState{req: r, target: max(r.OutputTokens, 1), classIdx: r.ClassIndex, task: r.Task != nil}
	s.rec = *results.NewRecord(r, r.Arrival)
	s.rec.Sent, s.rec.TaskStart = r.Arrival, r.TaskStart // sent on schedule
	s.included = sum.Includes(&s.rec)
	if r.Video == nil {
		s.hashes = requestHashes(r, blockTokens)
		s.prefillTarget = r.InputTokens
	}
	return s
}

func (s *seqState) decoding() bool { return s.computed >= s.prefillTarget }

// kvTokens is how many tokens of KV the sequence needs for its next decode
// step: the prompt, plus every emitted token (the newest one's KV is
// written by the step that consumes it).
// (s.rec.InputTokens is the request's: the request itself is often
// cache-cold by the time a sequence decodes.)
func (s *seqState) kvTokens() int { return s.rec.InputTokens + s.generated }

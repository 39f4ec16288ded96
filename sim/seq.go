package sim

import (
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/kvcache"
)

// seqState is the simulator's view of one request while it is in flight.
//
// The fields a decoding sequence's completion reads and writes (the batch
// bookkeeping, the gap range, the instance and block table) come first and
// fill the first two cache lines (TestSeqStateHotLines): a sequence that
// decoded for seconds is cold when it completes, and at 10,000 instances
// each further line it touches then is one more miss. The record, which
// the loop writes at arrival, admission and first token and the
// pipeline's consumer reads, comes last.
type seqState struct {
	// Decoding-batch bookkeeping (see decoders).
	joinClock, base, doneAt int64
	lastTok                 int64
	firstGap                int64 // gap to the first token of the current decode residency
	gen0                    int
	generated               int // output tokens emitted so far
	target                  int // output tokens requested (at least 1)

	inst *instance    // instance that currently holds the sequence
	kv   *kvcache.Seq // block table on inst
	itl  itlRange     // gaps taken from a decode batch, not yet in rec.ITL (itl.go)

	ownBlocks  int32 // blocks held in its own block table when it joined the batch
	classIdx   int16 // < 4,096 classes (scenario validation)
	video      bool  // req.Video != nil: read at arrival without touching the request (its line with Video is cold)
	included   bool  // counts in the summary (not warm-up)
	task       bool  // req.Task != nil, read without touching the request (often cache-cold by now)
	started    bool  // first prefill step has begun (queue time recorded)
	hasITL     bool  // rec.ITL holds gaps already (an earlier residency's, a recomputed prompt's token)
	inflightHs int32 // its prompt hashes counted in engine.inflightHs (track), taken off at finish

	req    *scenarios.Request
	hashes []uint64 // chain hashes of the prompt's complete KV blocks

	// Disaggregated mode: the prefill instance keeps its KV pinned until the
	// transfer to the decode instance completes.
	prefillInst *instance
	prefillKV   *kvcache.Seq
	xferBytes   float64 // bytes still to move
	xferStart   int64

	// requeuedAt is when a retry (its instance failed) put the sequence
	// back in line, while requeued: its next admission adds the wait since
	// to rec.QueueNs, which otherwise holds the first wait only.
	requeuedAt int64
	requeued   bool

	prefillTarget int // tokens whose KV must be computed before decoding
	computed      int // tokens whose KV exists (including cache hits)
	chunk         int // prefill tokens scheduled in the current step
	admitSeq      uint64

	// expectHit is the prompt tokens the router found cached on the
	// instance it chose: while s waits for admission they do not count as
	// that instance's queued prefill work (its routing load).
	expectHit int

	rec results.Record
}

// newSeqState is r's sequence before it is in flight: its record as sent
// on schedule and, for a request with a prompt, the prompt's block hashes.
// It reads nothing the event loop writes (sum only for its warm-up), so
// the pipeline's producer builds it ahead of the loop (pipeline.go).
func newSeqState(r *scenarios.Request, blockTokens int, sum *results.Summary) *seqState {
	s := &seqState{req: r, target: max(r.OutputTokens, 1), classIdx: int16(r.ClassIndex), task: r.Task != nil, video: r.Video != nil}
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

package scenarios

import (
	"errors"
	"io"
	"math"
	"math/rand/v2"
)

// traceEntry is one trace line as the trace source needs it.
type traceEntry struct {
	at      int64 // ns since the trace start, as recorded
	input   int
	output  int
	hashIDs []uint64 // Mooncake block hashes; nil for Azure
	line    int      // 1-based line in the trace file, for messages
}

// traceReader yields trace lines in file order; io.EOF at the end. Errors
// name file:line.
type traceReader interface {
	next() (traceEntry, error)
	io.Closer
}

// traceSource replays a trace class.
//
// Block identity: Mooncake hash id h becomes the block
// blockID(class, purposeTrace, h) (the last block of a request carries the
// remainder of input_length), so equal hash ids are equal blocks, and two
// classes never share blocks. An Azure line has no hash ids: its prompt is one
// fresh block.
//
// rate_scale r: every line is emitted floor(r) times, plus once more with
// probability frac(r) (so r < 1 thins deterministically). Copy 0 keeps the
// trace's own ids; copy c >= 1 is a clone with the same timestamp and lengths
// whose blocks live in their own id space (c in bits 36..47 of the counter),
// i.e. the clones behave like an independent second user population with the
// same sharing structure, not like repeats of the same conversations.
type traceSource struct {
	ci          classInfo
	rd          traceReader
	rng         *rand.Rand
	div         float64 // time divisor: time_scale × workload rate scale
	rateScale   float64
	blockTokens int
	line        uint64 // lines read, for fresh block ids

	cur    traceEntry // line being cloned
	copies int        // copies of cur still to emit
	copyNo int
	e      error
}

func newTraceSourceFrom(ci classInfo, t *TraceSpec, rd traceReader, scale float64, rng *rand.Rand) *traceSource {
	return &traceSource{ci: ci, rd: rd, rng: rng, div: t.TimeScale * scale, rateScale: t.RateScale, blockTokens: t.BlockTokens}
}

func (s *traceSource) next() (*Request, bool) {
	for s.copies == 0 {
		if s.e != nil {
			return nil, false
		}
		e, err := s.rd.next()
		if err != nil {
			if !errors.Is(err, io.EOF) {
				s.e = err
			}
			return nil, false
		}
		s.line++
		s.cur = e
		whole, frac := math.Modf(s.rateScale)
		s.copies = int(whole)
		if frac > 0 && s.rng.Float64() < frac {
			s.copies++
		}
		s.copyNo = 0
	}
	s.copies--
	r := s.request(s.cur, s.copyNo)
	s.copyNo++
	return r, true
}

// maxTraceArrivalNs bounds a replayed arrival (2^62 ns, 146 years): far
// past MaxDuration, well inside int64.
const maxTraceArrivalNs = float64(1 << 62)

// maxTraceBlocks bounds one request's prompt (1M tokens in 512-token blocks
// is 2048 blocks); a malformed line must not allocate without bound.
const maxTraceBlocks = 1 << 16

func (s *traceSource) request(e traceEntry, clone int) *Request {
	r := &Request{Class: s.ci.name, ClassIndex: s.ci.index, Kind: KindTrace, OutputTokens: max(e.output, 1)}
	// In float, clamped: a slow replay (time_scale: 1e-300) of a late line
	// overflowed int64 to a negative arrival that was sent at once (and
	// the simulator panicked, "time went backwards"). A clamped line is
	// past any duration: (validation refuses a replay that would reach it).
	r.Arrival = int64(min(float64(e.at)/s.div, maxTraceArrivalNs))
	r.TaskStart = r.Arrival
	input := max(e.input, 1)
	n := min(len(e.hashIDs), maxTraceBlocks)
	if n == 0 {
		r.Prompt = []Block{{ID: blockID(s.ci.index, purposeTraceFresh, uint64(clone)<<36|s.line), Tokens: int32(min(input, 1<<30)), Role: RoleUser}}
		r.InputTokens = int(r.Prompt[0].Tokens)
		return r
	}
	r.Prompt = make([]Block, n)
	rest := input
	for i := range n {
		tok := s.blockTokens
		if i == n-1 {
			tok = max(rest, 1) // the last block carries the remainder
		}
		rest -= tok
		r.Prompt[i] = Block{ID: blockID(s.ci.index, purposeTrace, uint64(clone)<<36|e.hashIDs[i]&(1<<36-1)), Tokens: int32(min(tok, 1<<30)), Role: RoleUser}
		r.InputTokens += int(r.Prompt[i].Tokens)
	}
	return r
}

func (s *traceSource) err() error { return s.e }
func (s *traceSource) close() error {
	if s.rd == nil {
		return nil
	}
	err := s.rd.Close()
	s.rd = nil
	return err
}

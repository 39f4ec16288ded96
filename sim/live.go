package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/kvcache"
)

// Live drives the simulator from outside, one request at a time, for a
// wall-clock shell such as the emulated endpoint: the shell maps wall time
// to virtual time, submits requests as they arrive and advances the
// engine; hooks report every token and completion as the engine produces
// them. Live itself stays pure and single-threaded: the shell serialises
// calls.
type Live struct {
	e *engine
}

// LiveHooks receive the engine's output. Token is called once per output
// token of request id at virtual time at; Done once per request with its
// final record (ErrorClass set on failure). Both run inside Submit or
// AdvanceTo and must not call back into Live.
type LiveHooks struct {
	Token func(id uint64, at int64)
	Done  func(rec *results.Record)
}

// LiveGauges are the engine's current state, for a /metrics endpoint.
type LiveGauges struct {
	Running, Waiting   int
	KVUsage            float64 // pinned blocks / capacity over the LLM pools
	PrefixHitTokens    int64   // prompt tokens served from the prefix cache
	PrefixQueryTokens  int64   // prompt tokens looked up
	Preemptions        uint64
	RequestsDone       uint64
	VideoQueue, Videos int
}

// NewLive builds a live engine for sc's classes on cfg's fleet. Decode is
// simulated step by step (no spans), so tokens surface at their own times.
func NewLive(sc *scenarios.Scenario, cfg Config, hooks LiveHooks) (*Live, error) {
	cfg.MaxSpanSteps = 1
	e, err := newEngine(sc, emptySource{}, sc.Seed, cfg)
	if err != nil {
		return nil, &ConfigError{Err: err}
	}
	if hooks.Token != nil {
		e.onToken = func(s *seqState, at int64) { hooks.Token(s.req.ID, at) }
	}
	e.onDone = hooks.Done
	// An autoscaler that runs or random failures act on an idle fleet too (scaling
	// it down, failing its instances), and serve's traffic can come back
	// at any time: their ticks, and the timeline samples that record
	// them, go on while idle (a batch run stops them once no request is
	// in flight or due, or the event queue would never empty). A serve
	// that idled through one autoscaler tick had stopped scaling for
	// good.
	e.alwaysTicking = e.fleet.failRng != nil || slices.ContainsFunc(e.fleet.pools, func(p *pool) bool { return p.scaler != nil })
	return &Live{e: e}, nil
}

// SetWarmupEnd makes tasks arriving before t (virtual ns) warm-up: serve
// calls it at its first request with the run's warm-up added, so that its
// result measures what the client measures, not the scenario's warm-up
// counted from the server's start. Call it before the first Submit.
func (l *Live) SetWarmupEnd(t int64) {
	l.e.sc = l.e.sc.WithWarmup(time.Duration(max(t, 0)))
	l.e.summary.SetWarmup(max(t, 0))
}

// Now is the virtual time the engine has reached, ns.
func (l *Live) Now() int64 { return l.e.now }

// Submit schedules r at r.Arrival, which must not be earlier than Now.
// r.Class must name one of the scenario's classes.
func (l *Live) Submit(r *scenarios.Request) error {
	ci, ok := l.e.classIndex[r.Class]
	if !ok {
		return fmt.Errorf("unknown class %q", r.Class)
	}
	if r.Arrival < l.e.now {
		return fmt.Errorf("request %d arrives at %d ns, before the engine's time %d ns", r.ID, r.Arrival, l.e.now)
	}
	if r.Video == nil && len(l.e.fleet.pools) == 0 || r.Video != nil && l.e.fleet.video == nil {
		return fmt.Errorf("the fleet has no pool for a %s request", r.Kind)
	}
	r.ClassIndex = ci
	l.e.q.push(event{at: r.Arrival, kind: evArrival, s: l.e.newSeq(r)})
	return nil
}

// NextEvent is the virtual time of the next event; ok is false when idle.
func (l *Live) NextEvent() (at int64, ok bool) { return l.e.q.peekTime() }

// AdvanceTo runs every event up to and including virtual time t, then sets
// the clock to t.
func (l *Live) AdvanceTo(t int64) error {
	l.e.runUntil(t)
	if t > l.e.now {
		l.e.advance(t)
	}
	return l.e.err
}

// Gauges reports the current state.
func (l *Live) Gauges() LiveGauges {
	e := l.e
	g := LiveGauges{PrefixHitTokens: e.cachedTokens, PrefixQueryTokens: e.promptTokens,
		Preemptions: e.stats.Preemptions, RequestsDone: e.stats.Requests}
	var used, capacity int
	for _, in := range e.fleet.instances {
		g.Running += in.active()
		g.Waiting += in.waiting.len()
		used += in.cache.Used()
		capacity += in.cache.Capacity()
	}
	if capacity > 0 {
		g.KVUsage = float64(used) / float64(capacity)
	}
	if v := e.fleet.video; v != nil {
		g.VideoQueue = v.queue.len()
		g.Videos = len(v.insts) - len(v.idle)
	}
	return g
}

// BlockTokens is the KV block size, so a shell can hash request text into
// blocks of the same granularity.
func (l *Live) BlockTokens() int { return l.e.cfg.BlockTokens }

// ContextTokens is the served model's context length (maximum model
// length, prompt plus output tokens); 0 when unknown.
func (l *Live) ContextTokens() int { return l.e.fleet.contextTokens }

// Result summarises everything completed so far.
func (l *Live) Result() *results.Result { return l.e.result() }

// hashPrompt appends the KV block hashes of a workload prompt to dst,
// passing the cache plain (id, tokens) pairs.
func hashPrompt(p []scenarios.Block, blockTokens int, dst []uint64) []uint64 {
	hs := kvcache.NewHasher(blockTokens)
	for _, b := range p {
		dst = hs.Add(dst, b.ID, int(b.Tokens))
	}
	return dst
}

// requestHashes is r's prompt block hashes in a slice sized for its
// complete blocks: one allocation, not a slice grown block by block.
func requestHashes(r *scenarios.Request, blockTokens int) []uint64 {
	return hashPrompt(r.Prompt, blockTokens, make([]uint64, 0, r.InputTokens/blockTokens))
}

type emptySource struct{}

func (emptySource) Next() (*scenarios.Request, bool) { return nil, false }
func (emptySource) Err() error                       { return nil }
func (emptySource) Close() error                     { return nil }

package scenarios

import (
	"math/rand/v2"
	"sync"

	"github.com/fleetbench/fleetbench/scenarios/dist"
)

// Limits that keep a heavy-tailed distribution from producing a session no
// server could hold; validation rejects specs whose bound or mean exceeds
// them, so only rare tail draws are clamped (docs/scenarios.md, Limits).
const (
	maxTurns    = MaxTurns
	maxChildren = MaxSubagents
)

// agentMaker builds agent sessions of one class.
type agentMaker struct {
	ci                                   classInfo
	input, output, turns, appendS, toolS dist.Sampler
	prefix                               []Block // shared by every session; nil = none
	sub                                  *subModel
}

// subModel is the resolved sub-agent fan-out of a class.
type subModel struct {
	prob                                       float64
	count, turns, task, appendS, output, toolS dist.Sampler
	prefix                                     []Block // shared by every sub-agent of the class
	maxDepth                                   int
}

func newAgentMaker(ci classInfo, c *Class, baseDir string, rng *rand.Rand) (*agentMaker, error) {
	a := c.Agent
	m := &agentMaker{ci: ci}
	specs := []struct {
		dst  *dist.Sampler
		spec *dist.Spec
	}{{&m.input, c.Input}, {&m.output, c.Output}, {&m.turns, &a.Turns}, {&m.appendS, &a.Append}, {&m.toolS, &a.ToolS}}
	for _, s := range specs {
		var err error
		if *s.dst, err = s.spec.New(baseDir); err != nil {
			return nil, err
		}
	}
	if a.SharedPrefix != nil {
		ps, err := a.SharedPrefix.New(baseDir)
		if err != nil {
			return nil, err
		}
		m.prefix = []Block{{ID: blockID(ci.index, purposeAgentPrefix, 0), Tokens: int32(dist.Tokens(ps, rng)), Role: RoleSystem}}
	}
	if sa := a.Subagents; sa != nil {
		sm := &subModel{prob: sa.Probability, maxDepth: sa.MaxDepth, appendS: m.appendS, output: m.output, toolS: m.toolS}
		specs := []struct {
			dst  *dist.Sampler
			spec *dist.Spec
		}{{&sm.count, &sa.Count}, {&sm.turns, &sa.Turns}, {&sm.task, &sa.Task}, {&sm.appendS, sa.Append}, {&sm.output, sa.Output}, {&sm.toolS, sa.ToolS}}
		for _, s := range specs {
			if s.spec == nil {
				continue // inherits the parent's sampler
			}
			var err error
			if *s.dst, err = s.spec.New(baseDir); err != nil {
				return nil, err
			}
		}
		if sa.SharedPrefix != nil {
			ps, err := sa.SharedPrefix.New(baseDir)
			if err != nil {
				return nil, err
			}
			sm.prefix = []Block{{ID: blockID(ci.index, purposeSubPrefix, 0), Tokens: int32(dist.Tokens(ps, rng)), Role: RoleSystem}}
		}
		m.sub = sm
	}
	return m, nil
}

// session is one agent (sub-)session. All sessions of one task share the
// root's mutex, so a runner may complete requests of different sub-agents
// from different goroutines.
type session struct {
	m      *agentMaker
	root   *session
	parent *session
	user   *closedUser // closed loop: starts the next task when this one ends
	mu     sync.Mutex  // root only
	rng    *rand.Rand
	key    uint64   // identity for block and request ids
	hashed bool     // block counters are hashes of key (sub-agent or closed-loop sessions)
	first  *Request // root: the task's first request (its ID is the TaskID)

	depth, turns, turn int
	ctx                []Block // the growing context; requests hold prefixes of it
	tokens             int     // sum of ctx tokens
	appendS, output    dist.Sampler
	toolS              dist.Sampler
	childIdx           int
	pending            int     // children still running
	results            []Block // children's final outputs, by child index
	lastOut            int
	joinAt             int64 // latest completion among the running children
	done               bool
}

func (m *agentMaker) first(rng *rand.Rand, t int64, n uint64, u *closedUser) *Request {
	s := &session{m: m, user: u, key: n, hashed: u != nil,
		rng:     rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())),
		appendS: m.appendS, output: m.output, toolS: m.toolS}
	s.root = s
	s.turns = clampTurns(dist.Tokens(m.turns, s.rng))
	s.ctx = make([]Block, 0, len(m.prefix)+1+2*s.turns)
	for _, b := range m.prefix {
		s.add(b)
	}
	s.add(Block{ID: s.blockID(purposeFirst, 0), Tokens: int32(dist.Tokens(m.input, s.rng)), Role: RoleUser})
	r := s.request(t)
	s.first = r
	return r
}

func clampTurns(n int) int { return min(max(n, 1), maxTurns) }

func (s *session) add(b Block) {
	s.ctx = append(s.ctx, b)
	s.tokens += int(b.Tokens)
}

// blockID is the id of this session's block of purpose at turn.
func (s *session) blockID(purpose uint64, turn int) uint64 {
	if !s.hashed && s.key < 1<<32 && turn < 1<<16 {
		return blockID(s.m.ci.index, purpose, s.key<<16|uint64(turn))
	}
	return blockID(s.m.ci.index, purposeSubSession, hash2(s.key, purpose<<32|uint64(turn)))
}

// request is the request of the current turn, sent at t.
func (s *session) request(t int64) *Request {
	n := len(s.ctx)
	r := &Request{
		Class: s.m.ci.name, ClassIndex: s.m.ci.index, Kind: KindAgent, Arrival: t,
		Prompt:       s.ctx[:n:n], // capped: an append by a consumer cannot reach the session's array
		InputTokens:  s.tokens,
		OutputTokens: dist.Tokens(s.output, s.rng),
		Task:         s, Turn: s.turn, Depth: s.depth, TaskStart: t,
	}
	if s.root.first != nil { // not the task's first request
		r.ID = followupID(hash2(uint64(s.m.ci.index)<<8|uint64(s.depth), s.key), uint64(s.turn))
		r.TaskID = s.root.first.TaskID
		r.TaskStart = s.root.first.Arrival
	}
	return r
}

// Complete implements Task: it appends the turn's actual output to the
// context and returns the next turn, the sub-agents a turn spawns, or the
// parent's next turn once its last sub-agent finished.
func (s *session) Complete(r *Request, at int64, outputTokens int) ([]*Request, bool) {
	s.root.mu.Lock()
	defer s.root.mu.Unlock()
	if s.done || r == nil || r.Task != Task(s) || r.Turn != s.turn || s.pending > 0 {
		return nil, false // not this session's outstanding request: ignore rather than corrupt
	}
	out := max(outputTokens, 0)
	if out > 0 {
		s.add(Block{ID: s.blockID(purposeOutput, s.turn), Tokens: int32(min(out, 1<<30)), Role: RoleAssistant})
	}
	s.lastOut = out
	if s.turn+1 >= s.turns {
		s.done = true
		return s.finish(at)
	}
	if sm := s.m.sub; sm != nil && s.depth < sm.maxDepth && s.rng.Float64() < sm.prob {
		return s.spawn(sm, at), false
	}
	s.turn++
	s.add(Block{ID: s.blockID(purposeAppend, s.turn), Tokens: int32(dist.Tokens(s.appendS, s.rng)), Role: RoleTool})
	return []*Request{s.request(at + seconds(s.toolS.Sample(s.rng)))}, false
}

// spawn starts k parallel sub-agents; the parent waits for all of them.
func (s *session) spawn(sm *subModel, at int64) []*Request {
	k := min(dist.Tokens(sm.count, s.rng), maxChildren)
	s.pending = k
	s.results = make([]Block, k)
	reqs := make([]*Request, k)
	for i := range k {
		c := &session{m: s.m, root: s.root, parent: s, childIdx: i, depth: s.depth + 1, hashed: true,
			key:     hash2(s.key^uint64(s.depth)<<56, uint64(s.turn)<<16|uint64(i)),
			rng:     rand.New(rand.NewPCG(s.rng.Uint64(), s.rng.Uint64())),
			appendS: sm.appendS, output: sm.output, toolS: sm.toolS}
		c.turns = clampTurns(dist.Tokens(sm.turns, c.rng))
		c.ctx = make([]Block, 0, len(sm.prefix)+1+2*c.turns)
		for _, b := range sm.prefix {
			c.add(b)
		}
		c.add(Block{ID: c.blockID(purposeSubTask, 0), Tokens: int32(dist.Tokens(sm.task, c.rng)), Role: RoleUser})
		reqs[i] = c.request(at)
	}
	return reqs
}

// finish ends a (sub-)session that completed its last turn.
func (s *session) finish(at int64) ([]*Request, bool) {
	if p := s.parent; p != nil {
		return p.childDone(s, at), false
	}
	if s.user != nil {
		return s.user.afterTask(at), true
	}
	return nil, true
}

// childDone joins a finished sub-agent's final output into the parent's
// context; the last one to finish releases the parent's next turn. Results
// join in child order, not completion order, so the parent's context is the
// same however a runner interleaves the children.
func (s *session) childDone(c *session, at int64) []*Request {
	s.results[c.childIdx] = Block{ID: c.blockID(purposeToolResult, 0), Tokens: int32(min(c.lastOut, 1<<30)), Role: RoleTool}
	s.joinAt = max(s.joinAt, at) // the parent resumes when the slowest child is done
	s.pending--
	if s.pending > 0 {
		return nil
	}
	for _, b := range s.results {
		if b.Tokens > 0 {
			s.add(b)
		}
	}
	s.results = nil
	s.turn++
	t := s.joinAt
	s.joinAt = 0
	return []*Request{s.request(t)}
}

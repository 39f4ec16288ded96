package scenarios

import (
	"math"
	"math/rand/v2"
	"sort"

	"github.com/fleetbench/fleetbench/scenarios/arrival"
	"github.com/fleetbench/fleetbench/scenarios/dist"
)

// maker builds the first request of a new task of one class at time t. rng
// is the stream the task draws from; n is a class-unique task counter (used
// for block ids); u is the closed-loop user that owns the task, or nil.
type maker interface {
	first(rng *rand.Rand, t int64, n uint64, u *closedUser) *Request
}

// classInfo is what every request of a class carries.
type classInfo struct {
	w     *Workload
	index int
	name  string
}

func (w *Workload) newSource(i int, scale float64) (source, error) {
	c := &w.s.Classes[i]
	ci := classInfo{w: w, index: i, name: c.Name}
	arr, draws := w.streams(i)
	if c.Kind == KindTrace {
		return newTraceSource(ci, c.Trace, w.s.baseDir, scale, draws)
	}
	var mk maker
	var err error
	switch c.Kind {
	case KindChat:
		mk, err = newChatMaker(ci, c, w.s.baseDir, draws)
	case KindAgent:
		mk, err = newAgentMaker(ci, c, w.s.baseDir, draws)
	case KindVideo:
		mk = newVideoMaker(ci, c.Video)
	}
	if err != nil {
		return nil, err
	}
	if c.Arrival.IsClosed() {
		think := dist.Fixed(0)
		if c.Arrival.ThinkS != nil {
			think = *c.Arrival.ThinkS
		}
		ts, err := think.New(w.s.baseDir)
		if err != nil {
			return nil, err
		}
		users := max(1, int(math.Round(float64(c.Arrival.Users)*scale)))
		return &closedSource{ci: ci, mk: mk, rng: draws, think: ts, users: users}, nil
	}
	proc, err := c.Arrival.New(arr, scale)
	if err != nil {
		return nil, err
	}
	return &openSource{proc: proc, mk: mk, rng: draws}, nil
}

// openSource is an open-loop class: tasks start at the arrival process's
// times whatever the server does.
type openSource struct {
	proc arrival.Process
	mk   maker
	rng  *rand.Rand
	n    uint64
}

func (s *openSource) next() (*Request, bool) {
	t, ok := s.proc.Next()
	if !ok {
		return nil, false
	}
	s.n++
	return s.mk.first(s.rng, t, s.n, nil), true
}
func (s *openSource) err() error   { return nil }
func (s *openSource) close() error { return nil }

// closedSource starts a closed loop's users. User i starts at
// i/users × mean think time, so a loop does not begin with one synchronized
// burst of N requests; each then issues its next task a think time after the
// previous one completes (closedUser.afterTask).
type closedSource struct {
	ci    classInfo
	mk    maker
	rng   *rand.Rand
	think dist.Sampler
	users int
	i     int
}

func (s *closedSource) next() (*Request, bool) {
	if s.i >= s.users {
		return nil, false
	}
	u := &closedUser{ci: s.ci, mk: s.mk, think: s.think, idx: uint64(s.i),
		rng: rand.New(rand.NewPCG(s.rng.Uint64(), s.rng.Uint64()))}
	t := int64(float64(s.i) / float64(s.users) * s.think.Mean() * 1e9)
	s.i++
	return s.mk.first(u.rng, t, u.counter(), u), true
}
func (s *closedSource) err() error   { return nil }
func (s *closedSource) close() error { return nil }

// closedUser is one user of a closed loop. Its own stream makes what it
// draws independent of how its completions interleave with other users'.
type closedUser struct {
	ci    classInfo
	mk    maker
	rng   *rand.Rand
	think dist.Sampler
	idx   uint64 // user index
	n     uint64 // tasks started so far
}

// counter is a class-unique task counter: user index and task number.
func (u *closedUser) counter() uint64 { return u.idx<<32 | u.n&(1<<32-1) }

// Complete implements Task for chat and video requests of a closed loop:
// each request is its own task, followed by the user's next one.
func (u *closedUser) Complete(r *Request, at int64, _ int) ([]*Request, bool) {
	return u.afterTask(at), true
}

// afterTask starts the user's next task a think time after at, if the
// duration and request cap allow.
func (u *closedUser) afterTask(at int64) []*Request {
	t := at + seconds(u.think.Sample(u.rng))
	if !u.ci.w.claim(t) {
		return nil
	}
	u.n++
	r := u.mk.first(u.rng, t, u.counter(), u)
	r.ID = followupID(hash2(uint64(u.ci.index), u.idx), u.n)
	r.TaskID = r.ID
	return []*Request{r}
}

// chatMaker builds chat requests: [system prompt from the pool, user block].
type chatMaker struct {
	ci     classInfo
	input  dist.Sampler
	output dist.Sampler
	pool   []Block   // one block per pool entry, lengths drawn once
	cum    []float64 // cumulative Zipf weights of pool entries
}

func newChatMaker(ci classInfo, c *Class, baseDir string, rng *rand.Rand) (*chatMaker, error) {
	m := &chatMaker{ci: ci}
	var err error
	if m.input, err = c.Input.New(baseDir); err != nil {
		return nil, err
	}
	if m.output, err = c.Output.New(baseDir); err != nil {
		return nil, err
	}
	if p := c.SystemPrompts; p != nil {
		ts, err := p.Tokens.New(baseDir)
		if err != nil {
			return nil, err
		}
		m.pool = make([]Block, p.Count)
		m.cum = make([]float64, p.Count)
		total := 0.0
		for i := range m.pool {
			m.pool[i] = Block{ID: blockID(ci.index, purposePool, uint64(i)), Tokens: int32(dist.Tokens(ts, rng)), Role: RoleSystem}
			total += math.Pow(float64(i+1), -p.Zipf)
			m.cum[i] = total
		}
	}
	return m, nil
}

// pick draws a pool entry by Zipf popularity (binary search on the
// cumulative weights: O(log count), no allocation).
func pick(cum []float64, rng *rand.Rand) int {
	x := rng.Float64() * cum[len(cum)-1]
	i := sort.SearchFloat64s(cum, x)
	return min(i, len(cum)-1)
}

// chatRequest keeps a request and its two-block prompt in one allocation.
type chatRequest struct {
	Request
	blocks [2]Block
}

func (m *chatMaker) first(rng *rand.Rand, t int64, n uint64, u *closedUser) *Request {
	cr := &chatRequest{}
	r := &cr.Request
	k := 0
	if m.pool != nil {
		cr.blocks[0] = m.pool[pick(m.cum, rng)]
		k = 1
	}
	cr.blocks[k] = Block{ID: blockID(m.ci.index, purposeChatUser, n), Tokens: int32(dist.Tokens(m.input, rng)), Role: RoleUser}
	r.Prompt = cr.blocks[: k+1 : k+1]
	for _, b := range r.Prompt {
		r.InputTokens += int(b.Tokens)
	}
	r.OutputTokens = dist.Tokens(m.output, rng)
	r.Class, r.ClassIndex, r.Kind = m.ci.name, m.ci.index, KindChat
	r.Arrival, r.TaskStart = t, t
	if u != nil {
		r.Task = u
	}
	return r
}

// videoMaker builds clip requests from the class's weighted mix.
type videoMaker struct {
	ci    classInfo
	specs []VideoSpec
	cum   []float64
}

func newVideoMaker(ci classInfo, m *VideoMix) *videoMaker {
	vm := &videoMaker{ci: ci}
	total := 0.0
	for _, c := range m.Mix {
		vm.specs = append(vm.specs, c.Spec())
		total += c.Weight
		vm.cum = append(vm.cum, total)
	}
	return vm
}

// videoRequest keeps a request and its clip spec in one allocation.
type videoRequest struct {
	Request
	spec VideoSpec
}

func (m *videoMaker) first(rng *rand.Rand, t int64, _ uint64, u *closedUser) *Request {
	vr := &videoRequest{}
	i := 0
	if len(m.specs) > 1 {
		i = pick(m.cum, rng)
	}
	vr.spec = m.specs[i]
	r := &vr.Request
	r.Video = &vr.spec
	r.Class, r.ClassIndex, r.Kind = m.ci.name, m.ci.index, KindVideo
	r.Arrival, r.TaskStart = t, t
	if u != nil {
		r.Task = u
	}
	return r
}

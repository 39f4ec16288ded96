package scenarios

import (
	"fmt"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

const agentSrc = `name: a
requests: 200
classes:
  - kind: agent
    arrival: {process: poisson, rate: 2}
    input: {dist: uniform, min: 50, max: 150}
    output: {dist: uniform, min: 10, max: 90}
    agent:
      turns: {dist: uniform, min: 2, max: 10}
      shared_prefix: 1000
      append: {dist: uniform, min: 100, max: 300}
      tool_s: {dist: exponential, mean: 2}
      subagents:
        probability: 0.3
        count: {dist: uniform, min: 1, max: 4}
        turns: {dist: uniform, min: 1, max: 4}
        shared_prefix: 500
        task: 100
        max_depth: 2
`

// actualOut is what the fake server "generates": not the requested length,
// so the test sees that the context uses the actual count.
func actualOut(r *Request) int { return r.OutputTokens/2 + 1 }

// run drives w like a server with zero latency, completing outstanding
// requests in the order pick chooses, and returns every request.
func run(t *testing.T, w *Workload, pick func(n int) int) []*Request {
	var all, outstanding []*Request
	for r, ok := w.Next(); ok; r, ok = w.Next() {
		outstanding = append(outstanding, r)
		for len(outstanding) > 0 {
			i := pick(len(outstanding))
			r := outstanding[i]
			outstanding = slices.Delete(outstanding, i, i+1)
			all = append(all, r)
			next, _ := r.Task.Complete(r, r.Arrival, actualOut(r))
			for _, n := range next {
				require.GreaterOrEqual(t, n.Arrival, r.Arrival)
			}
			outstanding = append(outstanding, next...)
		}
	}
	return all
}

func TestAgentContextGrowth(t *testing.T) {
	s := mustParse(t, agentSrc)
	all := run(t, mustWorkload(t, s, WorkloadOptions{}), func(int) int { return 0 })
	prev := map[Task]*Request{} // previous request of each (sub-)session
	prefix := uint64(0)
	tasks := map[uint64]bool{}
	subs := 0
	for _, r := range all {
		require.Equal(t, KindAgent, r.Kind)
		sum := 0
		for _, b := range r.Prompt {
			sum += int(b.Tokens)
		}
		require.Equal(t, sum, r.InputTokens)
		if r.Depth == 0 {
			// Every root session starts with the class's shared prefix.
			if prefix == 0 {
				prefix = r.Prompt[0].ID
			}
			require.Equal(t, prefix, r.Prompt[0].ID)
			require.EqualValues(t, 1000, r.Prompt[0].Tokens)
		} else {
			require.NotEqual(t, prefix, r.Prompt[0].ID, "sub-agents have their own prefix")
			require.EqualValues(t, 500, r.Prompt[0].Tokens)
			if r.Turn == 0 {
				subs++
			}
		}
		p, seen := prev[r.Task]
		if !seen {
			require.Equal(t, 0, r.Turn)
			if r.Depth == 0 {
				require.False(t, tasks[r.TaskID], "a task id names one task")
				tasks[r.TaskID] = true
			} else {
				require.True(t, tasks[r.TaskID], "sub-agents carry their root's task id")
			}
		} else {
			require.Equal(t, p.Turn+1, r.Turn)
			require.Equal(t, p.TaskID, r.TaskID)
			// turn k = turn k-1's prompt + its actual output + new blocks.
			n := len(p.Prompt)
			require.Equal(t, p.Prompt, r.Prompt[:n])
			out := r.Prompt[n]
			require.Equal(t, RoleAssistant, out.Role)
			require.EqualValues(t, actualOut(p), out.Tokens)
			require.Greater(t, len(r.Prompt), n+1, "new tokens follow the output")
			for _, b := range r.Prompt[n+1:] {
				require.Equal(t, RoleTool, b.Role)
			}
		}
		prev[r.Task] = r
	}
	require.Len(t, tasks, 200)
	require.Greater(t, subs, 50, "fan-out happens")
}

func TestAgentSubagentJoin(t *testing.T) {
	s := mustParse(t, agentSrc)
	w := mustWorkload(t, s, WorkloadOptions{})
	// Drive by hand, recording which parent request spawned which children
	// and each child's last request.
	spawned := map[*Request][]*Request{} // parent request -> children's first requests
	last := map[Task]*Request{}
	next := map[*Request]*Request{} // parent request -> its session's next request
	var queue []*Request
	for r, ok := w.Next(); ok; r, ok = w.Next() {
		queue = append(queue, r)
		for len(queue) > 0 {
			r := queue[0]
			queue = queue[1:]
			last[r.Task] = r
			more, _ := r.Task.Complete(r, r.Arrival, actualOut(r))
			for _, m := range more {
				if m.Depth == r.Depth+1 && m.Turn == 0 {
					spawned[r] = append(spawned[r], m)
				}
				if m.Task == r.Task {
					next[r] = m
				}
				// A child's completion can release its parent's next turn.
				for p, kids := range spawned {
					for _, k := range kids {
						if k.Task == r.Task && m.Task == p.Task && m.Depth == p.Depth {
							next[p] = m
						}
					}
				}
			}
			queue = append(queue, more...)
		}
	}
	joins := 0
	for p, kids := range spawned {
		r := next[p]
		require.NotNil(t, r, "the parent resumes after its children")
		newBlocks := r.Prompt[len(p.Prompt)+1:]
		require.Len(t, newBlocks, len(kids), "one tool block per child")
		for j, k := range kids {
			final := last[k.Task]
			require.Equal(t, RoleTool, newBlocks[j].Role)
			require.EqualValues(t, actualOut(final), newBlocks[j].Tokens, "child %d's final output, in child order", j)
			require.GreaterOrEqual(t, r.Arrival, final.Arrival, "the parent waits for every child")
			require.Equal(t, p.TaskID, k.TaskID)
		}
		joins++
	}
	require.Greater(t, joins, 10)
}

// TestAgentCompletionOrderIrrelevant: a runner that completes outstanding
// requests in another order (LIFO vs FIFO) sees exactly the same requests.
func TestAgentCompletionOrderIrrelevant(t *testing.T) {
	s := mustParse(t, agentSrc)
	canon := func(all []*Request) []string {
		out := make([]string, len(all))
		for i, r := range all {
			out[i] = fmt.Sprintf("%x %d %d %d %v", r.ID, r.Arrival, r.OutputTokens, r.TaskID, r.Prompt)
		}
		sort.Strings(out)
		return out
	}
	fifo := canon(run(t, mustWorkload(t, s, WorkloadOptions{}), func(int) int { return 0 }))
	lifo := canon(run(t, mustWorkload(t, s, WorkloadOptions{}), func(n int) int { return n - 1 }))
	require.Equal(t, fifo, lifo)
	ids := map[string]bool{}
	for _, l := range fifo {
		id := l[:16]
		require.False(t, ids[id], "request ids are unique")
		ids[id] = true
	}
}

func TestAgentMisuseIgnored(t *testing.T) {
	s := mustParse(t, agentSrc)
	w := mustWorkload(t, s, WorkloadOptions{})
	r, ok := w.Next()
	require.True(t, ok)
	next, done := r.Task.Complete(r, r.Arrival, 5)
	require.False(t, done)
	// Completing the same request twice must not corrupt the session.
	again, done2 := r.Task.Complete(r, r.Arrival, 5)
	require.Nil(t, again)
	require.False(t, done2)
	require.NotEmpty(t, next)
}

const closedSrc = `name: c
duration: 20s
classes:
  - kind: chat
    arrival: {process: closed, users: 4, think_s: 1}
    input: 10
    output: 5
  - kind: agent
    arrival: {process: closed, users: 2, think_s: 2}
    input: 10
    output: 5
    agent: {turns: 3, append: 10, tool_s: 1}
`

func TestClosedLoop(t *testing.T) {
	s := mustParse(t, closedSrc)
	w := mustWorkload(t, s, WorkloadOptions{})
	perClass := map[string]int{}
	var starts []int64
	require.NoError(t, Drive(w, 0, func(r *Request) {
		perClass[r.Class]++
		require.NotNil(t, r.Task, "closed-loop requests are driven by completions")
		if r.Class == "chat" {
			require.Equal(t, r.ID, r.TaskID, "each chat request is its own task")
			if r.Arrival < 1e9 {
				starts = append(starts, r.Arrival)
			}
		}
	}))
	// 4 users staggered over the first second, then one request per second
	// each (zero service time): ~20 per user in 20 s.
	require.Equal(t, []int64{0, 250e6, 500e6, 750e6}, starts)
	require.InDelta(t, 80, perClass["chat"], 4)
	// Agent users: 3 turns 1 s apart + 2 s think = one task per 4 s: 5 tasks each.
	require.InDelta(t, 2*5*3, perClass["agent"], 3)

	// The request cap bounds closed-loop tasks too.
	w = mustWorkload(t, s, WorkloadOptions{Requests: 10})
	tasks := map[uint64]bool{}
	require.NoError(t, Drive(w, 0, func(r *Request) { tasks[r.TaskID] = true }))
	require.Len(t, tasks, 10)

	// RateScale scales the number of users.
	w = mustWorkload(t, s, WorkloadOptions{RateScale: 2})
	n := 0
	require.NoError(t, Drive(w, 0, func(r *Request) {
		if r.Class == "chat" {
			n++
		}
	}))
	require.InDelta(t, 160, n, 8)
}

func TestSubagentDeterminismAcrossSeeds(t *testing.T) {
	s := mustParse(t, agentSrc)
	a := sample(t, s, nil, 500)
	b := sample(t, s, nil, 500)
	require.Equal(t, a, b)
}

// TestAgentConcurrentComplete completes sub-agents from several goroutines
// at once, as a wall-clock runner does; run with -race.
func TestAgentConcurrentComplete(t *testing.T) {
	s := mustParse(t, agentSrc)
	w := mustWorkload(t, s, WorkloadOptions{Requests: 50})
	total := 0
	for r, ok := w.Next(); ok; r, ok = w.Next() {
		level := []*Request{r}
		for len(level) > 0 {
			var mu sync.Mutex
			var next []*Request
			var wg sync.WaitGroup
			for _, q := range level {
				wg.Add(1)
				go func() {
					defer wg.Done()
					more, _ := q.Task.Complete(q, q.Arrival, actualOut(q))
					mu.Lock()
					next = append(next, more...)
					mu.Unlock()
				}()
			}
			wg.Wait()
			total += len(level)
			level = next
		}
	}
	require.Greater(t, total, 200)
}

func TestVideoSpecs(t *testing.T) {
	s := mustParse(t, videoMix)
	specs, weights := s.Classes[0].VideoSpecs()
	require.Equal(t, []float64{3, 1}, weights)
	require.Equal(t, 1280, specs[0].Width)
	require.Equal(t, 81, VideoSpec{Seconds: 5.0625, FPS: 16}.Frames())
}

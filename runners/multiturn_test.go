package runners

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

const agentYAML = `
name: agents
seed: 3
requests: 4
classes:
  - name: a
    kind: agent
    arrival: {process: constant, rate: 20}
    input: 30
    output: 5
    agent:
      turns: 4
      shared_prefix: 40
      append: 12
      tool_s: 0.01
      subagents:
        probability: 0.5
        count: 2
        turns: 2
        task: 8
        max_depth: 1
`

// uniqueReplies answers every request with text no other request gets
// (including characters that need JSON escaping), and remembers it.
type uniqueReplies struct {
	mu   sync.Mutex
	n    int
	text map[string]string // request id -> reply text
}

func (u *uniqueReplies) reply(r *openaitest.Request) openaitest.Reply {
	u.mu.Lock()
	u.n++
	n := u.n
	u.mu.Unlock()
	var rep openaitest.Reply
	var all strings.Builder
	for i := range max(r.Body.MaxTokens, 1) {
		w := fmt.Sprintf(" r%d-%d", n, i)
		if i == 1 {
			w = fmt.Sprintf(" \"q%d\"\n\t<é>", n) // escaping and UTF-8 must survive the round trip
		}
		all.WriteString(w)
		rep.Chunks = append(rep.Chunks, openaitest.Chunk{At: time.Duration(i) * time.Millisecond, Text: w})
	}
	rep.Usage = &openaitest.Usage{Prompt: 1, Completion: len(rep.Chunks)}
	u.mu.Lock()
	u.text[r.ID] = all.String()
	u.mu.Unlock()
	return rep
}

// TestMultiTurnByteForByte: turn k's request contains turn k-1's messages
// byte-for-byte, followed by the assistant message holding exactly the
// text the server returned for turn k-1; parallel sub-agents join.
func TestMultiTurnByteForByte(t *testing.T) {
	u := &uniqueReplies{text: map[string]string{}}
	srv := openaitest.New(u.reply)
	defer srv.Close()
	c := runCollect(t, context.Background(), scenario(t, agentYAML), baseConfig(srv), scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	for _, r := range c.recs {
		require.True(t, r.OK(), r.Error)
	}
	type sent struct {
		msgs  []json.RawMessage
		reply string
	}
	var reqs []sent
	for _, q := range srv.Requests() {
		var body struct {
			Messages []json.RawMessage `json:"messages"`
		}
		require.NoError(t, json.Unmarshal(q.Raw, &body))
		reqs = append(reqs, sent{body.Messages, u.text[q.ID]})
	}
	followups, subagents, prefix := 0, 0, json.RawMessage(nil)
	for _, q := range reqs {
		var first openaitest.Message
		require.NoError(t, json.Unmarshal(q.msgs[0], &first))
		if first.Role == "system" { // root sessions start with the shared prefix; sub-agents have none
			require.Equal(t, 40, strings.Count(first.Content, " "))
			if prefix == nil {
				prefix = q.msgs[0]
			}
			require.True(t, bytes.Equal(prefix, q.msgs[0]), "shared prefix is byte-identical across sessions")
		} else {
			subagents++
		}
		for j, m := range q.msgs {
			var msg openaitest.Message
			require.NoError(t, json.Unmarshal(m, &msg))
			if msg.Role != "assistant" {
				continue
			}
			// Some earlier request sent exactly q.msgs[:j] and got msg.Content back.
			found := false
			for _, p := range reqs {
				if len(p.msgs) != j || p.reply != msg.Content {
					continue
				}
				for i := range p.msgs {
					require.True(t, bytes.Equal(p.msgs[i], q.msgs[i]), "message %d differs from the previous turn's", i)
				}
				found = true
			}
			require.True(t, found, "assistant message %d is the actual reply to the request that sent the %d messages before it", j, j)
			if j == len(q.msgs)-2 {
				followups++
			}
		}
	}
	require.Positive(t, subagents, "the scenario spawns sub-agents")
	require.GreaterOrEqual(t, followups, 4*3, "every turn after the first carries its predecessor's reply")
	tasks := 0
	for _, r := range c.recs {
		if r.TaskDone {
			tasks++
			e2e, ok := r.TaskE2E()
			require.True(t, ok)
			require.GreaterOrEqual(t, e2e, int64(3*10*time.Millisecond), "three tool waits of 10 ms, waited in real time")
		}
	}
	require.Equal(t, 4, tasks)
	require.Equal(t, int64(4), c.res.Classes["a"].Tasks)
}

// TestToolRole: tool blocks go out as user messages by default, as tool
// messages with --tool-role tool, and a completions request concatenates.
func TestToolRole(t *testing.T) {
	r := &scenarios.Request{Prompt: []scenarios.Block{
		{ID: 1, Tokens: 2, Role: scenarios.RoleSystem}, {ID: 2, Tokens: 2, Role: scenarios.RoleUser},
		{ID: 3, Tokens: 2, Role: scenarios.RoleAssistant}, {ID: 4, Tokens: 2, Role: scenarios.RoleTool},
		{ID: 5, Tokens: 2, Role: scenarios.RoleTool}}, OutputTokens: 7}
	roles := func(cfg Config) []string {
		var body struct{ Messages []openaitest.Message }
		require.NoError(t, json.Unmarshal(cfg.appendBody(nil, r, nil), &body))
		var out []string
		for _, m := range body.Messages {
			out = append(out, m.Role)
		}
		return out
	}
	require.Equal(t, []string{"system", "user", "assistant", "user"}, roles(Config{ToolRole: "user"}))
	require.Equal(t, []string{"system", "user", "assistant", "tool"}, roles(Config{ToolRole: "tool"}))
	var body struct {
		Prompt    string `json:"prompt"`
		MaxTokens int    `json:"max_tokens"`
		MinTokens int    `json:"min_tokens"`
	}
	require.NoError(t, json.Unmarshal((&Config{API: APICompletions, MinTokens: true}).appendBody(nil, r, nil), &body))
	require.Equal(t, 10, len(strings.Fields(body.Prompt)), "one word per token, all blocks")
	require.Equal(t, 7, body.MaxTokens)
	require.Equal(t, 7, body.MinTokens)
}

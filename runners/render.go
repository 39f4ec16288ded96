package runners

import (
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/scenarios/text"
)

// transcript holds what the server actually said in one agent task (all its
// sub-agents), so that later turns carry the real assistant text instead of
// the placeholder words of the scenario's output block: turn k's request
// then contains turn k-1's messages byte-for-byte and a real server's prefix
// cache sees the conversation it produced.
//
// An output block's id is assigned by the scenario session inside
// Task.Complete and is first visible in the next turn's prompt, right after
// the prompt that produced it. So a finished turn is filed under (id of its
// prompt's last block, prompt length), and the first later prompt with an
// assistant block at that position claims it under the block's own id.
type transcript struct {
	mu      sync.Mutex
	start   int64             // the task's first intended send time, ns
	byBlock map[uint64][]byte // assistant block id -> actual text
	pending map[outKey][]byte // finished turns not yet seen in a prompt
}

type outKey struct {
	lastID uint64
	n      int
}

func newTranscript(start int64) *transcript {
	return &transcript{start: start, byBlock: map[uint64][]byte{}, pending: map[outKey][]byte{}}
}

// finished files the actual output of the request whose prompt was p.
func (t *transcript) finished(p []scenarios.Block, out []byte) {
	if len(p) == 0 || len(out) == 0 {
		return
	}
	t.mu.Lock()
	t.pending[outKey{p[len(p)-1].ID, len(p)}] = out
	t.mu.Unlock()
}

// resolve returns the actual text of assistant block i of p, if known.
func (t *transcript) resolve(p []scenarios.Block, i int) ([]byte, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s, ok := t.byBlock[p[i].ID]; ok {
		return s, true
	}
	if i == 0 {
		return nil, false
	}
	k := outKey{p[i-1].ID, i}
	s, ok := t.pending[k]
	if ok {
		delete(t.pending, k)
		t.byBlock[p[i].ID] = s
	}
	return s, ok
}

// wireRole is the chat role a block is sent with.
func (c *Config) wireRole(r scenarios.Role) string {
	switch r {
	case scenarios.RoleSystem:
		return "system"
	case scenarios.RoleAssistant:
		return "assistant"
	case scenarios.RoleTool:
		return c.ToolRole
	}
	return "user"
}

// appendBlockText appends block i of p: the actual assistant text when the
// transcript knows it, else the block's deterministic words.
func appendBlockText(dst []byte, p []scenarios.Block, i int, tr *transcript, salt uint64) []byte {
	b := p[i]
	if tr != nil && b.Role == scenarios.RoleAssistant {
		if s, ok := tr.resolve(p, i); ok {
			return append(dst, s...)
		}
	}
	return text.AppendBlock(dst, b.ID^salt, int(b.Tokens))
}

// appendBody appends the JSON request body for r to dst. Chat: consecutive
// blocks sent with the same role form one message. Completions: the blocks'
// text concatenated. The body is built by hand (no reflection) because it
// is on the hot path and prompts can be hundreds of kilobytes.
func (c *Config) appendBody(dst []byte, r *scenarios.Request, tr *transcript) []byte {
	dst, _ = c.appendBodyScratch(dst, nil, r, tr)
	return dst
}

// appendBodyScratch is appendBody with a scratch buffer for the messages'
// text (returned for reuse: the hot path keeps it per request state).
func (c *Config) appendBodyScratch(dst, scratch []byte, r *scenarios.Request, tr *transcript) ([]byte, []byte) {
	dst = append(dst, `{"model":`...)
	dst = appendJSONString(dst, c.Model)
	scratch = scratch[:0]
	if c.API == APICompletions {
		for i := range r.Prompt {
			scratch = appendBlockText(scratch, r.Prompt, i, tr, c.PromptSalt)
		}
		dst = append(dst, `,"prompt":`...)
		dst = appendJSONBytes(dst, scratch)
	} else {
		dst = append(dst, `,"messages":[`...)
		for i := 0; i < len(r.Prompt); {
			role := c.wireRole(r.Prompt[i].Role)
			scratch = scratch[:0]
			j := i
			for ; j < len(r.Prompt) && c.wireRole(r.Prompt[j].Role) == role; j++ {
				scratch = appendBlockText(scratch, r.Prompt, j, tr, c.PromptSalt)
			}
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = append(dst, `{"role":"`...)
			dst = append(dst, role...)
			dst = append(dst, `","content":`...)
			dst = appendJSONBytes(dst, scratch)
			dst = append(dst, '}')
			i = j
		}
		dst = append(dst, ']')
	}
	n := max(r.OutputTokens, 1)
	dst = append(dst, `,"max_tokens":`...)
	dst = strconv.AppendInt(dst, int64(n), 10)
	if c.IgnoreEOS {
		dst = append(dst, `,"ignore_eos":true`...)
	}
	if c.MinTokens {
		dst = append(dst, `,"min_tokens":`...)
		dst = strconv.AppendInt(dst, int64(n), 10)
	}
	if c.NoStream {
		dst = append(dst, `,"stream":false}`...)
		return dst, scratch
	}
	dst = append(dst, `,"stream":true,"stream_options":{"include_usage":true`...)
	if c.ContinuousUsage {
		dst = append(dst, `,"continuous_usage_stats":true`...)
	}
	return append(dst, `}}`...), scratch
}

const hexDigits = "0123456789abcdef"

func appendJSONString(dst []byte, s string) []byte {
	return appendJSONBytes(dst, []byte(s))
}

// appendJSONBytes appends s as a JSON string. Invalid UTF-8 becomes U+FFFD
// (as encoding/json does), so any server output can be sent back.
func appendJSONBytes(dst, s []byte) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '"', '\\':
				dst = append(dst, '\\', b)
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[b>>4], hexDigits[b&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRune(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

// RequestBody is the JSON body Run sends for r (no agent transcript): for
// tools that must send exactly what fleetbench sends, such as a comparison
// with another load generator. cfg needs Model and the body options only.
func RequestBody(cfg Config, r *scenarios.Request) []byte {
	if cfg.API == "" {
		cfg.API = APIChat
	}
	return cfg.appendBody(nil, r, nil)
}

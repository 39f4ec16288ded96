package runners

import (
	"fmt"
	"io"
	"sync"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/tokens"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/scenarios/text"
)

// Token counts are taken from what was sent and received, counted with the
// run's tokenizer (Config.Tokenizer); the server's usage wins when it
// agrees with the count, because it is the model's own tokenizer.
const (
	// usageTolerance is how far (relative to the count) usage may be from
	// the count and still be believed.
	usageTolerance = 0.25
	// outputSlack tokens are always tolerated on output: a server may count
	// an end-of-sequence token the text does not show.
	outputSlack = 2
	// inputSlack tokens are always tolerated on input: chat templates add
	// role markers and default system prompts the client never sees
	// (Llama 3.1's adds ~25 tokens, Qwen's ~20).
	inputSlack = 64
)

// Where a count came from (Record.InputTokensFrom / OutputTokensFrom).
const (
	FromUsage   = "usage"
	FromCounted = "counted"
)

// reconcile picks a count: the server's usage when it has one that agrees
// with the count (within usageTolerance of it, or slack tokens), else the
// count; mismatch says usage was present and disagreed.
func reconcile(usage int, have bool, counted, slack int) (n int, from string, mismatch bool) {
	if !have || usage < 0 {
		return counted, FromCounted, false
	}
	tol := max(int(float64(counted)*usageTolerance), slack)
	if d := usage - counted; d <= tol && -d <= tol {
		return usage, FromUsage, false
	}
	return counted, FromCounted, true
}

// counter is the run's tokenizer (the default when none was configured).
func (c *Config) counter() *tokens.Counter {
	if c.Tokenizer != nil {
		return c.Tokenizer
	}
	tk, err := tokens.Get(tokens.Default)
	if err != nil { // embedded ranks: cannot fail short of a broken build
		panic(err)
	}
	return tk
}

// countInput counts the prompt r sends: the deterministic block text (one
// token per word when the tokenizer is word-exact, else counted) plus the
// real assistant text agent turns carry, counted. It runs after appendBody,
// which resolved the transcript's blocks.
func (c *Config) countInput(r *scenarios.Request, tr *transcript) int {
	tk := c.counter()
	n := 0
	var buf []byte
	for i, b := range r.Prompt {
		if tr != nil && b.Role == scenarios.RoleAssistant {
			if s, ok := tr.resolve(r.Prompt, i); ok {
				n += tk.Count(s)
				continue
			}
		}
		if tk.WordExact() {
			n += int(b.Tokens)
			continue
		}
		buf = text.AppendBlock(buf[:0], b.ID, int(b.Tokens))
		n += tk.Count(buf)
	}
	return n
}

// applyUsage settles a successful record's token counts: countedIn was
// counted from the prompt sent, countedOut from the text received.
func applyUsage(rec *results.Record, u *usage, countedIn, countedOut int) {
	var in, out int
	have := u != nil
	if have {
		in, out = u.PromptTokens, u.CompletionTokens
		rec.UsageInputTokens, rec.UsageOutputTokens = in, out
	}
	var mIn, mOut bool
	rec.InputTokens, rec.InputTokensFrom, mIn = reconcile(in, have && in > 0, countedIn, inputSlack)
	rec.OutputTokens, rec.OutputTokensFrom, mOut = reconcile(out, have, countedOut, outputSlack)
	rec.TokenMismatch = mIn || mOut
	if u != nil {
		rec.CachedTokens = min(max(u.cached(), 0), rec.InputTokens)
	}
}

// tokenTally counts, over a run, where token counts came from; it prints
// one warning the first time usage disagrees with the count.
type tokenTally struct {
	once                              sync.Once
	usage, counted, noUsage, mismatch int64
}

func (t *tokenTally) add(r *results.Record, warn io.Writer, tokenizer string) {
	if r.OutputTokensFrom == "" {
		return
	}
	if r.OutputTokensFrom == FromUsage {
		t.usage++
	} else {
		t.counted++
	}
	if r.TokenMismatch {
		t.mismatch++
		t.once.Do(func() {
			if warn != nil {
				fmt.Fprintf(warn, "fleetbench: warning: request %d: the server's usage (prompt %d, completion %d tokens) disagrees with what was sent and received (%d, %d by %s) by more than %.0f%%; using the counts (further mismatches are counted in the result, not printed)\n",
					r.ID, r.UsageInputTokens, r.UsageOutputTokens, r.InputTokens, r.OutputTokens, tokenizer, usageTolerance*100)
			}
		})
	} else if r.OutputTokensFrom == FromCounted {
		t.noUsage++
	}
}

// export is the result's extra.token_counts, and the warnings it implies.
func (t *tokenTally) export(tokenizer string) (map[string]any, []string) {
	if t.usage+t.counted == 0 {
		return nil, nil
	}
	var warns []string
	if t.mismatch > 0 {
		warns = append(warns, fmt.Sprintf("%d of %d requests reported usage that disagreed with the text received by more than %.0f%%: their token counts are fleetbench's (%s), not the server's (records: token_mismatch)",
			t.mismatch, t.usage+t.counted, usageTolerance*100, tokenizer))
	}
	if t.noUsage > 0 {
		warns = append(warns, fmt.Sprintf("%d of %d requests came without usage: their token counts were counted with %s (the server's tokenizer may differ)",
			t.noUsage, t.usage+t.counted, tokenizer))
	}
	return map[string]any{"tokenizer": tokenizer, "from_usage": t.usage, "counted": t.counted,
		"no_usage": t.noUsage, "mismatches": t.mismatch}, warns
}

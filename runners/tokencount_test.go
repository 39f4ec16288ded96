package runners

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/runners/tokens"
	"github.com/fleetbench/fleetbench/scenarios"
)

// A server that streams 20 one-word chunks and claims 100,000 completion
// tokens: before, the run recorded 100,000 output tokens per request (TPOT
// 0.001 ms); now the count of the text received wins, the request is
// marked, one warning is printed and the result counts the mismatches.
func TestUsageThatDisagreesIsOverruled(t *testing.T) {
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		rep := openaitest.Steady(20, time.Millisecond, time.Millisecond)
		rep.Usage = &openaitest.Usage{Prompt: 40, Completion: 100000}
		return rep
	})
	defer srv.Close()
	var warn bytes.Buffer
	cfg := baseConfig(srv)
	cfg.Warnings = &warn
	c := runCollect(t, context.Background(), chatScenario(t, 200, 10, 40, 20), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Len(t, c.recs, 10)
	for _, r := range c.recs {
		require.True(t, r.OK(), r.Error)
		require.Equal(t, 20, r.OutputTokens, "counted from the 20 chunks received")
		require.Equal(t, FromCounted, r.OutputTokensFrom)
		require.True(t, r.TokenMismatch)
		require.Equal(t, 100000, r.UsageOutputTokens)
		require.Equal(t, 40, r.InputTokens)
		require.Equal(t, FromUsage, r.InputTokensFrom, "the prompt count agreed")
		tpot, ok := r.TPOT()
		require.True(t, ok)
		require.Equal(t, (r.LastToken-r.FirstToken)/19, tpot, "TPOT over 19 real gaps, not 99,999")
	}
	require.Equal(t, int64(200), *c.res.Totals.OutputTokens)
	require.Equal(t, 1, strings.Count(warn.String(), "warning:"), "warned once: %s", warn.String())
	tc := c.res.Extra["token_counts"].(map[string]any)
	require.Equal(t, int64(10), tc["mismatches"])
	require.Equal(t, "cl100k_base", tc["tokenizer"])
	require.Contains(t, strings.Join(c.res.Warnings, "\n"), "10 of 10 requests reported usage that disagreed")
}

// A server without usage (a third-party mock): before, one token per chunk
// silently; now the text is counted (4 words per chunk here) and the
// result says the counts are fleetbench's.
func TestNoUsageIsCounted(t *testing.T) {
	words := []string{" the of and to", " in is was for", " on as with by"}
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		var rep openaitest.Reply
		for i, w := range words {
			rep.Chunks = append(rep.Chunks, openaitest.Chunk{At: time.Duration(1+4*i) * time.Millisecond, Text: w})
		}
		return rep
	})
	defer srv.Close()
	for _, noStream := range []bool{false, true} {
		cfg := baseConfig(srv)
		cfg.NoStream = noStream
		c := runCollect(t, context.Background(), chatScenario(t, 200, 5, 30, 12), cfg, scenarios.WorkloadOptions{})
		require.NoError(t, c.err)
		for _, r := range c.recs {
			require.True(t, r.OK(), r.Error)
			require.Equal(t, 12, r.OutputTokens)
			require.Equal(t, FromCounted, r.OutputTokensFrom)
			require.Equal(t, 30, r.InputTokens, "the prompt sent, counted")
			require.Equal(t, FromCounted, r.InputTokensFrom)
			require.False(t, r.TokenMismatch)
			if !noStream {
				require.Len(t, r.ITL, 8, "4 tokens in each of the 2 later chunks share its gap")
			}
		}
		tc := c.res.Extra["token_counts"].(map[string]any)
		require.Equal(t, int64(5), tc["no_usage"])
		require.Contains(t, strings.Join(c.res.Warnings, "\n"), "5 of 5 requests came without usage")
	}
}

// Agent turns carry the server's real text; the prompt count includes it,
// counted with the tokenizer, and a file tokenizer that is not word-exact
// counts the scenario text itself.
func TestCountInput(t *testing.T) {
	cfg := &Config{}
	r := &scenarios.Request{Prompt: []scenarios.Block{{ID: 1, Tokens: 30}, {ID: 2, Tokens: 5, Role: scenarios.RoleAssistant}, {ID: 3, Tokens: 7}}}
	require.Equal(t, 42, cfg.countInput(r, nil))
	tr := newTranscript(0)
	tr.finished(r.Prompt[:1], []byte("Hello, world! This is the real reply."))
	n := cfg.countInput(r, tr)
	tk, err := tokens.Get("")
	require.NoError(t, err)
	require.Equal(t, 37+tk.Count([]byte("Hello, world! This is the real reply.")), n)
}

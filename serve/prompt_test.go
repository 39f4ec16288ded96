package serve

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/runners/tokens"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/scenarios/text"
	"github.com/fleetbench/fleetbench/sim/kvcache"
)

// The tokenizer counts words as scenarios/text does, and its KV blocks
// hash equal exactly when the text shares a prefix of whole chunks, like
// the scenario blocks the runner rendered the text from.
func TestTokenizerMatchesScenarioBlocks(t *testing.T) {
	tk := tokenizer{blockTokens: 16}
	sysA := []scenarios.Block{{ID: 1, Tokens: 500, Role: scenarios.RoleSystem}, {ID: 2, Tokens: 77}}
	sysB := []scenarios.Block{{ID: 1, Tokens: 500, Role: scenarios.RoleSystem}, {ID: 3, Tokens: 90}}
	render := func(p []scenarios.Block) []string {
		var out []string
		for _, b := range p {
			out = append(out, text.Block(b.ID, int(b.Tokens)))
		}
		return out
	}
	a, b := tk.build(render(sysA)), tk.build(render(sysB))
	require.Equal(t, 577, a.tokens)
	require.Equal(t, 590, b.tokens)
	// The engine's KV-block hash chain (what sim hashes prompts with).
	hash := func(p []scenarios.Block) []uint64 {
		hs := kvcache.NewHasher(16)
		var h []uint64
		for _, b := range p {
			h = hs.Add(h, b.ID, int(b.Tokens))
		}
		return h
	}
	ha, hb := hash(a.blocks), hash(b.blocks)
	sa, sb := hash(sysA), hash(sysB)
	shared := func(x, y []uint64) int {
		n := 0
		for n < len(x) && n < len(y) && x[n] == y[n] {
			n++
		}
		return n
	}
	require.Equal(t, shared(sa, sb), shared(ha, hb), "same sharing as the scenario's blocks")
	require.Equal(t, 31, shared(ha, hb)) // 500 shared words = 31 full blocks
	require.NotEqual(t, a.seed, b.seed)
}

func FuzzTokenizer(f *testing.F) {
	f.Add("hello world", "again")
	f.Add("  a\tb\nc  ", "")
	f.Add(text.Block(3, 40), text.Block(4, 3))
	f.Fuzz(func(t *testing.T, x, y string) {
		p := tokenizer{blockTokens: 16}.build([]string{x, y})
		require.Equal(t, text.CountTokens(x)+text.CountTokens(y), p.tokens)
		sum := 0
		for _, b := range p.blocks {
			require.Positive(t, b.Tokens)
			require.LessOrEqual(t, b.Tokens, int32(16))
			sum += int(b.Tokens)
		}
		require.Equal(t, p.tokens, sum)
	})
}

func FuzzTaskParams(f *testing.F) {
	f.Add("a cat --resolution 720p --ratio 16:9 --duration 5")
	f.Add("--ratio 9:16 --resolution 480p --fps 24 --steps 4")
	f.Add("--ratio x --resolution")
	f.Fuzz(func(t *testing.T, s string) {
		p, e := taskParams(s)
		if e != nil {
			require.Equal(t, 400, e.status)
			return
		}
		if p.Size != "" {
			require.Contains(t, p.Size, "x")
		}
	})
}

// Any request body gets an answer, never a panic or a 5xx.
func FuzzHandlers(f *testing.F) {
	s, err := New(Options{Config: testConfig()})
	require.NoError(f, err)
	defer s.Close()
	h := s.Handler()
	f.Add("/v1/chat/completions", `{"messages":[{"role":"user","content":"hi"}],"max_tokens":2}`)
	f.Add("/v1/completions", `{"prompt":[[1,2]],"max_tokens":1}`)
	f.Add("/v1/videos", `{"seconds":"abc"}`)
	f.Add("/api/v3/contents/generations/tasks", `{"content":[{"type":"text","text":"--resolution 99999p"}]}`)
	f.Fuzz(func(t *testing.T, path, body string) {
		if u, err := url.ParseRequestURI(path); err != nil || !strings.HasPrefix(path, "/") || u.Path != path || strings.ContainsAny(path, " \t") {
			return // not a request path this test means to send
		}
		req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		require.Less(t, w.Code, 500, w.Body.String())
	})
}

func TestPlanOutputDeterministic(t *testing.T) {
	require.Equal(t, planOutput(42, 100, 0, false), planOutput(42, 100, 0, false))
	require.Equal(t, outputPlan{tokens: 9, finish: "length"}, planOutput(42, 9, 0, true))
	// The natural lengths follow the documented lognormal: median ~129.
	var ls []int
	for i := range 4001 {
		ls = append(ls, naturalLength(uint64(i)))
	}
	below := 0
	for _, l := range ls {
		if l <= 129 {
			below++
		}
	}
	require.InDelta(t, 0.5, float64(below)/float64(len(ls)), 0.03)
}

func BenchmarkTokenize(b *testing.B) {
	msg := []string{text.Block(1, 800), text.Block(2, 1200)}
	tk := tokenizer{blockTokens: 16}
	b.ReportAllocs()
	b.SetBytes(int64(len(msg[0]) + len(msg[1])))
	for b.Loop() {
		tk.build(msg)
	}
}

func BenchmarkContentChunk(b *testing.B) {
	m := chunkMeta{id: "chatcmpl-fb1", created: 1, model: "llama-3.1-8b", usage: true}
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		buf = m.appendContent(buf[:0], chatShape, 7, i, i+1)
	}
}

// serve's usage must agree with how fleetbench run counts what it
// receives (runners/tokens, a real BPE tokenizer): one word of the shared
// vocabulary is one token for serve's splitter and for the embedded
// encodings, in prompts and in generated replies, so run -> serve reports
// usage (not a mismatch) and the agreement check holds.
func TestServeCountsLikeTheRunner(t *testing.T) {
	for _, name := range tokens.Builtin {
		tk, err := tokens.Get(name)
		require.NoError(t, err)
		for seed := range uint64(20) {
			n := int(seed*53%700) + 1
			reply := appendFiller(nil, seed, 0, n)
			require.Equal(t, n, tk.Count(reply), "%s: reply of %d tokens", name, n)
			prompt := text.Block(seed, n)
			require.Equal(t, tokenizer{blockTokens: 16}.build([]string{prompt}).tokens, tk.Count([]byte(prompt)), name)
		}
	}
}

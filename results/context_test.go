package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The summary counts the completed measured requests over the class's
// context (none are refused: that is the simulator's figures' business);
// the count survives a file and a merge of shards, and the warning says
// what a server would do and what to change.
func TestOverContextCountAndMerge(t *testing.T) {
	shard := func(at int64, in ...int) *Result {
		s := NewSummary([]ClassInfo{{Name: "code", Kind: "agent", ContextTokens: 1000}, {Name: "clip", Kind: "video"}}, 0)
		for i, n := range in {
			t0 := at + int64(i)*1e8
			s.Add(&Record{Class: "code", Kind: "agent", Intended: t0, Sent: t0, FirstToken: t0 + 1e7, LastToken: t0 + 2e7, InputTokens: n, OutputTokens: 100, TaskDone: true})
		}
		// A failed request over the context was not served: not counted.
		s.Add(&Record{Class: "code", Kind: "agent", Intended: at, Sent: at, InputTokens: 5000, OutputTokens: 100, ErrorClass: "too_long", TaskDone: true})
		return s.Result(Meta{Backend: "sim"})
	}
	a, b := shard(0, 500, 950, 1200), shard(1e9, 2000)
	require.Equal(t, &OverContext{Requests: 2, LongestTokens: 1300, ContextTokens: 1000}, a.Classes["code"].OverContext)
	require.Nil(t, a.Classes["clip"].OverContext)
	require.Nil(t, a.Totals.OverContext)
	w := strings.Join(a.Warnings, "\n")
	require.Contains(t, w, "exceed its 1000-token context (class code: 2, the longest 1300 tokens)")
	require.Contains(t, w, "HTTP 400")
	require.Contains(t, w, "pick a model with a longer context")

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, a))
	back, err := Decode(&js, "a.json")
	require.NoError(t, err)
	require.Equal(t, a.Classes["code"].OverContext, back.Classes["code"].OverContext)
	m, err := Merge(back, b)
	require.NoError(t, err)
	require.Equal(t, &OverContext{Requests: 3, LongestTokens: 2100, ContextTokens: 1000}, m.Classes["code"].OverContext)
	require.Contains(t, strings.Join(m.Warnings, "\n"), "class code: 3, the longest 2100 tokens")
	over := 0
	for _, w := range m.Warnings {
		if strings.HasPrefix(w, "over the model's context:") {
			over++
		}
	}
	require.Equal(t, 1, over, "the merged count only, not each part's beside it: %q", m.Warnings)

	none := shard(0, 500)
	require.Nil(t, none.Classes["code"].OverContext)
	require.NotContains(t, strings.Join(none.Warnings, "\n"), "context")
}

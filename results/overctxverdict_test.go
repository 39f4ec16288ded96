package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/slo"
)

// overContextResult: a class with an SLO it meets, two of whose completed
// requests are over its 1000-token context.
func overContextResult(t *testing.T, inputs ...int) *Result {
	t.Helper()
	s := NewSummary([]ClassInfo{{Name: "code", Kind: "chat", ContextTokens: 1000, SLO: slo.Spec{TTFTms: &slo.Targets{P99: 500}}}}, 0)
	for i, n := range inputs {
		at := int64(i) * 1e8
		s.Add(&Record{Class: "code", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 1e7, LastToken: at + 2e7, InputTokens: n, OutputTokens: 100, TaskDone: true})
	}
	return s.Result(Meta{Backend: "sim"})
}

// TestOverContextVerdictIsMarked: a class that served requests over the
// model's context (a real server refuses them, HTTP 400) had a clean "met"
// SLO verdict in the JSON, the table and the HTML, with only the warning
// above to qualify it. The verdict now says so (JSON slo.over_context;
// the table marks the cell and explains the mark under it), as an
// interrupted run's met* does; older files read the same way.
func TestOverContextVerdictIsMarked(t *testing.T) {
	r := overContextResult(t, 500, 1200, 1500)
	v := r.Classes["code"].SLO
	require.True(t, v.Met)
	require.True(t, v.OverContext)

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, r))
	require.Contains(t, js.String(), `"over_context": true`)

	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	require.Regexp(t, `SLO verdict\s+met`+OverContextMark+`\s+-`, b.String())
	require.Contains(t, b.String(), OverContextMark+" SLO verdict over requests that include some over the model's context")

	// A file written before the mark: read as marked.
	old := strings.Replace(js.String(), `"over_context": true`, `"over_context": false`, 1)
	require.NotEqual(t, js.String(), old)
	back, err := Decode(strings.NewReader(old), "old.json")
	require.NoError(t, err)
	require.True(t, back.Classes["code"].SLO.OverContext)

	// None over the context: a plain met, no mark.
	clean := overContextResult(t, 500, 600)
	require.False(t, clean.Classes["code"].SLO.OverContext)
	b.Reset()
	require.NoError(t, RenderTable(&b, clean))
	require.NotContains(t, b.String(), OverContextMark)

	// compare says which side's SLO figures count them.
	cmp, err := Compare(r, clean, CompareOptions{})
	require.NoError(t, err)
	for _, cd := range cmp.Classes {
		for _, md := range cd.Rows {
			if md.Metric == "slo_attainment" {
				require.Equal(t, "includes requests over the model's context, which a real server refuses: BASE", md.Note, cd.Class)
			}
		}
	}
	b.Reset()
	require.NoError(t, RenderComparison(&b, cmp, "table"))
	require.Contains(t, b.String(), "(includes requests over the model's context, which a real server refuses: BASE)")
}

package results

import (
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/pricing"
)

// chatAndVideo is a summary of one chat request and one video job: its
// totals are of kind "mixed".
func chatAndVideo() *Summary {
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat"}, {Name: "t2v", Kind: "video"}}, 0)
	s.Add(&Record{Class: "chat", Kind: "chat", Intended: 1e9, Sent: 1e9, FirstToken: 1.05e9, LastToken: 1.25e9, OutputTokens: 3, InputTokens: 100, TaskDone: true})
	s.Add(&Record{Class: "t2v", Kind: "video", Intended: 2e9, Sent: 2e9, QueueNs: 40e9, FirstToken: 42e9, LastToken: 300e9, VideoSeconds: 5, TaskDone: true})
	return s
}

// twoChatClasses is a summary of two chat classes: totals of one kind.
func twoChatClasses() *Summary {
	s := NewSummary([]ClassInfo{{Name: "a", Kind: "chat"}, {Name: "b", Kind: "chat"}}, 0)
	s.Add(&Record{Class: "a", Kind: "chat", Intended: 1e9, Sent: 1e9, FirstToken: 1.05e9, LastToken: 1.25e9, OutputTokens: 3, InputTokens: 100, TaskDone: true})
	s.Add(&Record{Class: "b", Kind: "chat", Intended: 2e9, Sent: 2e9, FirstToken: 2.05e9, LastToken: 2.25e9, OutputTokens: 3, InputTokens: 100, TaskDone: true})
	return s
}

// cells splits a table row (as tableLine returns it) after its label.
func cells(line, label string) []string {
	return regexp.MustCompile(`\s{2,}`).Split(strings.TrimSpace(strings.TrimPrefix(line, label)), -1)
}

// The cost table's total column carries the fleet's revenue and margin, the
// same figures as the line under the table (the margin over the whole
// fleet's cost, the unpriced class's included, labelled so); figures with
// no fleet-wide definition (break-even prices, currency amounts) stay "-".
func TestCostTotalsCarryFleetRevenueAndMargin(t *testing.T) {
	for _, tc := range []struct {
		name     string
		prices   map[string]*pricing.List
		unpriced bool
	}{
		{"both priced", map[string]*pricing.List{
			"chat":  {InputPerMTok: 1, CachedInputPerMTok: 0.1, OutputPerMTok: 40},
			"agent": {Currency: "CNY", CNYPerUSD: 7.2, PerTask: 7.2}}, false},
		{"agent unpriced", map[string]*pricing.List{
			"chat": {InputPerMTok: 1, CachedInputPerMTok: 0.1, OutputPerMTok: 40}}, true},
	} {
		r := pdResult()
		require.NoError(t, ApplyCost(r, CostInputs{Prices: tc.prices}))
		var b strings.Builder
		require.NoError(t, RenderCost(&b, r))
		out := b.String()
		rev := cells(tableLine(t, out, "revenue USD"), "revenue USD")
		mar := cells(tableLine(t, out, "margin USD"), "margin USD")
		require.Len(t, rev, 3, tc.name) // agent, chat, total
		require.Equal(t, fmtNum(*r.Cost.RevenueUSD), rev[2], tc.name)
		require.Equal(t, fmtNum(*r.Cost.MarginUSD), mar[2], tc.name)
		require.Contains(t, out, "revenue "+fmtUSD(*r.Cost.RevenueUSD)+", margin "+fmtUSD(*r.Cost.MarginUSD), tc.name)
		be := cells(tableLine(t, out, "break-even x list"), "break-even x list")
		require.Equal(t, "-", be[len(be)-1], tc.name)
		if tc.unpriced {
			require.Equal(t, "-", rev[0], tc.name)
			require.InDelta(t, *r.Cost.RevenueUSD-r.Cost.USD, *r.Cost.MarginUSD, 1e-6)
			require.Less(t, *r.Cost.MarginUSD, r.Classes["chat"].Cost.Revenue.MarginUSD, "the unpriced class's cost counts against the fleet")
			require.Contains(t, out, "total margin is the fleet's")
		} else {
			require.NotContains(t, out, "total margin is the fleet's")
		}
	}
	// No price list: no revenue row at all.
	r := pdResult()
	require.NoError(t, ApplyCost(r, CostInputs{}))
	var b strings.Builder
	require.NoError(t, RenderCost(&b, r))
	require.NotContains(t, b.String(), "revenue")
	require.NotContains(t, b.String(), "margin USD")
}

// A latency percentile over classes of different kinds (chat turns with
// video jobs) is no figure anyone should read: the terminal table leaves it
// out of a mixed total, as the HTML report does, and says so; a total of
// one kind keeps it. The JSON keeps the pooled figures (compare, gates and
// sweeps read them), labelled by the totals' kind "mixed" (docs/metrics.md).
func TestMixedTotalsHaveNoLatencyPercentilesInTables(t *testing.T) {
	s := chatAndVideo()
	for _, backend := range []string{"sim", "endpoint"} {
		res := s.Result(Meta{Backend: backend})
		require.Equal(t, "mixed", res.Totals.Kind)
		require.NotNil(t, res.Totals.E2E, "%s: the JSON keeps the pooled E2E", backend)
		var b strings.Builder
		require.NoError(t, RenderTable(&b, res))
		out := b.String()
		for _, label := range []string{"TTFT ms p50/p90/p99", "E2E ms p50/p90/p99", "queue ms p50/p90/p99"} {
			cs := cells(tableLine(t, out, label), label)
			require.Equal(t, "-", cs[len(cs)-1], "%s: total of %s", backend, label)
		}
		require.Contains(t, out, "total: no latency percentiles over classes of different kinds")
		// report --format markdown likewise; the CSV is data, as the JSON.
		var md, csv strings.Builder
		require.NoError(t, RenderMarkdown(&md, res, DefaultExportPercentiles))
		require.NotContains(t, md.String(), "| total | e2e (ms)")
		require.Contains(t, md.String(), "| t2v | e2e (ms)")
		require.Contains(t, md.String(), "total: no latency rows over classes of different kinds")
		require.NoError(t, RenderCSV(&csv, res, DefaultExportPercentiles))
		require.Contains(t, csv.String(), "\ntotal,e2e,ms,2,")
		// ... labelled: its kind column says the pool is mixed (it had no
		// label at all, while the comment said "labelled as the JSON").
		require.True(t, strings.HasSuffix(strings.SplitN(csv.String(), "\n", 2)[0], ",kind"))
		require.Regexp(t, `\ntotal,e2e,ms,2,[^\n]*,mixed\n`, csv.String())
		require.Regexp(t, `\nt2v,e2e,ms,[^\n]*,video\n`, csv.String())
		if backend == "endpoint" {
			label := "schedule delay ms p50/p90/p99"
			cs := cells(tableLine(t, out, label), label)
			require.NotEqual(t, "-", cs[len(cs)-1], "the schedule delay measures the client: kept")
		}
	}
	one := twoChatClasses()
	var b strings.Builder
	require.NoError(t, RenderTable(&b, one.Result(Meta{Backend: "sim"})))
	cs := cells(tableLine(t, b.String(), "E2E ms p50/p90/p99"), "E2E ms p50/p90/p99")
	require.NotEqual(t, "-", cs[len(cs)-1])
	require.NotContains(t, b.String(), "total: no latency percentiles")
	var md strings.Builder
	require.NoError(t, RenderMarkdown(&md, one.Result(Meta{Backend: "sim"}), DefaultExportPercentiles))
	require.Contains(t, md.String(), "| total | e2e (ms)")
}

// A break-even price of 0 means the class's other prices alone cover its
// cost (any price of that line breaks even), not "give it away": the table
// says "0 (covered)" with a line explaining it, and the JSON carries the
// note (break_even_notes), also when reading an older file that wrote a
// bare 0. A break-even above 0 gets neither.
func TestCoveredBreakEvenIsLabelled(t *testing.T) {
	r := pdResult()
	require.NoError(t, ApplyCost(r, CostInputs{Prices: map[string]*pricing.List{
		"chat":  {InputPerMTok: 100, OutputPerMTok: 1},             // input alone covers chat's cost
		"agent": {InputPerMTok: 0.1, OutputPerMTok: 1, PerTask: 1}, // short of it
	}}))
	chat, agent := r.Classes["chat"].Cost.Revenue, r.Classes["agent"].Cost.Revenue
	require.NotNil(t, chat.BreakEvenPerMTokOutput)
	require.Zero(t, *chat.BreakEvenPerMTokOutput)
	require.Equal(t, map[string]string{"break_even_per_mtok_output": econ.CoveredNote}, chat.BreakEvenNotes)
	require.Positive(t, *agent.BreakEvenPerMTokOutput)
	require.Positive(t, *agent.BreakEvenPerTask)
	require.Nil(t, agent.BreakEvenNotes)

	var b strings.Builder
	require.NoError(t, RenderCost(&b, r))
	out := b.String()
	cs := cells(tableLine(t, out, "break-even /Mtok output ¤"), "break-even /Mtok output ¤") // agent, chat, total
	require.NotEqual(t, "0 (covered)", cs[0])
	require.Equal(t, "0 (covered)", cs[1])
	require.Contains(t, out, "0 (covered): the class's other prices alone cover its cost")

	var js strings.Builder
	require.NoError(t, WriteJSON(&js, r))
	require.Contains(t, js.String(), `"break_even_notes": {`)
	// An older file wrote the 0 without a note: reading it adds the note.
	old := regexp.MustCompile(`,\s*"break_even_notes": \{[^}]*\}`).ReplaceAllString(js.String(), "")
	require.NotContains(t, old, "break_even_notes")
	back, err := Decode(strings.NewReader(old), "old.json")
	require.NoError(t, err)
	require.Equal(t, chat.BreakEvenNotes, back.Classes["chat"].Cost.Revenue.BreakEvenNotes)
	require.Nil(t, back.Classes["agent"].Cost.Revenue.BreakEvenNotes)

	b.Reset()
	agent.BreakEvenNotes, chat.BreakEvenNotes = nil, nil
	*chat.BreakEvenPerMTokOutput = 3
	require.NoError(t, RenderCost(&b, r))
	require.NotContains(t, b.String(), "covered")
}

// compare keeps the totals' latency rows of classes of different kinds
// (gates without a class judge the totals), but labels them: they pool
// chat turns with video jobs and describe no class's latency. Totals of one
// kind get no label.
func TestCompareLabelsMixedTotalsLatency(t *testing.T) {
	recs := synthRecords(600, 1)
	r := synthSummary(recs).Result(testMeta)
	require.Equal(t, "mixed", r.Totals.Kind)
	cmp, err := Compare(r, r, CompareOptions{})
	require.NoError(t, err)
	tot := cmp.Classes[len(cmp.Classes)-1]
	require.Equal(t, TotalClass, tot.Class)
	require.Equal(t, MixedTotalsNote, tot.Note)
	for _, cd := range cmp.Classes[:len(cmp.Classes)-1] {
		require.Empty(t, cd.Note, cd.Class)
	}
	for _, format := range []string{"table", "markdown"} {
		var b strings.Builder
		require.NoError(t, RenderComparison(&b, cmp, format))
		require.Contains(t, b.String(), MixedTotalsNote, format)
	}

	one := twoChatClasses()
	same := one.Result(Meta{Backend: "sim"})
	cmp, err = Compare(same, same, CompareOptions{})
	require.NoError(t, err)
	require.Empty(t, cmp.Classes[len(cmp.Classes)-1].Note)
}

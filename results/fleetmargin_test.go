package results

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/pricing"
)

// TestFleetMarkupAndMarginInJSON: the fleet's markup on cost and margin on
// revenue are defined (margin / fleet cost, margin / revenue) but were in
// no file, so the cost table's total column showed "-" for them and
// compare had no fleet margin row or gate. Now they are in the result's
// cost section, the table and compare; absent without a price list, the
// margin on revenue absent without revenue; a priced fleet that earned
// nothing has revenue 0 (was left out) and markup -100%.
func TestFleetMarkupAndMarginInJSON(t *testing.T) {
	r := pdResult()
	require.NoError(t, ApplyCost(r, CostInputs{Prices: map[string]*pricing.List{
		"chat":  {InputPerMTok: 1, CachedInputPerMTok: 0.1, OutputPerMTok: 40},
		"agent": {Currency: "CNY", CNYPerUSD: 7.2, PerTask: 7.2}}}))
	c := r.Cost
	require.NotNil(t, c.MarkupPct)
	require.NotNil(t, c.MarginPct)
	require.InEpsilon(t, *c.MarginUSD/c.USD*100, *c.MarkupPct, 1e-5)
	require.InEpsilon(t, *c.MarginUSD / *c.RevenueUSD * 100, *c.MarginPct, 1e-5)

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, r))
	var raw struct {
		Cost map[string]any `json:"cost"`
	}
	require.NoError(t, json.Unmarshal(js.Bytes(), &raw))
	require.Equal(t, *c.MarkupPct, raw.Cost["markup_pct"])
	require.Equal(t, *c.MarginPct, raw.Cost["margin_pct"])

	var b strings.Builder
	require.NoError(t, RenderCost(&b, r))
	markup := cells(tableLine(t, b.String(), "markup % on cost"), "markup % on cost")
	margin := cells(tableLine(t, b.String(), "margin % on revenue"), "margin % on revenue")
	require.Equal(t, fmtNum(*c.MarkupPct), markup[2])
	require.Equal(t, fmtNum(*c.MarginPct), margin[2])

	// Read back: unchanged; compare gates the fleet's margin (total).
	back, err := Decode(bytes.NewReader(js.Bytes()), "new.json")
	require.NoError(t, err)
	require.Equal(t, *c.MarginPct, *back.Cost.MarginPct)
	require.Equal(t, *c.RevenueUSD, *back.Cost.RevenueUSD)
	gates, err := ParseGates("total:cost.margin_pct<-2")
	require.NoError(t, err)
	cmp, err := Compare(back, r, CompareOptions{Gates: gates})
	require.NoError(t, err)
	require.NotEmpty(t, cmp.Gates)
	require.False(t, cmp.Gates[0].Failed)
	var found bool
	for _, cl := range cmp.Classes {
		for _, m := range cl.Rows {
			if cl.Class == TotalClass && m.Metric == "cost.margin_pct" {
				found = true
				require.Equal(t, *c.MarginPct, *m.New)
			}
		}
	}
	require.True(t, found, "compare shows the fleet's margin in the totals")

	// An older file (no percentages): filled on read from its classes.
	old := pdResult()
	require.NoError(t, ApplyCost(old, CostInputs{Prices: map[string]*pricing.List{"chat": {InputPerMTok: 1, OutputPerMTok: 40}}}))
	want := *old.Cost
	old.Cost.MarkupPct, old.Cost.MarginPct = nil, nil
	js.Reset()
	require.NoError(t, WriteJSON(&js, old))
	back, err = Decode(bytes.NewReader(js.Bytes()), "old.json")
	require.NoError(t, err)
	require.Equal(t, *want.MarkupPct, *back.Cost.MarkupPct)
	require.Equal(t, *want.MarginPct, *back.Cost.MarginPct)

	// One priced class beside an idle one (charged nothing): the fleet's
	// percentages are that class's, to the digit (a fleet figure from the
	// revenue rounded to 6 decimals read -0.897616 beside the class's
	// -0.89753 for a $0.24 run).
	one := pdResult()
	one.Classes["agent"] = &ClassResult{Kind: "agent"}
	one.Attribution = map[string]map[string]float64{"chat": {"prefill": 1, "decode": 1}}
	require.NoError(t, ApplyCost(one, CostInputs{Prices: map[string]*pricing.List{"*": {InputPerMTok: 0.000123457, OutputPerMTok: 0.000987654}}}))
	rv := one.Classes["chat"].Cost.Revenue
	require.Equal(t, *rv.MarkupPct, *one.Cost.MarkupPct)
	require.Equal(t, *rv.MarginPct, *one.Cost.MarginPct)

	// No price list: all four absent.
	none := pdResult()
	require.NoError(t, ApplyCost(none, CostInputs{}))
	require.Nil(t, none.Cost.RevenueUSD)
	require.Nil(t, none.Cost.MarginUSD)
	require.Nil(t, none.Cost.MarkupPct)
	require.Nil(t, none.Cost.MarginPct)
	js.Reset()
	require.NoError(t, WriteJSON(&js, none))
	for _, key := range []string{"revenue_usd", "margin_usd", "markup_pct", "margin_pct"} {
		require.NotContains(t, js.String(), `"`+key+`"`)
	}

	// Priced, but nothing earned (per-task list, no task finished): revenue
	// 0, margin the whole cost, markup -100%, no margin on revenue.
	zero := pdResult()
	zero.Classes["agent"].Tasks = 0
	require.NoError(t, ApplyCost(zero, CostInputs{Prices: map[string]*pricing.List{"agent": {PerTask: 2}}}))
	require.NotNil(t, zero.Cost.RevenueUSD)
	require.Zero(t, *zero.Cost.RevenueUSD)
	require.Equal(t, -zero.Cost.USD, *zero.Cost.MarginUSD)
	require.Equal(t, -100.0, *zero.Cost.MarkupPct)
	require.Nil(t, zero.Cost.MarginPct)
	b.Reset()
	require.NoError(t, RenderCost(&b, zero))
	require.Contains(t, b.String(), "revenue $0, margin -$")
	// No class has a markup (the priced one made nothing and cost
	// nothing), the fleet has: its row was left out.
	zero.Classes["agent"].Cost.Revenue.MarkupPct = nil
	b.Reset()
	require.NoError(t, RenderCost(&b, zero))
	mk := cells(tableLine(t, b.String(), "markup % on cost"), "markup % on cost")
	require.Equal(t, "-100", mk[len(mk)-1])
}

// TestCompareSaysEachSidesWarnings: compare printed an interrupted NEW
// (its 30 cancelled requests counted as errors: error_rate 0 -> 0.39) or
// a NEW that fell behind (lower-bound costs) without a word: the deltas
// read as a server regression. Each side's own warnings now head the
// comparison (table, markdown, JSON run info); one both share is said once.
func TestCompareSaysEachSidesWarnings(t *testing.T) {
	base, nw := pdResult(), pdResult()
	base.Warnings = []string{"short window: x"}
	nw.Warnings = []string{"short window: x", "run interrupted: the result holds the requests sent before the interruption"}
	cmp, err := Compare(base, nw, CompareOptions{})
	require.NoError(t, err)
	require.Equal(t, nw.Warnings, cmp.New.Warnings)
	for _, format := range []string{"table", "markdown"} {
		var b strings.Builder
		require.NoError(t, RenderComparison(&b, cmp, format))
		require.Contains(t, b.String(), "WARNING (new): run interrupted", format)
		require.Contains(t, b.String(), "WARNING (both): short window: x", format)
		require.Equal(t, 1, strings.Count(b.String(), "short window: x"), format)
	}
}

package results

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/pricing"
)

// A list with no cached price bills cached input at the input price (no
// discount, docs/economics.md). Its break-even input price must move the
// cached tokens' price too: `price chat.json --price-file` of {input 0.5,
// output 2} solved input at 3.30626 holding cached input at 0.5 (the list
// sets no such price: raising input raises it), and solved a
// cached_input_per_mtok break-even (6.28173) of a price the list does not
// set. Input 1 Mtok of which 0.4 cached, output 0.1 Mtok, cost 3 USD:
// revenue 1 x 0.5 + 0.1 x 2 = 0.7; p* = (3 - 0.2) / 1 = 2.8.
func TestBreakEvenInputWithoutACachedPrice(t *testing.T) {
	pl := &pricing.List{InputPerMTok: 0.5, OutputPerMTok: 2}
	require.NoError(t, pl.Validate())
	b := TotalsBook(1_000_000, 400_000, 100_000, 0, 0, 3, pl, CostSplit{})
	assert.InDelta(t, 0.7, b.Revenue(), 1e-12)
	s := b.BreakEvenPrice("input_per_mtok")
	require.True(t, s.OK)
	assert.InDelta(t, 2.8, s.BreakEven, 1e-9)

	a := econ.Analyze("totals", "USD", b, 2.5)
	var solved []string
	for _, s := range a.Solves {
		solved = append(solved, s.Variable)
	}
	assert.NotContains(t, solved, "cached_input_per_mtok", "the list sets no cached price")
	assert.Contains(t, solved, "input_per_mtok")

	// With a discount the two lines are independent prices, as before:
	// p* = (3 - 0.4 x 0.1 - 0.2) / 0.6.
	pl = &pricing.List{InputPerMTok: 0.5, CachedInputPerMTok: 0.1, OutputPerMTok: 2}
	require.NoError(t, pl.Validate())
	b = TotalsBook(1_000_000, 400_000, 100_000, 0, 0, 3, pl, CostSplit{})
	s = b.BreakEvenPrice("input_per_mtok")
	assert.InDelta(t, 2.76/0.6, s.BreakEven, 1e-9)
}

package pricing

import (
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

func tieredList() *List {
	return &List{CachedInputPerMTok: 0.5, Tiers: []Tier{
		{UpToTokens: 32000, InputPerMTok: 1, CachedInputPerMTok: 0.25, OutputPerMTok: 4},
		{UpToTokens: 0, InputPerMTok: 2, OutputPerMTok: 8},
	}}
}

func TestValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		pl    List
		field string
		want  string
	}{
		"currency":       {List{Currency: "EUR"}, "currency", "USD or CNY"},
		"negative":       {List{OutputPerMTok: -1}, "output_per_mtok", "a price must be a finite number >= 0, got -1"},
		"nan":            {List{PerTask: nan()}, "per_task", "got NaN"},
		"rate":           {List{Currency: "CNY", CNYPerUSD: -7}, "cny_per_usd", "exchange rate"},
		"unbounded mid":  {List{Tiers: []Tier{{UpToTokens: 0}, {UpToTokens: 10}}}, "tiers[0].up_to_tokens", "only the last tier may omit its upper bound"},
		"not ascending":  {List{Tiers: []Tier{{UpToTokens: 100}, {UpToTokens: 10}}}, "tiers[1].up_to_tokens", "tiers must ascend (10 after 100)"},
		"negative bound": {List{Tiers: []Tier{{UpToTokens: -5}}}, "tiers[0].up_to_tokens", "must be > 0, got -5"},
		"tier price":     {List{Tiers: []Tier{{UpToTokens: 5, InputPerMTok: -1}}}, "tiers[0].input_per_mtok", ">= 0"},
		// Limits (docs/scenarios.md): a price list had none, so a typo
		// (output_per_mtok: 1e30) was priced.
		"huge price": {List{OutputPerMTok: 1e30}, "output_per_mtok", "at most 1e+06"},
		"huge task":  {List{PerTask: 2e6}, "per_task", "at most 1e+06"},
		"huge rate":  {List{Currency: "CNY", CNYPerUSD: 1e5}, "cny_per_usd", "at most 1000"},
		"huge bound": {List{Tiers: []Tier{{UpToTokens: 20_000_000}}}, "tiers[0].up_to_tokens", "at most 10000000"},
		"many tiers": {List{Tiers: make([]Tier, 65)}, "tiers", "at most 64 tiers"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.pl.Validate()
			require.ErrorContains(t, err, tc.want)
			var fe *fielderr.Error
			require.True(t, errors.As(err, &fe))
			require.Equal(t, tc.field, fe.Field)
		})
	}
	// Every problem is reported, not just the first.
	two := List{InputPerMTok: -1, OutputPerMTok: -2}
	require.Len(t, two.Validate().(interface{ Unwrap() []error }).Unwrap(), 2)

	ok := tieredList()
	require.NoError(t, ok.Validate())
	require.Equal(t, "USD", ok.Currency)
	require.Equal(t, DefaultCNYPerUSD, ok.CNYPerUSD)
	require.Equal(t, []int{32000}, ok.TierBounds())
	cny := List{Currency: " cny "}
	require.NoError(t, cny.Validate())
	require.Equal(t, "CNY", cny.Currency)
}

func TestTierPricesAndScale(t *testing.T) {
	pl := tieredList()
	in, cached, out := pl.TierPrices(1000)
	require.Equal(t, [3]float64{1, 0.25, 4}, [3]float64{in, cached, out})
	in, cached, out = pl.TierPrices(100000)
	require.Equal(t, [3]float64{2, 0.5, 8}, [3]float64{in, cached, out}) // list cached price
	flat := &List{InputPerMTok: 3, OutputPerMTok: 6}
	in, cached, _ = flat.TierPrices(-1)
	require.Equal(t, in, cached) // no discount listed: full price
	s := pl.Scale(2)
	require.Equal(t, 4.0, s.Tiers[1].InputPerMTok)
	require.Equal(t, 2.0, pl.Tiers[1].InputPerMTok, "Scale copies")
	c := &List{Currency: "CNY", CNYPerUSD: 7}
	require.Equal(t, 1.0, c.ToUSD(7))
	require.Equal(t, 7.0, c.FromUSD(1))
	require.True(t, pl.HasTokenPrices())
	require.False(t, (&List{PerTask: 1}).HasTokenPrices())
}

func nan() float64 { z := 0.0; return z / z }

package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/pricing"
)

func TestParsePriceFile(t *testing.T) {
	got, err := ParsePriceFile("p.yaml", []byte(`# prices
default: {currency: usd, input_per_mtok: 0.6, cached_input_per_mtok: 0.15, output_per_mtok: 2.4}
classes:
  agent:
    currency: CNY
    per_task: 0.5
  long:
    tiers:
      - {up_to_tokens: 32000, input_per_mtok: 1, output_per_mtok: 4}
      - {up_to_tokens: 0, input_per_mtok: 2, output_per_mtok: 8}
`))
	require.NoError(t, err)
	require.Equal(t, &pricing.List{Currency: "USD", CNYPerUSD: pricing.DefaultCNYPerUSD, InputPerMTok: 0.6, CachedInputPerMTok: 0.15, OutputPerMTok: 2.4}, got["*"])
	require.Equal(t, "CNY", got["agent"].Currency)
	require.Equal(t, []int{32000}, got["long"].TierBounds())

	for name, tc := range map[string]struct{ in, want string }{
		"unknown key":  {"default: {input_per_mtokk: 1}", `p.yaml:1:11: unknown key "input_per_mtokk" in default (did you mean "input_per_mtok"?)`},
		"bad currency": {"classes:\n  chat: {currency: EUR}", `p.yaml:2:10: classes.chat.currency: "EUR" is not supported (USD or CNY)`},
		"tier order": {"default:\n  tiers:\n    - {up_to_tokens: 100, input_per_mtok: 1, output_per_mtok: 2}\n    - {up_to_tokens: 10, input_per_mtok: 1, output_per_mtok: 2}\n",
			"p.yaml:4:8: default.tiers[1].up_to_tokens: tiers must ascend (10 after 100)"},
		"empty":      {"", "p.yaml:1:1: no prices"},
		"null class": {"classes:\n  chat:\n", "p.yaml:2:3: classes.chat: empty price list"},
		"alias":      {"default: &a {per_task: 1}\nclasses: {x: *a}", "p.yaml:1:10: YAML anchors and aliases"},
		"not yaml":   {"default: [", "p.yaml:1"},
		"too big":    {strings.Repeat("#", maxPriceFile+1), "more than"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePriceFile("p.yaml", []byte(tc.in))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// TestPricingOneValidation: a class's pricing and a price file report the
// same problem with the same words (one validation, pricing.List.Validate).
func TestPricingOneValidation(t *testing.T) {
	_, ferr := ParsePriceFile("p.yaml", []byte("default: {output_per_mtok: -1}\n"))
	require.Error(t, ferr)
	_, serr := Parse("s.yaml", []byte("name: x\nclasses:\n  - name: c\n    kind: chat\n    pricing: {output_per_mtok: -1}\n"), ".")
	require.Error(t, serr)
	const msg = "output_per_mtok: a price must be a finite number >= 0, got -1"
	require.Contains(t, ferr.Error(), "p.yaml:1:11: default."+msg)
	require.Contains(t, serr.Error(), "s.yaml:5:15: classes[0].pricing."+msg)
}

func FuzzParsePriceFile(f *testing.F) {
	f.Add([]byte("default: {input_per_mtok: 1, output_per_mtok: 4}"))
	f.Add([]byte("classes:\n  a:\n    tiers:\n      - {up_to_tokens: 10, input_per_mtok: 1, output_per_mtok: 2}\n"))
	f.Add([]byte("default: {currency: CNY, cny_per_usd: 7, per_task: 1}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParsePriceFile("f.yaml", data)
		if err != nil {
			return
		}
		for _, p := range m {
			// A parsed list is valid and prices without panicking.
			require.NoError(t, p.Validate())
			_, _, _ = p.TierPrices(1000)
		}
	})
}

// A price file's unknown top-level key was reported "in the scenario".
func TestPriceFileUnknownKeyNamesThePriceFile(t *testing.T) {
	_, err := ParsePriceFile("p.yaml", []byte("currency: USD\ninput_per_mtok: 0.27\n"))
	require.ErrorContains(t, err, `p.yaml:1:1: unknown key "currency" in the price file`)
	require.NotContains(t, err.Error(), "scenario")
}

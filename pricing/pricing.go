// Package pricing is the price list a provider charges for a workload
// class: per-token prices (optionally tiered by input length, with a
// cached-input discount), a price per task and a price per second of video.
// The scenario loader decodes it (class `pricing:` and --price-file, with
// file:line:col messages) and the results package prices runs with it; it
// is a leaf so both can share one type and one validation.
package pricing

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

// List is what a provider charges for one class. Any mix of token, task and
// video-second prices may be set; revenue is the sum. Prices are in
// Currency; CNY converts to USD at CNYPerUSD.
type List struct {
	Currency  string  `yaml:"currency" json:"currency"`                           // USD (default) or CNY
	CNYPerUSD float64 `yaml:"cny_per_usd,omitempty" json:"cny_per_usd,omitempty"` // exchange rate for CNY lists (default DefaultCNYPerUSD)
	// Untiered token prices per million tokens. CachedInputPerMTok 0 means
	// no discount: cached input is billed at InputPerMTok.
	InputPerMTok       float64 `yaml:"input_per_mtok,omitempty" json:"input_per_mtok,omitempty"`
	CachedInputPerMTok float64 `yaml:"cached_input_per_mtok,omitempty" json:"cached_input_per_mtok,omitempty"`
	OutputPerMTok      float64 `yaml:"output_per_mtok,omitempty" json:"output_per_mtok,omitempty"`
	// Tiers replace the untiered token prices when set: a request is billed
	// entirely at the first tier whose UpToTokens is >= its input length
	// (the last tier may be 0 = unbounded; beyond a bounded last tier the
	// last tier applies). Tiers ascend by input length.
	Tiers          []Tier  `yaml:"tiers,omitempty" json:"tiers,omitempty"`
	PerTask        float64 `yaml:"per_task,omitempty" json:"per_task,omitempty"`                 // per task (chat request, agent session, clip)
	PerVideoSecond float64 `yaml:"per_video_second,omitempty" json:"per_video_second,omitempty"` // per second of generated video
}

// Tier is one input-length tier of a List: it applies to requests with
// input length <= UpToTokens (0 on the last tier = no upper bound).
// CachedInputPerMTok 0 falls back to the list's CachedInputPerMTok, then to
// the tier's input price (no discount).
type Tier struct {
	UpToTokens         int     `yaml:"up_to_tokens" json:"up_to_tokens"`
	InputPerMTok       float64 `yaml:"input_per_mtok" json:"input_per_mtok"`
	CachedInputPerMTok float64 `yaml:"cached_input_per_mtok,omitempty" json:"cached_input_per_mtok,omitempty"`
	OutputPerMTok      float64 `yaml:"output_per_mtok" json:"output_per_mtok"`
}

// DefaultCNYPerUSD is the exchange rate used when a CNY list names none
// (the rate docs/scenarios.md uses).
const DefaultCNYPerUSD = 7.1

// Limits of a list (docs/scenarios.md, Limits): far above any published
// price, so that a typo (output_per_mtok: 1e30) is refused, not priced.
const (
	MaxPrice      = 1e6        // per Mtok, per task or per video second, in the list's currency
	MaxCNYPerUSD  = 1000.0     // exchange rate
	MaxTiers      = 64         // input-length tiers
	MaxTierTokens = 10_000_000 // a tier's up_to_tokens: the longest request a scenario may have
	// MaxGPUHourUSD bounds a GPU-hour price (fleet.gpu_hour_usd,
	// --gpu-price): ~100x the dearest on-demand GPU, so a slipped digit
	// (25000 for 2.5) is refused rather than priced.
	MaxGPUHourUSD = 1000.0
)

// Validate normalises the list in place (currency upper-cased, USD when
// empty, the default exchange rate) and checks signs and tier order. The
// error joins one *fielderr.Error per problem, each naming its key relative
// to the list ("tiers[1].up_to_tokens"), so the scenario loader can point at
// file:line:col of every one.
func (p *List) Validate() error {
	var errs []error
	switch cur := strings.ToUpper(strings.TrimSpace(p.Currency)); cur {
	case "":
		p.Currency = "USD"
	case "USD", "CNY":
		p.Currency = cur
	default:
		errs = append(errs, fielderr.New("currency", "USD or CNY", "%q is not supported", p.Currency))
	}
	if p.CNYPerUSD == 0 {
		p.CNYPerUSD = DefaultCNYPerUSD
	}
	if !(p.CNYPerUSD > 0) || math.IsInf(p.CNYPerUSD, 0) {
		errs = append(errs, fielderr.New("cny_per_usd", "", "the exchange rate must be a finite number > 0, got %v", p.CNYPerUSD))
	} else if p.CNYPerUSD > MaxCNYPerUSD {
		errs = append(errs, fielderr.New("cny_per_usd", "CNY per USD", "the exchange rate is at most %g, got %v", MaxCNYPerUSD, p.CNYPerUSD))
	}
	price := func(key string, x float64) {
		switch {
		case !(x >= 0) || math.IsInf(x, 0):
			errs = append(errs, fielderr.New(key, "", "a price must be a finite number >= 0, got %v", x))
		case x > MaxPrice:
			errs = append(errs, fielderr.New(key, "", "a price is at most %g, got %v", MaxPrice, x))
		}
	}
	price("input_per_mtok", p.InputPerMTok)
	price("cached_input_per_mtok", p.CachedInputPerMTok)
	price("output_per_mtok", p.OutputPerMTok)
	price("per_task", p.PerTask)
	price("per_video_second", p.PerVideoSecond)
	if len(p.Tiers) > MaxTiers {
		errs = append(errs, fielderr.New("tiers", "", "at most %d tiers, got %d", MaxTiers, len(p.Tiers)))
		return errors.Join(errs...)
	}
	prev := 0
	for i, t := range p.Tiers {
		at := fmt.Sprintf("tiers[%d]", i)
		price(at+".input_per_mtok", t.InputPerMTok)
		price(at+".cached_input_per_mtok", t.CachedInputPerMTok)
		price(at+".output_per_mtok", t.OutputPerMTok)
		last := i == len(p.Tiers)-1
		switch {
		case t.UpToTokens < 0:
			errs = append(errs, fielderr.New(at+".up_to_tokens", "0 on the last tier means no upper bound", "must be > 0, got %d", t.UpToTokens))
		case t.UpToTokens == 0 && !last:
			errs = append(errs, fielderr.New(at+".up_to_tokens", "", "only the last tier may omit its upper bound"))
		case t.UpToTokens > MaxTierTokens:
			errs = append(errs, fielderr.New(at+".up_to_tokens", "tokens of input", "at most %d, got %d", MaxTierTokens, t.UpToTokens))
		case t.UpToTokens != 0 && t.UpToTokens <= prev:
			errs = append(errs, fielderr.New(at+".up_to_tokens", "", "tiers must ascend (%d after %d)", t.UpToTokens, prev))
		}
		prev = t.UpToTokens
	}
	return errors.Join(errs...)
}

// TierBounds is the list's finite tier upper bounds, ascending and unique
// (the unbounded last tier is implicit).
func (p *List) TierBounds() []int {
	if p == nil {
		return nil
	}
	var out []int
	for _, t := range p.Tiers {
		if t.UpToTokens > 0 {
			out = append(out, t.UpToTokens)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// HasTokenPrices reports whether any per-token price is set.
func (p *List) HasTokenPrices() bool {
	if p.InputPerMTok > 0 || p.CachedInputPerMTok > 0 || p.OutputPerMTok > 0 {
		return true
	}
	for _, t := range p.Tiers {
		if t.InputPerMTok > 0 || t.CachedInputPerMTok > 0 || t.OutputPerMTok > 0 {
			return true
		}
	}
	return false
}

// DiscountsCached reports whether the list sets a cached-input price (on
// the list or on any tier); without one, cached input is billed at the
// input price (TierPrices), so it is no price of its own to solve or cut.
func (p *List) DiscountsCached() bool {
	if p.CachedInputPerMTok > 0 {
		return true
	}
	for _, t := range p.Tiers {
		if t.CachedInputPerMTok > 0 {
			return true
		}
	}
	return false
}

// Clone returns a deep copy (Validate normalises in place, so concurrent
// users of one list each need their own).
func (p *List) Clone() *List {
	if p == nil {
		return nil
	}
	q := *p
	q.Tiers = slices.Clone(p.Tiers)
	return &q
}

// Scale returns a copy with every price multiplied by k (the break-even
// list is the list scaled by cost / revenue).
func (p *List) Scale(k float64) *List {
	q := p.Clone()
	q.InputPerMTok *= k
	q.CachedInputPerMTok *= k
	q.OutputPerMTok *= k
	q.PerTask *= k
	q.PerVideoSecond *= k
	for i := range q.Tiers {
		q.Tiers[i].InputPerMTok *= k
		q.Tiers[i].CachedInputPerMTok *= k
		q.Tiers[i].OutputPerMTok *= k
	}
	return q
}

// ToUSD converts an amount in the list's currency to US dollars.
func (p *List) ToUSD(v float64) float64 {
	if p.Currency == "CNY" {
		return v / p.CNYPerUSD
	}
	return v
}

// FromUSD converts US dollars to the list's currency.
func (p *List) FromUSD(v float64) float64 {
	if p.Currency == "CNY" {
		return v * p.CNYPerUSD
	}
	return v
}

// TierPrices returns the (input, cached, output) prices per Mtok of the
// tier an input length of n tokens falls in (n < 0: the first tier).
func (p *List) TierPrices(n int) (in, cached, out float64) {
	if len(p.Tiers) == 0 {
		in, cached, out = p.InputPerMTok, p.CachedInputPerMTok, p.OutputPerMTok
	} else {
		t := p.Tiers[len(p.Tiers)-1]
		for _, x := range p.Tiers {
			if x.UpToTokens == 0 || n <= x.UpToTokens {
				t = x
				break
			}
		}
		in, cached, out = t.InputPerMTok, t.CachedInputPerMTok, t.OutputPerMTok
		if cached == 0 {
			cached = p.CachedInputPerMTok
		}
	}
	if cached == 0 {
		cached = in // no cached discount listed: cached input pays full price
	}
	return in, cached, out
}

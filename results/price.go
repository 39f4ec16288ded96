package results

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
)

// PriceList is what a provider charges for one class: per-token prices
// (per million tokens, optionally tiered by the request's input length,
// with a discounted price for cached input), a flat price per task, and a
// price per second of generated video. Any mix may be set; revenue is the
// sum. Prices are in Currency; CNY converts to USD at CNYPerUSD.
type PriceList struct {
	Currency  string  `yaml:"currency" json:"currency"`                           // USD (default) or CNY
	CNYPerUSD float64 `yaml:"cny_per_usd,omitempty" json:"cny_per_usd,omitempty"` // exchange rate for CNY lists (default 7.1, CATALOG.md)
	// Untiered token prices per million tokens. CachedInputPerMTok 0 means
	// no discount: cached input is billed at InputPerMTok.
	InputPerMTok       float64 `yaml:"input_per_mtok,omitempty" json:"input_per_mtok,omitempty"`
	CachedInputPerMTok float64 `yaml:"cached_input_per_mtok,omitempty" json:"cached_input_per_mtok,omitempty"`
	OutputPerMTok      float64 `yaml:"output_per_mtok,omitempty" json:"output_per_mtok,omitempty"`
	// Tiers replace the untiered token prices when set: a request is billed
	// entirely at the first tier whose UpToTokens is >= its input length
	// (the last tier may be 0 = unbounded; beyond a bounded last tier the
	// last tier applies).
	Tiers          []PriceTier `yaml:"tiers,omitempty" json:"tiers,omitempty"`
	PerTask        float64     `yaml:"per_task,omitempty" json:"per_task,omitempty"`                 // per task (chat request, agent session, clip)
	PerVideoSecond float64     `yaml:"per_video_second,omitempty" json:"per_video_second,omitempty"` // per second of generated video
}

// PriceTier is one input-length tier of a PriceList. CachedInputPerMTok 0
// falls back to the list's CachedInputPerMTok, then to the tier's input
// price (no discount).
type PriceTier struct {
	UpToTokens         int     `yaml:"up_to_tokens" json:"up_to_tokens"`
	InputPerMTok       float64 `yaml:"input_per_mtok" json:"input_per_mtok"`
	CachedInputPerMTok float64 `yaml:"cached_input_per_mtok,omitempty" json:"cached_input_per_mtok,omitempty"`
	OutputPerMTok      float64 `yaml:"output_per_mtok" json:"output_per_mtok"`
}

// DefaultCNYPerUSD is the exchange rate used when a CNY list names none
// (CATALOG.md).
const DefaultCNYPerUSD = 7.1

// Validate normalises the currency and checks signs and tier order. The
// receiver is updated (currency upper-cased, default exchange rate).
func (p *PriceList) Validate() error {
	switch strings.ToUpper(strings.TrimSpace(p.Currency)) {
	case "", "USD":
		p.Currency = "USD"
	case "CNY":
		p.Currency = "CNY"
	default:
		return fmt.Errorf("currency %q is not supported: use USD or CNY", p.Currency)
	}
	if p.CNYPerUSD == 0 {
		p.CNYPerUSD = DefaultCNYPerUSD
	}
	check := func(name string, v float64) error {
		if !(v >= 0) || math.IsInf(v, 0) {
			return fmt.Errorf("%s: a price must be a finite number >= 0, got %v", name, v)
		}
		return nil
	}
	if !(p.CNYPerUSD > 0) || math.IsInf(p.CNYPerUSD, 0) {
		return fmt.Errorf("cny_per_usd: the exchange rate must be positive, got %v", p.CNYPerUSD)
	}
	errs := []error{check("input_per_mtok", p.InputPerMTok), check("cached_input_per_mtok", p.CachedInputPerMTok),
		check("output_per_mtok", p.OutputPerMTok), check("per_task", p.PerTask), check("per_video_second", p.PerVideoSecond)}
	for i, t := range p.Tiers {
		at := fmt.Sprintf("tiers[%d]", i)
		errs = append(errs, check(at+".input_per_mtok", t.InputPerMTok), check(at+".cached_input_per_mtok", t.CachedInputPerMTok),
			check(at+".output_per_mtok", t.OutputPerMTok))
		last := i == len(p.Tiers)-1
		switch {
		case t.UpToTokens < 0:
			errs = append(errs, fmt.Errorf("%s.up_to_tokens: must be >= 0, got %d", at, t.UpToTokens))
		case t.UpToTokens == 0 && !last:
			errs = append(errs, fmt.Errorf("%s.up_to_tokens: 0 (unbounded) is only allowed on the last tier", at))
		case i > 0 && t.UpToTokens != 0 && t.UpToTokens <= p.Tiers[i-1].UpToTokens:
			errs = append(errs, fmt.Errorf("%s.up_to_tokens: %d must be above the previous tier's %d (tiers ascend by input length)", at, t.UpToTokens, p.Tiers[i-1].UpToTokens))
		}
	}
	return errors.Join(errs...)
}

// TierBounds is the list's finite tier bounds, for ClassInfo.PriceTiers.
func (p *PriceList) TierBounds() []int {
	if p == nil {
		return nil
	}
	out := make([]int, 0, len(p.Tiers))
	for _, t := range p.Tiers {
		out = append(out, t.UpToTokens)
	}
	return tierBounds(out)
}

// HasTokenPrices reports whether any per-token price is set.
func (p *PriceList) HasTokenPrices() bool {
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

// Scale returns a copy with every price multiplied by k (the break-even
// list is the list scaled by cost / revenue).
func (p *PriceList) Scale(k float64) *PriceList {
	q := *p
	q.InputPerMTok *= k
	q.CachedInputPerMTok *= k
	q.OutputPerMTok *= k
	q.PerTask *= k
	q.PerVideoSecond *= k
	q.Tiers = slices.Clone(p.Tiers)
	for i := range q.Tiers {
		q.Tiers[i].InputPerMTok *= k
		q.Tiers[i].CachedInputPerMTok *= k
		q.Tiers[i].OutputPerMTok *= k
	}
	return &q
}

// toUSD converts an amount in the list's currency to US dollars.
func (p *PriceList) toUSD(v float64) float64 {
	if p.Currency == "CNY" {
		return v / p.CNYPerUSD
	}
	return v
}

// fromUSD converts US dollars to the list's currency.
func (p *PriceList) fromUSD(v float64) float64 {
	if p.Currency == "CNY" {
		return v * p.CNYPerUSD
	}
	return v
}

// tierPrices returns the (input, cached, output) prices per Mtok of the
// tier an input length of n tokens falls in (n < 0: the first tier).
func (p *PriceList) tierPrices(n int) (in, cached, out float64) {
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

// PriceFile is the --price-file format: a default list for every class
// and per-class lists that replace it, keyed by class name.
//
//	default: {currency: USD, input_per_mtok: 0.6, cached_input_per_mtok: 0.15, output_per_mtok: 2.4}
//	classes:
//	  agent: {per_task: 0.05}
type PriceFile struct {
	Default *PriceList            `yaml:"default,omitempty"`
	Classes map[string]*PriceList `yaml:"classes,omitempty"`
}

// maxPriceFile bounds a price file; real ones are a few hundred bytes, and
// a bound keeps a hostile file (nested aliases) from exhausting memory.
const maxPriceFile = 64 << 10

// ParsePriceFile parses a price file (YAML, see PriceFile) named name and
// returns class -> list, with "*" for the default. Unknown keys are errors
// with the file, line and column.
func ParsePriceFile(name string, data []byte) (map[string]*PriceList, error) {
	if len(data) > maxPriceFile {
		return nil, fmt.Errorf("%s: price file is %d bytes, more than the %d allowed: a price file lists a few prices", name, len(data), maxPriceFile)
	}
	if err := noAliases(data); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var f PriceFile
	if err := yaml.UnmarshalWithOptions(data, &f, yaml.Strict(), yaml.DisallowUnknownField()); err != nil {
		return nil, fmt.Errorf("%s: %s (see `fleetbench report --help` for the price file format)", name, yamlErr(err))
	}
	out := map[string]*PriceList{}
	if f.Default != nil {
		if err := f.Default.Validate(); err != nil {
			return nil, fmt.Errorf("%s: default: %w", name, err)
		}
		out["*"] = f.Default
	}
	for _, c := range sortedKeys(f.Classes) {
		p := f.Classes[c]
		if p == nil {
			return nil, fmt.Errorf("%s: classes.%s: empty price list", name, c)
		}
		if c == "*" || strings.TrimSpace(c) == "" {
			return nil, fmt.Errorf("%s: classes: %q is not a class name (use the default key for every class)", name, c)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("%s: classes.%s: %w", name, c, err)
		}
		out[c] = p
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no prices: give a default list and/or classes (e.g. `default: {input_per_mtok: 0.6, output_per_mtok: 2.4}`)", name)
	}
	return out, nil
}

// noAliases rejects YAML anchors and aliases: a price file has no use for
// them and alias expansion is the classic way to make a parser blow up.
func noAliases(data []byte) error {
	for i, line := range strings.Split(string(data), "\n") {
		code, _, _ := strings.Cut(line, "#")
		if strings.ContainsAny(code, "&*") {
			return fmt.Errorf("line %d: YAML anchors and aliases (& and *) are not allowed in a price file", i+1)
		}
	}
	return nil
}

// yamlErr renders a go-yaml error as "line L:C: message".
func yamlErr(err error) string {
	var ye yaml.Error
	if errors.As(err, &ye) {
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			return fmt.Sprintf("line %d:%d: %s", tk.Position.Line, tk.Position.Column, ye.GetMessage())
		}
		return ye.GetMessage()
	}
	return err.Error()
}

// ParseGPUPrices parses a --gpu-price value, "h100=2.5,h20=1.2": USD per
// GPU-hour by GPU type (lower-cased).
func ParseGPUPrices(s string) (map[string]float64, error) {
	out := map[string]float64{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return nil, fmt.Errorf("gpu price %q: want TYPE=USD_PER_GPU_HOUR, e.g. h100=2.5", item)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(f >= 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("gpu price %q: %q is not a price in USD per GPU-hour (a number >= 0, e.g. h100=2.5)", item, strings.TrimSpace(v))
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("gpu price %q: %s is priced twice", item, k)
		}
		out[k] = f
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

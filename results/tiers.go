package results

import (
	"fmt"
	"slices"
)

// TierTokens is one input-length tier's token volume of a class: the
// successful requests whose input length falls in the tier, and their
// tokens. Tiered price lists bill each request at the tier its input length
// falls in, so revenue needs these per-tier sums, not just class totals.
type TierTokens struct {
	// UpToTokens is the tier's inclusive upper bound on a request's input
	// length; 0 marks the last, unbounded tier.
	UpToTokens   int   `json:"up_to_tokens"`
	Requests     int64 `json:"requests"`
	InputTokens  int64 `json:"input_tokens"`
	CachedTokens int64 `json:"cached_tokens"`
	OutputTokens int64 `json:"output_tokens"`
}

// tierBounds normalises tier upper bounds: positive values only (0 means
// "unbounded", which the implicit last tier already is), ascending, unique.
func tierBounds(upTo []int) []int {
	var out []int
	for _, b := range upTo {
		if b > 0 {
			out = append(out, b)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// tierAcc accumulates TierTokens for bounds b1 < ... < bn: n+1 tiers, the
// last one above bn. A nil *tierAcc counts nothing (class without tiers).
type tierAcc struct {
	bounds []int
	tiers  []TierTokens
}

func newTierAcc(upTo []int) *tierAcc {
	b := tierBounds(upTo)
	if len(b) == 0 {
		return nil
	}
	t := &tierAcc{bounds: b, tiers: make([]TierTokens, len(b)+1)}
	for i, v := range b {
		t.tiers[i].UpToTokens = v
	}
	return t
}

// add counts one successful request. Tiers are few (a price list has two to
// four), so a linear scan beats a binary search.
func (t *tierAcc) add(r *Record) {
	if t == nil {
		return
	}
	i := 0
	for i < len(t.bounds) && r.InputTokens > t.bounds[i] {
		i++
	}
	d := &t.tiers[i]
	d.Requests++
	d.InputTokens += int64(r.InputTokens)
	d.CachedTokens += int64(r.CachedTokens)
	d.OutputTokens += int64(r.OutputTokens)
}

// mergeFrom adds o's counts when both have the same bounds; Merge checks
// that first (sameTiers), so a mismatch here only happens for the totals,
// which never report tiers.
func (t *tierAcc) mergeFrom(o *tierAcc) *tierAcc {
	if o == nil {
		return t
	}
	if t == nil {
		c := &tierAcc{bounds: slices.Clone(o.bounds), tiers: slices.Clone(o.tiers)}
		return c
	}
	if !slices.Equal(t.bounds, o.bounds) {
		return t
	}
	for i := range t.tiers {
		d, s := &t.tiers[i], &o.tiers[i]
		d.Requests += s.Requests
		d.InputTokens += s.InputTokens
		d.CachedTokens += s.CachedTokens
		d.OutputTokens += s.OutputTokens
	}
	return t
}

// export is the result's tokens_by_tier (nil without tiers).
func (t *tierAcc) export() []TierTokens {
	if t == nil {
		return nil
	}
	return slices.Clone(t.tiers)
}

// importTiers rebuilds a tier accumulator from a result's tokens_by_tier,
// checking that the bounds are ascending with only the last one unbounded.
func importTiers(ts []TierTokens) (*tierAcc, error) {
	if len(ts) == 0 {
		return nil, nil
	}
	t := &tierAcc{tiers: slices.Clone(ts)}
	for i, x := range ts {
		last := i == len(ts)-1
		switch {
		case last && x.UpToTokens != 0:
			return nil, fmt.Errorf("tokens_by_tier: the last tier must have up_to_tokens 0 (unbounded), got %d", x.UpToTokens)
		case !last && x.UpToTokens <= 0:
			return nil, fmt.Errorf("tokens_by_tier[%d]: up_to_tokens must be positive except on the last tier, got %d", i, x.UpToTokens)
		case !last && i > 0 && x.UpToTokens <= ts[i-1].UpToTokens:
			return nil, fmt.Errorf("tokens_by_tier[%d]: up_to_tokens %d is not above the previous tier's %d", i, x.UpToTokens, ts[i-1].UpToTokens)
		case x.Requests < 0 || x.InputTokens < 0 || x.CachedTokens < 0 || x.OutputTokens < 0:
			return nil, fmt.Errorf("tokens_by_tier[%d]: negative count", i)
		}
		if !last {
			t.bounds = append(t.bounds, x.UpToTokens)
		}
	}
	return t, nil
}

// sameTiers reports whether two accumulators bucket by the same bounds.
func sameTiers(a, b *tierAcc) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return slices.Equal(a.bounds, b.bounds)
}

package econ

import (
	"encoding/json"
	"fmt"
)

// Component is one revenue line of a price list, as billed over a volume.
// Its JSON adds volume_unit (VolumeUnit).
type Component struct {
	// Name is the price's key: input_per_mtok, cached_input_per_mtok,
	// output_per_mtok, per_task or per_video_second.
	Name string `json:"name"`
	// Price is the list price (the first tier's for tiered lists).
	Price float64 `json:"price"`
	// Volume is the billed quantity in the price's unit (Mtok, tasks,
	// video seconds).
	Volume float64 `json:"volume"`
	// Amount is the revenue the line earned, tiers included.
	Amount float64 `json:"amount"`
	// BilledAs names the line whose price this one bills at when the list
	// sets no price of its own ("input_per_mtok" for cached input on a list
	// without a cached discount): its price moves with that line's, and it
	// has no break-even of its own.
	BilledAs string `json:"billed_as,omitempty"`
	// Tiers is the number of input-length tiers of a tiered list (0 or 1:
	// untiered). Price is then the first tier's and Amount bills each
	// request at its own tier, so Amount / Volume (the JSON's mean_price)
	// is the price billed on average, not Price.
	Tiers int `json:"tiers,omitempty"`
}

// MeanPrice is the price billed on average: Amount / Volume (Price
// without volume).
func (c Component) MeanPrice() float64 {
	if c.Volume > 0 {
		return c.Amount / c.Volume
	}
	return c.Price
}

// MarshalJSON writes the line with its volume's unit (volume_unit), so
// that a reader of the JSON need not know which line counts what, and a
// tiered line with its tier count and mean price billed (price x volume
// is not its amount).
func (c Component) MarshalJSON() ([]byte, error) {
	out := struct {
		Name       string   `json:"name"`
		Price      float64  `json:"price"`
		Volume     float64  `json:"volume"`
		VolumeUnit string   `json:"volume_unit"`
		Amount     float64  `json:"amount"`
		BilledAs   string   `json:"billed_as,omitempty"`
		Tiers      int      `json:"tiers,omitempty"`
		MeanPrice  *float64 `json:"mean_price,omitempty"`
	}{Name: c.Name, Price: c.Price, Volume: c.Volume, VolumeUnit: VolumeUnit(c.Name), Amount: c.Amount, BilledAs: c.BilledAs}
	if c.Tiers > 1 {
		m := sig12(c.MeanPrice())
		out.Tiers, out.MeanPrice = c.Tiers, &m
	}
	return json.Marshal(out)
}

// VolumeUnit is the unit a price line's volume counts, by its name: Mtok
// for token prices, tasks for per_task, video_seconds for
// per_video_second ("" for a name it does not know).
func VolumeUnit(name string) string {
	switch name {
	case "input_per_mtok", "cached_input_per_mtok", "output_per_mtok":
		return "Mtok"
	case "per_task":
		return "tasks"
	case "per_video_second":
		return "video_seconds"
	}
	return ""
}

// effectiveVolume is the volume at the reference price that earns Amount:
// for a tiered line the tiers' different prices fold into it, so that
// scaling the line's prices by k scales Amount by k.
func (c Component) effectiveVolume() float64 {
	if c.Price > 0 && c.Amount > 0 {
		return c.Amount / c.Price
	}
	return c.Volume
}

// Book is one class's (or a fleet's) economics at a measured point, in the
// price list's currency: what was billed, what it cost and how the cost
// depends on the variables the solves move.
type Book struct {
	Components []Component
	// Cost is the cost over the same volume.
	Cost float64
	// CostInput is the part of Cost charged to input tokens (uncached and
	// cached: the prefill work); the hit-rate solve scales it with the work
	// f(h) = (1-h) + h*CachedWeight.
	CostInput float64
	// CachedWeight is the prefill work of a cached input token relative to
	// an uncached one (results.CostSplit.CachedInput, default 0.1).
	CachedWeight float64
	// InputTokens (cached included) and HitRate (cached / input) are the
	// measured input volume and cache hit rate.
	InputTokens float64
	HitRate     float64
	// Utilization is the fleet's measured busy share (0: unknown).
	Utilization float64
}

// Revenue is the sum of the components' amounts.
func (b Book) Revenue() float64 {
	var r float64
	for _, c := range b.Components {
		r += c.Amount
	}
	return r
}

// Solve is one break-even answer: the value of Variable at which revenue
// equals cost with everything else held.
type Solve struct {
	Variable string  `json:"variable"`
	Current  float64 `json:"current"`
	// BreakEven is the solved value; meaningful when OK.
	BreakEven float64 `json:"break_even"`
	// OK is false when the solve does not apply (no such price or volume)
	// or has no answer in the variable's range; Note says why.
	OK bool `json:"ok"`
	// Bound says which side is profitable: "max" (profitable at or below
	// BreakEven), "min" (at or above it).
	Bound string `json:"bound,omitempty"`
	Note  string `json:"note,omitempty"`
}

// MarshalJSON writes break_even null for a solve without an answer (not
// OK and no value: no such price, nothing billed, profitable or losing at
// any value), where a 0 would read as a figure; an out-of-range answer
// (utilization 4.6, not OK) and a covered price (0, OK) keep theirs.
func (s Solve) MarshalJSON() ([]byte, error) {
	type plain Solve
	out := struct {
		plain
		BreakEven *float64 `json:"break_even"`
	}{plain: plain(s)}
	if s.OK || s.BreakEven != 0 {
		out.BreakEven = &s.BreakEven
	}
	return json.Marshal(out)
}

// CoveredNote is the note of a price break-even of 0: the other lines
// revenue alone covers the cost, so any price of this line breaks even.
const CoveredNote = "the other prices alone cover the cost"

// BreakEvenPrice solves for the price of the named component with every
// other price, the volume and the cost held: revenue is linear in it,
// R(p) = R_other + p*V, so p* = (Cost - R_other) / V, V the line's
// effective volume (tiered lines: every tier's price moves by the same
// factor and p* is the first tier's). A negative p* means the other lines
// alone cover the cost: the answer is 0 with a note. Lines billed at this
// price (BilledAs: cached input on a list without a cached discount) move
// with it; a line billed at another's has no break-even of its own.
func (b Book) BreakEvenPrice(name string) Solve {
	s := Solve{Variable: name}
	var comp *Component
	for i := range b.Components {
		if b.Components[i].Name == name {
			comp = &b.Components[i]
		}
	}
	if comp == nil {
		s.Note = "no such price in the list"
		return s
	}
	s.Current = comp.Price
	if comp.BilledAs != "" {
		s.Note = "the list sets no such price: billed at " + comp.BilledAs
		return s
	}
	v, amount := comp.effectiveVolume(), comp.Amount
	for _, c := range b.Components {
		if c.BilledAs == name {
			v += c.effectiveVolume()
			amount += c.Amount
		}
	}
	if !(v > 0) {
		s.Note = "nothing was billed at this price"
		return s
	}
	other := b.Revenue() - amount
	p := (b.Cost - other) / v
	s.OK, s.Bound = true, "min"
	if p < 0 {
		s.BreakEven, s.Note = 0, CoveredNote
		return s
	}
	s.BreakEven = p
	return s
}

// BreakEvenGPUPrice solves for the price of a GPU-hour: cost is linear in
// it, so with revenue held every GPU price may rise by revenue/cost; the
// answer is current x revenue/cost (current: the fleet's mean price,
// GPU-hour weighted, in USD).
func (b Book) BreakEvenGPUPrice(current float64) Solve {
	s := Solve{Variable: "usd_per_gpu_hour", Current: current, Bound: "max"}
	if !(b.Cost > 0) || !(current > 0) {
		s.Note = "no GPU cost"
		return s
	}
	s.OK = true
	s.BreakEven = current * b.Revenue() / b.Cost
	return s
}

// BreakEvenTraffic solves for the traffic multiple on the same fleet:
// revenue scales with traffic, the fleet's cost does not, so m* =
// cost / revenue. (Above 1: the fleet needs more traffic to pay.) Whether
// the fleet carries m* times its traffic within its SLOs is not known from
// one run: its busy share is no bound (with continuous batching a pool
// steps whenever it holds a request: chat on 2P4D, 72.6% busy, sustains
// 6.06x; 1/u said 1.38x), so an m* above 1 is an answer with a note
// naming the search that measures the capacity.
func (b Book) BreakEvenTraffic() Solve {
	s := Solve{Variable: "traffic_multiple", Current: 1, Bound: "min"}
	r := b.Revenue()
	if !(r > 0) {
		s.Note = "no revenue"
		return s
	}
	s.OK, s.BreakEven = true, b.Cost/r
	if s.BreakEven > 1 {
		s.Note = CapacityNote
	}
	return s
}

// CapacityNote is the note of a traffic break-even above 1: one run does
// not measure how much traffic the fleet carries within its SLOs.
const CapacityNote = "if the fleet carries it within its SLOs: one run does not measure its capacity (fleetbench sweep --search max-load does)"

// BreakEvenUtilization solves for the fleet utilization with traffic and
// prices held: the fleet is sized to the work at its busy time per unit of
// work, so cost scales as 1/u and u* = u x cost / revenue. Above 1 this
// fleet's shape cannot reach it at its batch sizes; that is no verdict on
// every fleet (it said "impossible on any fleet"): a smaller fleet runs
// larger batches, so its busy time per token falls (chat at input 0.6 /
// output 2.4 per Mtok: u* 220% on 2P4D, while 1C meets every SLO at
// markup +96.5%).
func (b Book) BreakEvenUtilization() Solve {
	s := Solve{Variable: "utilization", Current: b.Utilization, Bound: "min"}
	r := b.Revenue()
	switch {
	case !(b.Utilization > 0):
		s.Note = "utilization not measured"
		return s
	case !(r > 0):
		s.Note = "no revenue"
		return s
	}
	s.BreakEven = b.Utilization * b.Cost / r
	s.OK = s.BreakEven <= 1
	if !s.OK {
		s.Note = fmt.Sprintf("needs %.0f%% utilization at this fleet's batch sizes: out of its reach; a smaller fleet batches more (fleetbench sweep --search min-fleet with the price list finds the cheapest that meets the SLOs)", s.BreakEven*100)
	}
	return s
}

// BreakEvenHitRate solves for the cache hit rate h (cached / input
// tokens) with the price list, the input and output volumes held. Revenue
// from input is I*((1-h)*p_in + h*p_c) with p_in, p_c the effective
// prices billed (amount / volume of each line); the input cost scales with
// the prefill work f(h) = (1-h) + h*w (w = CachedWeight, the fleet sized
// to the work). Both are linear in h, so the profit is a + s*h and
// h* = -a/s. Bound "min": profitable at or above h*; "max": at or below.
func (b Book) BreakEvenHitRate() Solve {
	s := Solve{Variable: "cache_hit_rate", Current: b.HitRate}
	if !(b.InputTokens > 0) {
		s.Note = "no input tokens"
		return s
	}
	pin, pc := b.inputPrices()
	f0 := (1 - b.HitRate) + b.HitRate*b.CachedWeight
	if !(f0 > 0) {
		s.Note = "no prefill work to scale"
		return s
	}
	var other float64
	for _, c := range b.Components {
		if c.Name != "input_per_mtok" && c.Name != "cached_input_per_mtok" {
			other += c.Amount
		}
	}
	im := b.InputTokens / 1e6
	costOther := b.Cost - b.CostInput
	perWork := b.CostInput / f0
	// profit(h) = other + im*(pin + h*(pc-pin)) - costOther - perWork*(1 + h*(w-1))
	a := other + im*pin - costOther - perWork
	sl := im*(pc-pin) - perWork*(b.CachedWeight-1)
	switch {
	case sl == 0 && a >= 0:
		s.Note = "profitable at any hit rate"
		return s
	case sl == 0:
		s.Note = "loses money at any hit rate"
		return s
	}
	h := -a / sl
	s.Bound = "min"
	if sl < 0 {
		s.Bound = "max"
	}
	switch {
	case h < 0 && s.Bound == "min", h > 1 && s.Bound == "max":
		s.Note = "profitable at any hit rate"
	case h > 1 && s.Bound == "min", h < 0 && s.Bound == "max":
		s.Note = "loses money at any hit rate"
	default:
		s.OK, s.BreakEven = true, h
	}
	return s
}

// inputPrices are the effective uncached and cached input prices per
// Mtok: each line's amount over its volume, or its list price when it
// billed nothing (a cached price of 0 on a list means no discount).
func (b Book) inputPrices() (pin, pc float64) {
	var in, cached *Component
	for i := range b.Components {
		switch b.Components[i].Name {
		case "input_per_mtok":
			in = &b.Components[i]
		case "cached_input_per_mtok":
			cached = &b.Components[i]
		}
	}
	eff := func(c *Component) float64 {
		if c == nil {
			return 0
		}
		if c.Volume > 0 {
			return c.Amount / c.Volume
		}
		return c.Price
	}
	pin, pc = eff(in), eff(cached)
	if cached == nil || (pc == 0 && cached.Price == 0) {
		pc = pin
	}
	return pin, pc
}

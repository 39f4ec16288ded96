// Package econ holds the economics formulas of fleetbench as plain
// functions of numbers: margin on cost (markup) and on revenue, the
// break-even solves of one variable with the others held, monthly plan
// economics and price cuts. docs/economics.md states every formula with a
// worked example that econ's tests check.
//
// The package is a leaf: it knows nothing of results or scenarios, so the
// cost model (results), the price and cost commands and the scale curve
// share one definition of each figure.
package econ

import "math"

// MarkupPct is the margin on cost, as providers publish it:
// (revenue - cost) / cost x 100. ok is false without cost (undefined).
func MarkupPct(revenue, cost float64) (pct float64, ok bool) {
	if !(cost > 0) {
		return 0, false
	}
	return (revenue - cost) / cost * 100, true
}

// MarginPct is the margin on revenue: (revenue - cost) / revenue x 100.
// ok is false without revenue (undefined).
func MarginPct(revenue, cost float64) (pct float64, ok bool) {
	if !(revenue > 0) {
		return 0, false
	}
	return (revenue - cost) / revenue * 100, true
}

// finite reports whether v is a usable number.
func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

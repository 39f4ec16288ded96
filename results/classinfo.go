package results

import "github.com/fleetbench/fleetbench/scenarios"

// ClassInfoFor maps a scenario class to what the summary needs: name, kind,
// SLOs and, with a tiered price list, the tier bounds (so tokens are
// counted per tier). The simulator and the endpoint runner both use it, so
// sim and real results judge SLOs and count tiered tokens alike.
func ClassInfoFor(c scenarios.Class) ClassInfo {
	return ClassInfo{Name: c.Name, Kind: string(c.Kind), PriceTiers: c.Pricing.TierBounds(), SLO: c.SLO}
}

package results

import "github.com/fleetbench/fleetbench/scenarios"

// ClassInfoFor maps a scenario class to what the summary needs: name, kind,
// SLOs and, with a tiered price list, the tier bounds (so tokens are
// counted per tier). The simulator and the endpoint runner both use it, so
// sim and real results judge SLOs and count tiered tokens alike.
func ClassInfoFor(c scenarios.Class) ClassInfo {
	var tiers []int
	if c.Pricing != nil {
		for _, t := range c.Pricing.Tiers {
			tiers = append(tiers, t.UpToTokens)
		}
	}
	return ClassInfo{Name: c.Name, Kind: string(c.Kind), PriceTiers: tiers, SLO: SLO{
		TTFTMs: pctMap(c.SLO.TTFTms), TPOTMs: pctMap(c.SLO.TPOTms), E2EMs: pctMap(c.SLO.E2Ems),
		QueueS: pctMap(c.SLO.QueueS), CompletionS: pctMap(c.SLO.CompletionS)}}
}

// pctMap turns a scenario's percentile targets into the SLO map form
// (unset percentiles dropped; nil when none is set).
func pctMap(p *scenarios.Percentiles) map[string]float64 {
	if p == nil {
		return nil
	}
	m := map[string]float64{}
	for k, v := range map[string]float64{"p50": p.P50, "p90": p.P90, "p95": p.P95, "p99": p.P99, "p999": p.P999} {
		if v > 0 {
			m[k] = v
		}
	}
	if len(m) == 0 {
		return nil
	}
	return m
}

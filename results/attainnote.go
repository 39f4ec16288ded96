package results

import (
	"fmt"
	"strconv"
	"strings"
)

// attainmentNote explains, under the table, an SLO attainment beside a
// verdict that missed a target the attainment cannot see: attainment and
// goodput judge each request against the loosest (highest-percentile)
// bound of each metric, while the verdict judges every percentile target
// (a median over its bound with every request inside the p99 bound reads
// "100.0%" beside "MISSED ttft_ms p50"). "" when no class has such a miss.
func attainmentNote(names []string, r *Result) string {
	var loose, missed []string
	for _, n := range names {
		c := r.Classes[n]
		if c == nil || c.SLO == nil {
			continue
		}
		top := map[string]SLOTarget{} // per metric, the highest percentile target
		for _, t := range c.SLO.Targets {
			if cur, ok := top[t.Metric]; !ok || mustQ(t.Percentile) > mustQ(cur.Percentile) {
				top[t.Metric] = t
			}
		}
		var below []string
		for _, t := range c.SLO.Targets {
			if !t.Met && !t.NotMeasured && t.Percentile != top[t.Metric].Percentile {
				below = append(below, t.Metric+" "+t.Percentile)
			}
		}
		if len(below) == 0 {
			continue
		}
		var bounds []string
		seen := map[string]bool{}
		for _, t := range c.SLO.Targets {
			if tt := top[t.Metric]; !seen[t.Metric] {
				seen[t.Metric] = true
				bounds = append(bounds, t.Metric+" "+tt.Percentile+" "+strconv.FormatFloat(tt.Bound, 'g', -1, 64))
			}
		}
		loose = append(loose, n+": "+strings.Join(bounds, ", "))
		missed = append(missed, n+": "+strings.Join(below, ", "))
	}
	if len(missed) == 0 {
		return ""
	}
	return fmt.Sprintf("SLO attainment and goodput count a request as meeting its SLO when it is within the loosest bound of each metric (%s); a missed target below it (%s) is a percentile no single request misses, so they do not show it",
		strings.Join(loose, "; "), strings.Join(missed, "; "))
}

func mustQ(key string) float64 {
	q, _ := percentileByKey(key)
	return q
}

// noSLONote explains, under the table, the attainment and goodput of the
// classes without an SLO: every completed request counts as meeting it,
// so they read as completion share and rate, not as latency met ("" when
// every class that sent requests has an SLO).
func noSLONote(names []string, r *Result) string {
	var free []string
	for _, n := range names {
		if c := r.Classes[n]; c != nil && c.SLO == nil && c.Requests > 0 {
			free = append(free, n)
		}
	}
	switch len(free) {
	case 0:
		return ""
	case 1:
		return "no SLO: class " + free[0] + ": its SLO attainment is the share of its requests that completed and its goodput its completion rate (nothing bounds its latency)"
	}
	return "no SLO: classes " + strings.Join(free, ", ") + ": their SLO attainment is the share of their requests that completed and their goodput their completion rate (nothing bounds their latency)"
}

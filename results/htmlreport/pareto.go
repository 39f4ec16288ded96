package htmlreport

import (
	"math"
	"sort"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// paretoChart plots latency against cost; the frontier is the set of
// points no other point beats on both (lower cost and lower latency).
func paretoChart(s *sweepfile.Sweep, pts []*sweepfile.Point, costKey, latKey string) *chartSpec {
	c := &chartSpec{X: axis{Name: costLabel(costKey), Unit: "usd"}, Y: axis{Name: latLabel(latKey) + " (ms)", Unit: "ms"}, Legend: true}
	var cand []*sweepfile.Point
	for _, p := range pts {
		_, okc := p.Shown(costKey)
		_, okl := p.Shown(latKey)
		if okc && okl {
			cand = append(cand, p)
		}
	}
	sort.SliceStable(cand, func(i, j int) bool {
		ci, cj := cand[i].Metrics[costKey], cand[j].Metrics[costKey]
		if ci != cj {
			return ci < cj
		}
		return cand[i].Metrics[latKey] < cand[j].Metrics[latKey]
	})
	front := series{Name: "Pareto frontier", Color: "#2563eb", Kind: "step"}
	best := math.Inf(1)
	meet := series{Name: "meets SLOs", Color: colorMeet, Kind: "scatter", Size: 9}
	miss := series{Name: "misses SLOs", Color: colorMiss, Kind: "scatter", Size: 9}
	// A fleet that fell behind was charged its window only (a lower-bound
	// cost, its backlog served after it): it is no point of the frontier,
	// and its dot says why its cost looks low.
	behind := series{Name: "fell behind (cost a lower bound)", Color: colorMiss, Kind: "scatter", Size: 9, Symbol: "triangle"}
	answer := series{Name: "answer", Color: colorAnswer, Kind: "scatter", Size: 22, Symbol: "emptyCircle", Note: "answer"}
	for _, p := range cand {
		pt := []float64{roundTo(p.Metrics[costKey], 9), roundTo(p.Metrics[latKey], 6)}
		name := pointName(p, s.Points)
		if pt[1] < best && !p.FellBehind {
			best = pt[1]
			front.Data, front.Labels = append(front.Data, pt), append(front.Labels, name)
		}
		dst := &miss
		switch {
		case p.FellBehind:
			dst = &behind
		case p.MeetsSLO:
			dst = &meet
		}
		dst.Data, dst.Labels = append(dst.Data, pt), append(dst.Labels, name)
		if sameCoords(p, s.Answer) {
			answer.Data, answer.Labels = append(answer.Data, pt), append(answer.Labels, name)
		}
	}
	// A log latency axis keeps an overloaded fleet's huge p99 from
	// flattening every other point.
	if lo, hi := latRange(cand, latKey); lo > 0 && hi/lo > 20 {
		c.Y.Log = true
	}
	c.Series = []series{front, meet, miss}
	if len(behind.Data) > 0 {
		c.Series = append(c.Series, behind)
	}
	if len(answer.Data) > 0 {
		c.Series = append(c.Series, answer)
	}
	return c
}

func latRange(ps []*sweepfile.Point, key string) (float64, float64) {
	lo, hi := math.Inf(1), 0.0
	for _, p := range ps {
		v := p.Metrics[key]
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	return lo, hi
}

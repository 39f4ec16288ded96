package sweepfile

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Saturation is a saturation point found on the steps of a sweep: the
// lowest offered load from which throughput stops growing with it while
// queueing delay keeps growing.
type Saturation struct {
	// Side is "measured" or "predicted".
	Side string `json:"side"`
	// RateScale is the offered-load multiplier of the first saturated
	// step (Concurrency for closed-loop grids).
	RateScale   float64 `json:"rate_scale,omitempty"`
	Concurrency int     `json:"concurrency,omitempty"`
	// Evidence says which figures of which steps show it.
	Evidence string `json:"evidence"`
}

// MaxLoad is a max-load sweep's answer: the highest multiplier meeting
// every SLO. ok is false when the sweep is not a max-load search or no
// step met its SLOs.
func (s *Sweep) MaxLoad() (float64, bool) {
	if s == nil || s.Search != SearchMaxLoad || s.Answer == nil {
		return 0, false
	}
	return s.Answer.RateScale, true
}

// LoadGate is a compare gate on a sweep figure: max_load(<|>)[+|-]N[%].
type LoadGate struct {
	Raw       string
	Op        string // "<" or ">"
	Threshold float64
	Relative  bool // threshold in percent of BASE
}

// ParseLoadGates parses the comma-separated gates of compare on two sweep
// files; the only metric is max_load, the max-load search's answer.
func ParseLoadGates(s string) ([]LoadGate, error) {
	var out []LoadGate
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		const form = "on sweep files the gate is max_load(<|>)[+|-]N[%], e.g. 'max_load<-10%'"
		i := strings.IndexAny(item, "<>")
		if i < 0 || strings.TrimSpace(item[:i]) != "max_load" {
			return nil, fmt.Errorf("gate %q: %s", item, form)
		}
		g := LoadGate{Raw: item, Op: item[i : i+1]}
		num := strings.TrimSpace(item[i+1:])
		if strings.HasSuffix(num, "%") {
			g.Relative, num = true, strings.TrimSpace(strings.TrimSuffix(num, "%"))
		}
		v, err := strconv.ParseFloat(num, 64)
		if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("gate %q: threshold %q is not a number: %s", item, num, form)
		}
		g.Threshold = v
		out = append(out, g)
	}
	return out, nil
}

// Judge applies g to the max loads of BASE and NEW: the change (percent of
// BASE when relative) and whether the gate fails. A sweep without a
// max-load answer cannot be judged: an error, never a pass.
func (g LoadGate) Judge(base, nw *Sweep) (change float64, failed bool, err error) {
	b, okB := base.MaxLoad()
	n, okN := nw.MaxLoad()
	if !okB || !okN {
		return 0, false, errors.New("max_load needs two max-load sweeps (sweep --search max-load) that each found a load meeting every SLO")
	}
	change = n - b
	if g.Relative {
		change = (n - b) / b * 100
	}
	if g.Op == "<" {
		return change, change < g.Threshold, nil
	}
	return change, change > g.Threshold, nil
}

package econ

import (
	"fmt"
	"strconv"
	"strings"
)

// Cut is a relative price change: Factor multiplies the prices named by
// Target (input, cached, output, task, video, or all of them).
type Cut struct {
	Target string  `json:"target"`
	Factor float64 `json:"factor"` // 0.5 for -50%
}

// CutTargets are the names a cut may use.
var CutTargets = []string{"all", "input", "cached", "output", "task", "video"}

// String writes the cut back as target=±pct%, to 10 significant digits:
// (0.7 - 1) x 100 is -30.000000000000004 in binary floating point, and
// "all=-30.000000000000004%" headed price's table and JSON.
func (c Cut) String() string {
	return fmt.Sprintf("%s=%+.10g%%", c.Target, (c.Factor-1)*100)
}

// Applies reports whether the cut changes the price named target
// ("input", "cached", "output", "task" or "video").
func (c Cut) Applies(target string) bool { return c.Target == "all" || c.Target == target }

// ParseCut parses "output=-50%" (or "-0.5"): the change is a percentage
// with %, else a fraction; the price may not fall below 0.
func ParseCut(s string) (Cut, error) {
	k, v, ok := strings.Cut(strings.TrimSpace(s), "=")
	k = strings.ToLower(strings.TrimSpace(k))
	v = strings.TrimSpace(v)
	if !ok {
		return Cut{}, fmt.Errorf("cut %q: want TARGET=CHANGE, e.g. output=-50%% or all=-30%%", s)
	}
	valid := false
	for _, t := range CutTargets {
		valid = valid || t == k
	}
	if !valid {
		return Cut{}, fmt.Errorf("cut %q: unknown target %q (use %s)", s, k, strings.Join(CutTargets, ", "))
	}
	pct := strings.HasSuffix(v, "%")
	f, err := strconv.ParseFloat(strings.TrimSuffix(v, "%"), 64)
	if err != nil || !finite(f) {
		return Cut{}, fmt.Errorf("cut %q: %q is not a change (write -50%% or -0.5)", s, v)
	}
	if pct {
		f /= 100
	}
	if f < -1 {
		return Cut{}, fmt.Errorf("cut %q: a price cannot fall more than 100%%", s)
	}
	if f > 100 {
		return Cut{}, fmt.Errorf("cut %q: a rise above 10000%% is surely a typo", s)
	}
	return Cut{Target: k, Factor: 1 + f}, nil
}

package econ

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// Usage is the distribution of tasks per subscriber per month: heavy
// tailed, as subscription usage is (a few subscribers use the plan far
// more than the median one). Lognormal is given by its mean and median;
// Pareto by its minimum and shape alpha (> 1, so the mean is finite).
type Usage struct {
	Dist   string  `json:"dist"` // lognormal | pareto
	Mean   float64 `json:"mean,omitempty"`
	Median float64 `json:"median,omitempty"`
	Min    float64 `json:"min,omitempty"`
	Alpha  float64 `json:"alpha,omitempty"`
}

// Validate checks the parameters.
// Limits of a plan's inputs (docs/economics.md, Monthly plans): far above
// any published plan, so that a typo (mean=1e30) is refused rather than
// priced.
const (
	MaxPlanTasks = 1e9   // tasks per subscriber per month (mean, median, min)
	MaxPlanFee   = 1e6   // USD per subscriber per month
	MaxPlanAlpha = 100.0 // Pareto shape
)

func (u Usage) Validate() error {
	bad := func(v float64) bool { return !(v > 0) || !finite(v) }
	switch u.Dist {
	case "lognormal":
		if bad(u.Mean) || bad(u.Median) || u.Mean < u.Median {
			return fmt.Errorf("lognormal usage needs mean >= median > 0 (tasks per subscriber per month), got mean %v median %v", u.Mean, u.Median)
		}
		if u.Mean > MaxPlanTasks {
			return fmt.Errorf("lognormal usage: mean %v tasks per subscriber per month; at most %g (about 380 a second)", u.Mean, MaxPlanTasks)
		}
	case "pareto":
		if bad(u.Min) || !(u.Alpha > 1) || !finite(u.Alpha) {
			return fmt.Errorf("pareto usage needs min > 0 and alpha > 1 (a finite mean), got min %v alpha %v", u.Min, u.Alpha)
		}
		if u.Min > MaxPlanTasks || u.Alpha > MaxPlanAlpha {
			return fmt.Errorf("pareto usage: min %v tasks per subscriber per month (at most %g) and alpha %v (at most %g)", u.Min, MaxPlanTasks, u.Alpha, MaxPlanAlpha)
		}
	default:
		return fmt.Errorf("usage distribution %q: use lognormal (mean, median) or pareto (min, alpha)", u.Dist)
	}
	return nil
}

// lognormal parameters: mu = ln(median), sigma^2 = 2 ln(mean/median).
func (u Usage) musigma() (mu, sigma float64) {
	return math.Log(u.Median), math.Sqrt(2 * math.Log(u.Mean/u.Median))
}

// MeanTasks is E[N].
func (u Usage) MeanTasks() float64 {
	if u.Dist == "pareto" {
		return u.Alpha * u.Min / (u.Alpha - 1)
	}
	return u.Mean
}

// phi is the standard normal CDF.
func phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// Above is P(N > x).
func (u Usage) Above(x float64) float64 {
	if u.Dist == "pareto" {
		if x <= u.Min {
			return 1
		}
		return math.Pow(u.Min/x, u.Alpha)
	}
	if x <= 0 {
		return 1
	}
	mu, s := u.musigma()
	if s == 0 {
		if x < u.Median {
			return 1
		}
		return 0
	}
	return 1 - phi((math.Log(x)-mu)/s)
}

// MeanAbove is E[N; N > x] / E[N]: the share of all tasks (so of all cost)
// used by subscribers above x.
func (u Usage) MeanAbove(x float64) float64 {
	if u.Dist == "pareto" {
		if x <= u.Min {
			return 1
		}
		return math.Pow(u.Min/x, u.Alpha-1)
	}
	if x <= 0 {
		return 1
	}
	mu, s := u.musigma()
	if s == 0 {
		return u.Above(x)
	}
	return phi((mu + s*s - math.Log(x)) / s)
}

// Quantile is the q-quantile of N (0 < q < 1).
func (u Usage) Quantile(q float64) float64 {
	if u.Dist == "pareto" {
		return u.Min / math.Pow(1-q, 1/u.Alpha)
	}
	mu, s := u.musigma()
	return math.Exp(mu + s*math.Sqrt2*math.Erfinv(2*q-1))
}

// Plan is a monthly subscription: a fixed fee per subscriber, usage from
// a distribution, each task costing CostPerTask (same currency as Fee).
type Plan struct {
	Name        string  `json:"name"`
	Class       string  `json:"class,omitempty"` // the class whose cost per task prices it
	FeePerMonth float64 `json:"fee_per_month"`
	Usage       Usage   `json:"usage"`
}

// PlanEconomics is a plan's outcome at a cost per task.
type PlanEconomics struct {
	Plan        Plan    `json:"plan"`
	CostPerTask float64 `json:"cost_per_task"`
	// MeanTasks and MeanCost are per subscriber per month.
	MeanTasks float64 `json:"mean_tasks"`
	MeanCost  float64 `json:"mean_cost"`
	// MarginPct is on revenue, (fee - mean cost) / fee x 100; MarkupPct on
	// cost, (fee - mean cost) / mean cost x 100.
	MarginPct float64 `json:"margin_pct"`
	MarkupPct float64 `json:"markup_pct"`
	// LossTasks is the usage above which a subscriber costs more than the
	// fee (fee / cost per task); LossShare the share of subscribers above
	// it; LossCostShare the share of all cost they cause.
	LossTasks     float64 `json:"loss_tasks"`
	LossShare     float64 `json:"loss_share"`
	LossCostShare float64 `json:"loss_cost_share"`
	// P99Tasks is the 99th percentile of usage and P99Cost its cost.
	P99Tasks float64 `json:"p99_tasks"`
	P99Cost  float64 `json:"p99_cost"`
	// BreakEvenFee is the fee at which the mean subscriber pays for
	// itself (mean cost); BreakEvenCostPerTask the cost per task at which
	// the fee does (fee / mean tasks).
	BreakEvenFee         float64 `json:"break_even_fee"`
	BreakEvenCostPerTask float64 `json:"break_even_cost_per_task"`
}

// Evaluate prices p at costPerTask.
func (p Plan) Evaluate(costPerTask float64) (PlanEconomics, error) {
	if err := p.Usage.Validate(); err != nil {
		return PlanEconomics{}, fmt.Errorf("plan %s: %w", p.Name, err)
	}
	if !(p.FeePerMonth > 0) || !finite(p.FeePerMonth) {
		return PlanEconomics{}, fmt.Errorf("plan %s: the monthly fee must be > 0, got %v", p.Name, p.FeePerMonth)
	}
	if !(costPerTask > 0) || !finite(costPerTask) {
		return PlanEconomics{}, fmt.Errorf("plan %s: no cost per task to price it with (class %q has none)", p.Name, p.Class)
	}
	e := PlanEconomics{Plan: p, CostPerTask: costPerTask, MeanTasks: p.Usage.MeanTasks()}
	e.MeanCost = e.MeanTasks * costPerTask
	e.MarginPct, _ = MarginPct(p.FeePerMonth, e.MeanCost)
	e.MarkupPct, _ = MarkupPct(p.FeePerMonth, e.MeanCost)
	e.LossTasks = p.FeePerMonth / costPerTask
	e.LossShare = p.Usage.Above(e.LossTasks)
	e.LossCostShare = p.Usage.MeanAbove(e.LossTasks)
	e.P99Tasks = p.Usage.Quantile(0.99)
	e.P99Cost = e.P99Tasks * costPerTask
	e.BreakEvenFee = e.MeanCost
	e.BreakEvenCostPerTask = p.FeePerMonth / e.MeanTasks
	return e, nil
}

// ParsePlan parses a --plan value: comma-separated key=value pairs,
// "name=pro,fee=20,mean=300,median=120,class=coding" (lognormal usage) or
// "fee=20,dist=pareto,min=40,alpha=1.6".
func ParsePlan(s string) (Plan, error) {
	p := Plan{Name: "plan", Usage: Usage{Dist: "lognormal"}}
	seen := map[string]bool{}
	for item := range strings.SplitSeq(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(item), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return p, fmt.Errorf("plan %q: %q is not key=value (e.g. fee=20,mean=300,median=120)", s, item)
		}
		if seen[k] {
			return p, fmt.Errorf("plan %q: %s given twice", s, k)
		}
		seen[k] = true
		num := func(dst *float64) error {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil || !finite(f) {
				return fmt.Errorf("plan %q: %s=%q is not a number", s, k, v)
			}
			*dst = f
			return nil
		}
		var err error
		switch k {
		case "name":
			p.Name = v
		case "class":
			p.Class = v
		case "dist":
			p.Usage.Dist = v
		case "fee":
			err = num(&p.FeePerMonth)
		case "mean":
			err = num(&p.Usage.Mean)
		case "median":
			err = num(&p.Usage.Median)
		case "min":
			err = num(&p.Usage.Min)
		case "alpha":
			err = num(&p.Usage.Alpha)
		default:
			err = fmt.Errorf("plan %q: unknown key %q (name, class, fee, dist, mean, median, min, alpha)", s, k)
		}
		if err != nil {
			return p, err
		}
	}
	if !seen["fee"] {
		return p, errors.New("plan " + strconv.Quote(s) + ": fee= (per subscriber per month) is required")
	}
	if !(p.FeePerMonth > 0) {
		return p, fmt.Errorf("plan %q: fee must be > 0", s)
	}
	if p.FeePerMonth > MaxPlanFee {
		return p, fmt.Errorf("plan %q: fee %v USD per subscriber per month; at most %g", s, p.FeePerMonth, MaxPlanFee)
	}
	if err := p.Usage.Validate(); err != nil {
		return p, fmt.Errorf("plan %q: %w", s, err)
	}
	return p, nil
}

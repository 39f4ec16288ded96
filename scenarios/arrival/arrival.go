// Package arrival implements arrival processes: poisson, constant, gamma,
// on-off bursts, sine (diurnal), linear ramp, piecewise schedule and trace
// timestamps. The same code gives virtual times to the simulator and
// wall-clock send times to the endpoint runner.
package arrival

import "github.com/fleetbench/fleetbench/scenarios/dist"

// Limits of a gamma process's coefficient of variation (burstiness, its
// shape, is 1/cv²: [1e-4, 1e6]). Below MinCV the process is a constant
// rate to any measurement (and at cv 1e-160 the shape overflows to +Inf,
// every gap NaN); above MaxCV nearly every gap underflows to 0, so a
// window sees one clump of arrivals and nothing of the rate it names.
const (
	MinCV = 0.001
	MaxCV = 100.0
)

// Spec is an arrival process as written in a scenario file. Rates are in
// arrivals per second, times in seconds.
//
//	{process: poisson, rate: 5}
//	{process: constant, rate: 5}
//	{process: gamma, rate: 5, cv: 2}                 (or burstiness: 0.25, as vLLM: shape = burstiness)
//	{process: bursts, rate: 0.05, burst_rate: 2, burst_s: 60, period_s: 900, first_s: 120}
//	{process: bursts, rate: 0, burst_rate: 2, burst_s: 60, at_s: [300, 1200]}   (on-off: base rate 0)
//	{process: sine, rate: 5, amplitude: 0.5, period_s: 86400, phase_s: 0}
//	{process: ramp, rate: 1, to_rate: 10, over_s: 600}
//	{process: schedule, steps: [{at_s: 0, rate: 5}, {at_s: 60, rate: 20}]}
//	{process: closed, users: 32, think_s: {dist: exponential, mean: 2}}
//	{process: trace}                                  (timestamps come from the trace file)
//
// Non-constant rates (bursts, sine, ramp, schedule) are non-homogeneous
// Poisson processes.
type Spec struct {
	Process    string     `yaml:"process" json:"process"`
	Rate       float64    `yaml:"rate,omitempty" json:"rate,omitempty"`
	CV         float64    `yaml:"cv,omitempty" json:"cv,omitempty"`
	Burstiness float64    `yaml:"burstiness,omitempty" json:"burstiness,omitempty"`
	BurstRate  float64    `yaml:"burst_rate,omitempty" json:"burst_rate,omitempty"`
	BurstS     float64    `yaml:"burst_s,omitempty" json:"burst_s,omitempty"`
	PeriodS    float64    `yaml:"period_s,omitempty" json:"period_s,omitempty"`
	FirstS     float64    `yaml:"first_s,omitempty" json:"first_s,omitempty"`
	AtS        []float64  `yaml:"at_s,omitempty" json:"at_s,omitempty"`
	Amplitude  float64    `yaml:"amplitude,omitempty" json:"amplitude,omitempty"`
	PhaseS     float64    `yaml:"phase_s,omitempty" json:"phase_s,omitempty"`
	ToRate     float64    `yaml:"to_rate,omitempty" json:"to_rate,omitempty"`
	OverS      float64    `yaml:"over_s,omitempty" json:"over_s,omitempty"`
	Steps      []Step     `yaml:"steps,omitempty" json:"steps,omitempty"`
	Users      int        `yaml:"users,omitempty" json:"users,omitempty"`
	ThinkS     *dist.Spec `yaml:"think_s,omitempty" json:"think_s,omitempty"`
}

// Step is one piece of a piecewise-constant schedule: from AtS on, Rate.
type Step struct {
	AtS  float64 `yaml:"at_s" json:"at_s"`
	Rate float64 `yaml:"rate" json:"rate"`
}

// Process yields arrival times. Implementations are allocation-free per
// arrival and deterministic given the *rand.Rand they were built with; they
// are not safe for concurrent use.
type Process interface {
	// Next returns the next arrival in nanoseconds since the start; times are
	// nondecreasing. ok is false once the process has no more arrivals (a
	// schedule or ramp that ends at rate 0, finite on-off bursts, or a time
	// beyond about 285 years).
	Next() (t int64, ok bool)
}

// Names lists the processes Spec.Process accepts ("onoff" is an alias of
// "bursts").
var Names = []string{"poisson", "constant", "gamma", "bursts", "onoff", "sine", "ramp", "schedule", "closed", "trace"}

// IsClosed reports whether s is a closed loop (a fixed number of users, each
// sending its next request a think time after the previous one completes).
// Such a process has no arrival times of its own: the runner or simulator
// drives it from completions, using Users and ThinkS.
func (s Spec) IsClosed() bool { return s.Process == "closed" }

// kind maps the alias onto its canonical name.
func (s Spec) kind() string {
	if s.Process == "onoff" {
		return "bursts"
	}
	return s.Process
}

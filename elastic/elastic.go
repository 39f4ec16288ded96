// Package elastic holds the specs of an elastic fleet: per-pool autoscalers
// and failure injection. The scenario loader decodes them (fleet.autoscale,
// fleet.failures) and the simulator runs them; both use these types and
// this validation, so nothing converts one into another. Times are seconds
// in the file; the methods give them as durations.
package elastic

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

// Autoscale is one pool's autoscaler: every interval_s it sizes the pool
// so that Metric would sit at Target, within [Min, Max]; new instances
// serve after provision_s, and it scales down only cooldown_s after its
// last scale-up.
type Autoscale struct {
	Pool string `yaml:"pool"` // prefill | decode | colocated
	// Metric is what the autoscaler holds at Target: utilization (share of
	// time an instance is running steps; default), kv (share of KV blocks
	// pinned by running sequences) or concurrency (requests in flight per
	// instance, queued or running, as Knative's autoscaler).
	Metric     string  `yaml:"metric,omitempty"`
	Target     float64 `yaml:"target"` // share in (0,1] (utilization, kv) or requests per instance (concurrency)
	Min        int     `yaml:"min"`
	Max        int     `yaml:"max"`
	IntervalS  float64 `yaml:"interval_s,omitempty"`  // default 30
	ProvisionS float64 `yaml:"provision_s,omitempty"` // default 120
	CooldownS  float64 `yaml:"cooldown_s,omitempty"`  // default 300
}

// Defaults fills the unset fields.
func (a *Autoscale) Defaults() {
	if a.Metric == "" {
		a.Metric = "utilization"
	}
	if a.IntervalS <= 0 {
		a.IntervalS = 30
	}
	if a.ProvisionS <= 0 {
		a.ProvisionS = 120
	}
	if a.CooldownS <= 0 {
		a.CooldownS = 300
	}
}

// Validate checks a defaulted spec; errors are *fielderr.Error joined,
// fields relative to the spec ("target").
func (a *Autoscale) Validate() error {
	var errs []error
	switch {
	case a.Metric != "utilization" && a.Metric != "kv" && a.Metric != "concurrency":
		errs = append(errs, fielderr.New("metric", "use utilization, kv or concurrency", "unknown metric %q", a.Metric))
	case !(a.Target > 0) || a.Metric != "concurrency" && a.Target > 1:
		errs = append(errs, fielderr.New("target", "utilization, kv: (0,1]; concurrency: > 0", "%v out of range", a.Target))
	}
	if !knownPool(a.Pool) {
		errs = append(errs, poolErr("pool", a.Pool))
	}
	if a.Min < 1 || a.Max < a.Min {
		errs = append(errs, fielderr.New("min", "", "need 1 <= min <= max, got min %d max %d", a.Min, a.Max))
	}
	if a.Max > MaxInstances {
		errs = append(errs, fielderr.New("max", "docs/scenarios.md, Limits", "at most %d instances, got %d", MaxInstances, a.Max))
	}
	if a.IntervalS != 0 && !(a.IntervalS >= 1 && a.IntervalS <= MaxStepS) { // 0: not defaulted yet
		errs = append(errs, fielderr.New("interval_s", "docs/scenarios.md, Limits", "must be 1 to %d seconds, got %v", MaxStepS, a.IntervalS))
	}
	for _, k := range []struct {
		key string
		v   float64
	}{{"provision_s", a.ProvisionS}, {"cooldown_s", a.CooldownS}} {
		if !(k.v <= MaxStepS) {
			errs = append(errs, fielderr.New(k.key, "docs/scenarios.md, Limits", "must be at most %d seconds, got %v", MaxStepS, k.v))
		}
	}
	return errors.Join(errs...)
}

// Limits of autoscalers and failures, checked at validation (with the
// key's file:line:col) so that a file that validates cannot exhaust
// memory or spin: an autoscaler of a billion instances ran the process
// out of memory, a failure every microsecond (mtbf_h: 1e-9) spun the
// simulator, and a repair of 1e300 s overflowed its clock.
const (
	// MaxInstances bounds an autoscaler's max: the simulator's fleet
	// limit (sim.MaxInstances; a cmd test keeps them equal).
	MaxInstances = 1_000_000
	// MaxStepS bounds interval_s, provision_s and cooldown_s (a day).
	MaxStepS = 86400
	// MinMTBFHours and MaxMTBFHours bound mtbf_h when set.
	MinMTBFHours = 0.01
	MaxMTBFHours = 1_000_000
	// MaxFailureS bounds repair_s and scripted at_s: 720 h, the longest
	// duration a scenario may have.
	MaxFailureS = 720 * 3600
)

// Interval is the time between two decisions.
func (a *Autoscale) Interval() time.Duration { return sec(a.IntervalS) }

// ProvisionDelay is the time from a scale-up decision to serving.
func (a *Autoscale) ProvisionDelay() time.Duration { return sec(a.ProvisionS) }

// Cooldown is the time after a scale-up before the pool may shrink.
func (a *Autoscale) Cooldown() time.Duration { return sec(a.CooldownS) }

// Failures injects instance failures: random ones at MTBFHours per
// instance, and scripted ones; a failed instance loses its KV cache and its
// in-flight requests (retried elsewhere or failed, per Policy) and comes
// back after RepairS.
type Failures struct {
	MTBFHours float64           `yaml:"mtbf_h,omitempty"`   // mean time between failures per LLM instance (exponential); 0 = none
	RepairS   float64           `yaml:"repair_s,omitempty"` // default 600
	Policy    string            `yaml:"policy,omitempty"`   // retry (default): resubmit in-flight requests elsewhere | fail
	At        []ScriptedFailure `yaml:"at,omitempty"`
}

// ScriptedFailure fails instance Instance (0-based, within Pool) at AtS.
type ScriptedFailure struct {
	Pool     string  `yaml:"pool"` // prefill | decode | colocated
	Instance int     `yaml:"instance"`
	AtS      float64 `yaml:"at_s"`
}

// Defaults fills the unset fields.
func (f *Failures) Defaults() {
	if f.RepairS <= 0 {
		f.RepairS = 600
	}
	if f.Policy == "" {
		f.Policy = "retry"
	}
}

// Validate checks a defaulted spec; errors are *fielderr.Error joined.
func (f *Failures) Validate() error {
	var errs []error
	if f.Policy != "retry" && f.Policy != "fail" {
		errs = append(errs, fielderr.New("policy", "use retry or fail", "unknown policy %q", f.Policy))
	}
	if !(f.MTBFHours >= 0) {
		errs = append(errs, fielderr.New("mtbf_h", "", "must be >= 0, got %v", f.MTBFHours))
	} else if f.MTBFHours != 0 && (f.MTBFHours < MinMTBFHours || f.MTBFHours > MaxMTBFHours) {
		errs = append(errs, fielderr.New("mtbf_h", "docs/scenarios.md, Limits", "must be 0 (no random failures) or %g to %d hours, got %v", MinMTBFHours, MaxMTBFHours, f.MTBFHours))
	}
	if !(f.RepairS <= MaxFailureS) {
		errs = append(errs, fielderr.New("repair_s", "docs/scenarios.md, Limits", "must be at most %d seconds (720 h), got %v", MaxFailureS, f.RepairS))
	}
	for i, at := range f.At {
		if !knownPool(at.Pool) {
			errs = append(errs, poolErr(fmt.Sprintf("at[%d].pool", i), at.Pool))
		}
		if at.Instance < 0 {
			errs = append(errs, fielderr.New(fmt.Sprintf("at[%d].instance", i), "", "must be >= 0, got %d", at.Instance))
		}
		if !(at.AtS >= 0) {
			errs = append(errs, fielderr.New(fmt.Sprintf("at[%d].at_s", i), "", "must be >= 0, got %v", at.AtS))
		} else if at.AtS > MaxFailureS {
			errs = append(errs, fielderr.New(fmt.Sprintf("at[%d].at_s", i), "docs/scenarios.md, Limits", "must be at most %d seconds (720 h), got %v", MaxFailureS, at.AtS))
		}
	}
	return errors.Join(errs...)
}

// MTBF is the mean time between failures per instance (0 = none).
func (f *Failures) MTBF() time.Duration { return sec(f.MTBFHours * 3600) }

// Repair is the time until a failed instance serves again.
func (f *Failures) Repair() time.Duration { return sec(f.RepairS) }

// At is when the scripted failure happens.
func (s ScriptedFailure) At() time.Duration { return sec(s.AtS) }

// Active reports whether any failure is injected.
func (f *Failures) Active() bool { return f.MTBFHours > 0 || len(f.At) > 0 }

func sec(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }

// Pools names the pools autoscalers and failures apply to (the fleet
// notation's P, D and C roles); video pools neither scale nor fail.
var Pools = []string{"prefill", "decode", "colocated"}

func knownPool(p string) bool { return slices.Contains(Pools, p) }

// poolErr refuses an unknown pool name: the simulator matches autoscalers
// and failures to pools by name, so a misspelt one would never run.
func poolErr(field, p string) error {
	return fielderr.New(field, "use prefill, decode or colocated", "unknown pool %q", p)
}

package arrival

import (
	"errors"
	"math"
	"strconv"
	"strings"

	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

// allowed names, per process, the keys besides process that may be set; a
// key outside the set is an error so that a misplaced key is not silently
// ignored.
var allowed = map[string]string{
	"poisson":  "rate",
	"constant": "rate",
	"gamma":    "rate cv burstiness",
	"bursts":   "rate burst_rate burst_s period_s first_s at_s",
	"sine":     "rate amplitude period_s phase_s",
	"ramp":     "rate to_rate over_s",
	"schedule": "steps",
	"closed":   "users think_s",
	"trace":    "",
}

var hints = map[string]string{
	"poisson":  "e.g. {process: poisson, rate: 5}",
	"constant": "e.g. {process: constant, rate: 5}",
	"gamma":    "gamma takes rate and cv (1 = poisson, >1 burstier) or burstiness (vLLM's gamma shape; cv = 1/sqrt(burstiness)), e.g. {process: gamma, rate: 5, cv: 2}",
	"bursts":   "bursts takes rate (base), burst_rate, burst_s and either period_s (with optional first_s) or at_s, e.g. {process: bursts, rate: 0.05, burst_rate: 2, burst_s: 60, period_s: 900}",
	"sine":     "sine takes rate, amplitude in [0,1], period_s and optional phase_s, e.g. {process: sine, rate: 5, amplitude: 0.5, period_s: 86400}",
	"ramp":     "ramp takes rate, to_rate and over_s, e.g. {process: ramp, rate: 1, to_rate: 10, over_s: 600}",
	"schedule": "schedule takes steps with increasing at_s, e.g. {process: schedule, steps: [{at_s: 0, rate: 5}, {at_s: 60, rate: 20}]}",
	"closed":   "closed takes users > 0 and optional think_s, e.g. {process: closed, users: 32, think_s: {dist: exponential, mean: 2}}",
	"trace":    "trace arrivals come from the trace file and take no other keys",
}

// Validate reports the first problem with s as a *fielderr.Error naming the
// offending key (for think_s, "think_s.<key>"), or nil.
func (s Spec) Validate() error {
	keys, ok := allowed[s.kind()]
	if !ok {
		what := "unknown process " + strconv.Quote(s.Process)
		if s.Process == "" {
			what = "missing process name"
		}
		return fielderr.New("process", "one of "+strings.Join(Names, ", "), "%s", what)
	}
	hint := hints[s.kind()]
	for _, f := range s.scalars() {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fielderr.New(f.name, "use a finite number", "%s is %v", f.name, f.v)
		}
		if f.v < 0 && f.name != "phase_s" {
			return fielderr.New(f.name, "rates and durations are never negative", "%s is negative (%v)", f.name, f.v)
		}
		if f.v != 0 && !hasKey(keys, f.name) {
			return fielderr.New(f.name, hint, "%s does not apply to process %s", f.name, s.Process)
		}
	}
	for _, k := range []struct {
		name string
		set  bool
	}{{"at_s", len(s.AtS) > 0}, {"steps", len(s.Steps) > 0}, {"users", s.Users != 0}, {"think_s", s.ThinkS != nil}} {
		if k.set && !hasKey(keys, k.name) {
			return fielderr.New(k.name, hint, "%s does not apply to process %s", k.name, s.Process)
		}
	}
	switch s.kind() {
	case "poisson", "constant":
		if s.Rate <= 0 {
			return fielderr.New("rate", hint, "%s needs rate > 0", s.Process)
		}
	case "gamma":
		if s.Rate <= 0 {
			return fielderr.New("rate", hint, "gamma needs rate > 0")
		}
		if (s.CV > 0) == (s.Burstiness > 0) {
			return fielderr.New("cv", hint, "gamma needs exactly one of cv > 0 or burstiness > 0")
		}
		if s.CV > 0 && (s.CV < MinCV || s.CV > MaxCV) {
			return fielderr.New("cv", "docs/scenarios.md, Limits", "cv %v is outside [%v, %v]", s.CV, MinCV, MaxCV)
		}
		if b := s.Burstiness; b > 0 && (b < 1/(MaxCV*MaxCV) || b > 1/(MinCV*MinCV)) {
			return fielderr.New("burstiness", "docs/scenarios.md, Limits; cv = 1/sqrt(burstiness)", "burstiness %v is outside [%v, %v]", b, 1/(MaxCV*MaxCV), 1/(MinCV*MinCV))
		}
	case "bursts":
		return s.validateBursts(hint)
	case "sine":
		if s.Rate <= 0 {
			return fielderr.New("rate", hint, "sine needs rate > 0 (its mean rate)")
		}
		if s.Amplitude > 1 {
			return fielderr.New("amplitude", "amplitude is relative to rate and lies in [0, 1]; 1 touches zero at the trough", "amplitude %v is above 1", s.Amplitude)
		}
		if s.PeriodS <= 0 {
			return fielderr.New("period_s", hint, "sine needs period_s > 0")
		}
	case "ramp":
		if s.OverS <= 0 {
			return fielderr.New("over_s", hint, "ramp needs over_s > 0")
		}
		if s.Rate == 0 && s.ToRate == 0 {
			return fielderr.New("to_rate", hint, "ramp from 0 to 0 never sends anything")
		}
	case "schedule":
		return s.validateSchedule(hint)
	case "closed":
		if s.Users <= 0 {
			return fielderr.New("users", hint, "closed needs users > 0, got %d", s.Users)
		}
		if s.ThinkS != nil {
			if err := s.ThinkS.Validate(); err != nil {
				return prefixed("think_s", err)
			}
		}
	}
	return nil
}

func (s Spec) validateBursts(hint string) error {
	if s.BurstS <= 0 {
		return fielderr.New("burst_s", hint, "bursts need burst_s > 0 (the length of each burst in seconds)")
	}
	if s.Rate == 0 && s.BurstRate == 0 {
		return fielderr.New("burst_rate", hint, "base rate and burst_rate are both 0, so nothing is ever sent")
	}
	if (s.PeriodS > 0) == (len(s.AtS) > 0) {
		return fielderr.New("period_s", hint, "bursts need exactly one of period_s (repeating) or at_s (explicit times)")
	}
	if len(s.AtS) > 0 {
		if s.FirstS != 0 {
			return fielderr.New("first_s", "with at_s, each burst's start is given explicitly", "first_s does not apply with at_s")
		}
		for i, a := range s.AtS {
			f := "at_s[" + strconv.Itoa(i) + "]"
			if math.IsNaN(a) || math.IsInf(a, 0) || a < 0 {
				return fielderr.New(f, "burst start times are finite seconds >= 0", "burst start %v is not allowed", a)
			}
			if i > 0 && a < s.AtS[i-1]+s.BurstS {
				return fielderr.New(f, "list at_s in increasing order, at least burst_s apart", "burst at %v s starts before the previous one (at %v s, lasting %v s) ends", a, s.AtS[i-1], s.BurstS)
			}
		}
		return nil
	}
	if s.PeriodS < minPeriodS {
		return fielderr.New("period_s", "bursts repeat at most every millisecond", "period_s %v is below %v", s.PeriodS, minPeriodS)
	}
	if s.BurstRate == 0 && s.BurstS == s.PeriodS {
		return fielderr.New("burst_s", "bursts at rate 0 that fill the whole period leave no time at the base rate", "nothing is ever sent")
	}
	if s.BurstS > s.PeriodS {
		return fielderr.New("burst_s", "a burst must fit within its period", "burst_s %v exceeds period_s %v", s.BurstS, s.PeriodS)
	}
	return nil
}

func (s Spec) validateSchedule(hint string) error {
	if len(s.Steps) == 0 {
		return fielderr.New("steps", hint, "schedule needs at least one step")
	}
	positive := false
	for i, st := range s.Steps {
		f := "steps[" + strconv.Itoa(i) + "]"
		if math.IsNaN(st.AtS) || math.IsInf(st.AtS, 0) || st.AtS < 0 {
			return fielderr.New(f+".at_s", "step times are finite seconds >= 0", "at_s %v is not allowed", st.AtS)
		}
		if i > 0 && st.AtS <= s.Steps[i-1].AtS {
			return fielderr.New(f+".at_s", "list steps in strictly increasing at_s order", "at_s %v does not come after the previous step's %v", st.AtS, s.Steps[i-1].AtS)
		}
		if math.IsNaN(st.Rate) || math.IsInf(st.Rate, 0) || st.Rate < 0 {
			return fielderr.New(f+".rate", "rates are finite and >= 0", "rate %v is not allowed", st.Rate)
		}
		positive = positive || st.Rate > 0
	}
	if !positive {
		return fielderr.New("steps", hint, "every step has rate 0, so nothing is ever sent")
	}
	return nil
}

// minPeriodS bounds how finely bursts may repeat: each burst boundary costs
// the sampler a step, so sub-millisecond periods would stall it for no
// realistic workload.
const minPeriodS = 1e-3

// prefixed re-roots a nested spec's field error under key, so the loader can
// point at think_s.mean rather than at mean.
func prefixed(key string, err error) error {
	var fe *fielderr.Error
	if errors.As(err, &fe) {
		c := *fe
		c.Field = key + "." + fe.Field
		return &c
	}
	return fielderr.New(key, "", "%v", err)
}

type field struct {
	name string
	v    float64
}

func (s Spec) scalars() []field {
	return []field{
		{"rate", s.Rate}, {"cv", s.CV}, {"burstiness", s.Burstiness}, {"burst_rate", s.BurstRate},
		{"burst_s", s.BurstS}, {"period_s", s.PeriodS}, {"first_s", s.FirstS}, {"amplitude", s.Amplitude},
		{"phase_s", s.PhaseS}, {"to_rate", s.ToRate}, {"over_s", s.OverS},
	}
}

func hasKey(keys, k string) bool {
	for _, f := range strings.Fields(keys) {
		if f == k {
			return true
		}
	}
	return false
}

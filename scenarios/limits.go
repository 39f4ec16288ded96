package scenarios

import (
	"fmt"
	"math"
	"time"

	"github.com/fleetbench/fleetbench/scenarios/arrival"
	"github.com/fleetbench/fleetbench/scenarios/dist"
)

// Limits on every number a scenario may ask for. They are checked at
// validation (with the key's file:line:col) so that a file that passes
// `fleetbench scenario validate` cannot make sim, run or serve run out of
// memory, overflow a counter or spin for hours. Each is far beyond any
// published deployment or trace; docs/scenarios.md lists them (a test keeps
// the table and these constants in step).
const (
	// MaxFileBytes bounds a scenario file (real ones are a few KiB; the
	// largest built-in is under 5 KiB). Files are read through a bounded
	// reader, so /dev/zero or a pipe stops here too. Parsing YAML costs
	// ~3 us and ~300 bytes per byte of a long flow list, so this keeps the
	// worst file under a second; long empirical tables go in a file.
	MaxFileBytes = 256 << 10
	// MaxRate bounds any arrival rate of one class, in requests (tasks)
	// per second, also after --rate-scale/--rate: rate, burst_rate,
	// to_rate, schedule steps and the peak of a sine.
	MaxRate = 1e6
	// MaxRequests bounds requests: and the expected arrivals of the whole
	// scenario (sum of class mean rates x duration).
	MaxRequests = 1_000_000_000
	// MaxDuration bounds duration: (and warmup:).
	MaxDuration = 30 * 24 * time.Hour
	// MaxTokens bounds every token length (input, output, append,
	// shared_prefix, task, system prompt tokens, trace block_tokens): the
	// largest value a distribution can yield (fixed value, max, the
	// largest empirical value) or, for an unclamped tail, its mean and
	// median; draws of such a tail are clamped here. 10M tokens is the
	// largest context window offered (Llama 4 Scout).
	MaxTokens = dist.MaxTokens
	// MaxContextTokens bounds the expected context of an agent session's
	// last turn: shared prefix + input + turns x (append + output).
	MaxContextTokens = 10_000_000
	// MaxTurns bounds agent turns and sub-agent turns (largest value, as
	// for tokens; draws of a tail are clamped here).
	MaxTurns = 1000
	// MaxSubagents bounds sub-agents spawned at once (subagents.count).
	MaxSubagents = 64
	// MaxTaskRequests bounds the expected requests of one agent task,
	// sub-agents at every depth included.
	MaxTaskRequests = 100_000
	// MaxToolSeconds bounds tool_s and think_s (largest value or mean).
	MaxToolSeconds = 24 * 3600
	// MaxTraceScale bounds a trace's rate_scale (clones per line).
	MaxTraceScale = 1000
	// MaxTraceTimeScale bounds a trace's time_scale (speed-up).
	MaxTraceTimeScale = 1e6
	// Video clips: length, frame rate, denoising steps and the longer side
	// in pixels (serve's /v1/videos applies the same bounds).
	MaxVideoSeconds = 600
	MaxVideoFPS     = 240
	MaxVideoSteps   = 1000
	MaxVideoSide    = 16384
	// MaxFleetBlockTokens bounds fleet.block_tokens, the simulator's KV
	// block size: sim.IntLimits' --block-tokens (a cmd test keeps them
	// equal; scenarios cannot import sim).
	MaxFleetBlockTokens = 4096
)

// largest is the biggest value a distribution can yield when it is
// bounded (fixed value, max clamp, uniform max, largest inline empirical
// value); for an unclamped tail it is the larger of its mean and median,
// and bounded is false.
func largest(s *dist.Spec) (v float64, bounded bool) {
	switch {
	case s.Dist == "fixed":
		return s.Value, true
	case s.Max > 0:
		return s.Max, true
	case s.Dist == "uniform":
		return s.Max, true
	case s.Dist == "empirical" && len(s.Values) > 0:
		for _, x := range s.Values {
			v = max(v, x)
		}
		return v, true
	}
	return max(s.Mean, s.Median), false
}

// mean is a distribution's mean as configured (0 when it cannot be built).
func (v *validator) mean(s *dist.Spec) float64 {
	if s == nil {
		return 0
	}
	d, err := s.New(v.baseDir)
	if err != nil {
		return 0
	}
	return d.Mean()
}

// limit reports path when the distribution can exceed lim (units: what
// the key counts).
func (v *validator) limit(path string, s *dist.Spec, lim float64, units string) {
	if s == nil || s.Dist == "" {
		return
	}
	if s.Dist == "empirical" && s.File != "" && s.Max <= 0 {
		// The table is in a file: its largest entry, with the file's own
		// line:col (an unreadable table is reported where it is built).
		if top, ok := dist.FileLargest(*s, v.baseDir); ok && top.Value > lim {
			v.errf(path, "%s: %s:%d:%d: value %s %s is above the limit of %s %s (docs/scenarios.md, Limits); add max: to clamp the table's draws, or fix the table",
				path, s.File, top.Line, top.Col, fmtNum(top.Value), units, fmtNum(lim), units)
		}
		return
	}
	x, bounded := largest(s)
	if x <= lim {
		return
	}
	what := "can be"
	if !bounded {
		what = "has a mean or median of"
	}
	v.errf(path, "%s: %s %s %s; the limit is %s %s (docs/scenarios.md, Limits)", path, what, fmtNum(x), units, fmtNum(lim), units)
}

func fmtNum(x float64) string {
	if x == math.Trunc(x) && math.Abs(x) < 1e15 {
		return fmt.Sprintf("%.0f", x)
	}
	return fmt.Sprintf("%g", x)
}

// rates checks every rate of an arrival process against MaxRate.
func (v *validator) rates(a *arrival.Spec, ap string) {
	check := func(key string, r float64) {
		if r > MaxRate {
			v.errf(ap+"."+key, "%s.%s: %s requests/s is above the limit of %s per class (docs/scenarios.md, Limits)", ap, key, fmtNum(r), fmtNum(MaxRate))
		}
	}
	check("rate", a.Rate)
	if a.Process == "sine" {
		check("rate", a.Rate*(1+a.Amplitude))
	}
	check("burst_rate", a.BurstRate)
	check("to_rate", a.ToRate)
	for i, st := range a.Steps {
		check(fmt.Sprintf("steps[%d].rate", i), st.Rate)
	}
}

// PeakRate is the highest rate a class's open-loop arrival process
// reaches, in requests (tasks) per second (0 for closed-loop and trace
// classes).
func PeakRate(a arrival.Spec) float64 {
	p := max(a.Rate, a.BurstRate, a.ToRate)
	if a.Process == "sine" {
		p = a.Rate * (1 + a.Amplitude)
	}
	for _, st := range a.Steps {
		p = max(p, st.Rate)
	}
	return p
}

// CheckRateScale reports an error when scaling every open-loop rate by
// scale (--rate-scale, or what --rate turns into) takes a class past
// MaxRate; trace classes take it as a speed-up and are bounded by
// MaxTraceTimeScale.
func (s *Scenario) CheckRateScale(scale float64) error {
	if math.IsNaN(scale) || math.IsInf(scale, 0) || scale < 0 {
		return fmt.Errorf("rate scale %v: want a finite number > 0", scale)
	}
	if scale == 0 {
		return nil
	}
	for _, c := range s.Classes {
		if c.Kind == KindTrace {
			if c.Trace != nil && c.Trace.TimeScale*scale > MaxTraceTimeScale {
				return fmt.Errorf("rate scale %g speeds trace class %q up %gx; the limit is %g", scale, c.Name, c.Trace.TimeScale*scale, float64(MaxTraceTimeScale))
			}
			continue
		}
		if p := PeakRate(c.Arrival) * scale; p > MaxRate {
			return fmt.Errorf("rate scale %g takes class %q to %s requests/s; the limit is %s per class (docs/scenarios.md, Limits)", scale, c.Name, fmtNum(p), fmtNum(MaxRate))
		}
	}
	return nil
}

// agentLimits checks an agent class's lengths, turns, fan-out and the
// expected size of one task.
func (v *validator) agentLimits(c *Class, p string) {
	a := c.Agent
	ap := p + ".agent"
	v.limit(ap+".turns", &a.Turns, MaxTurns, "turns")
	v.limit(ap+".shared_prefix", a.SharedPrefix, MaxTokens, "tokens")
	v.limit(ap+".append", &a.Append, MaxTokens, "tokens")
	v.limit(ap+".tool_s", &a.ToolS, MaxToolSeconds, "seconds")
	turns := max(v.mean(&a.Turns), 1)
	ctx := v.mean(a.SharedPrefix) + v.mean(c.Input) + (turns-1)*(v.mean(&a.Append)+v.mean(c.Output))
	if ctx > MaxContextTokens {
		v.errf(ap, "%s: the last turn's expected context is %s tokens (prefix + input + turns x (append + output)); the limit is %s (docs/scenarios.md, Limits)", ap, fmtNum(math.Round(ctx)), fmtNum(MaxContextTokens))
	}
	sa := a.Subagents
	if sa == nil {
		return
	}
	sp := ap + ".subagents"
	v.limit(sp+".count", &sa.Count, MaxSubagents, "sub-agents")
	v.limit(sp+".turns", &sa.Turns, MaxTurns, "turns")
	v.limit(sp+".shared_prefix", sa.SharedPrefix, MaxTokens, "tokens")
	v.limit(sp+".task", &sa.Task, MaxTokens, "tokens")
	v.limit(sp+".append", sa.Append, MaxTokens, "tokens")
	v.limit(sp+".output", sa.Output, MaxTokens, "tokens")
	v.limit(sp+".tool_s", sa.ToolS, MaxToolSeconds, "seconds")
	// Expected requests of a session at depth d: its turns, plus, after
	// each turn but the last, p x count sub-agents of depth d+1.
	sub := max(v.mean(&sa.Turns), 1)
	fan := sa.Probability * max(v.mean(&sa.Count), 1)
	depth := max(sa.MaxDepth, 1)
	e := sub // a sub-agent at the deepest level spawns nothing
	for d := depth - 1; d >= 1; d-- {
		e = sub + (sub-1)*fan*e
	}
	task := turns + (turns-1)*fan*e
	if task > MaxTaskRequests {
		v.errf(sp, "%s: one task is expected to send %s requests (turns x probability x count x sub-agent turns, over %d level(s)); the limit is %s (docs/scenarios.md, Limits)", sp, fmtNum(math.Round(task)), depth, fmtNum(MaxTaskRequests))
	}
}

// scenarioLimits checks the scenario-wide bounds: requests, duration and
// the expected number of arrivals.
func (v *validator) scenarioLimits(s *Scenario) {
	if s.Requests > MaxRequests {
		v.errf("requests", "requests: %d is above the limit of %d (docs/scenarios.md, Limits)", s.Requests, MaxRequests)
	}
	if s.Duration > MaxDuration {
		v.errf("duration", "duration: %s is above the limit of %s (docs/scenarios.md, Limits)", s.Duration, MaxDuration)
	}
	if s.Duration <= 0 || s.Requests > 0 {
		return
	}
	total := 0.0
	for _, c := range s.Classes {
		if !c.Arrival.IsClosed() && c.Kind != KindTrace {
			total += c.Arrival.MeanRate()
		}
	}
	if n := total * s.Duration.Seconds(); n > MaxRequests {
		v.errf("duration", "duration: %s at %s requests/s is %s expected arrivals; the limit is %s (shorten duration, lower the rates or set requests)", s.Duration, fmtNum(total), fmtNum(math.Round(n)), fmtNum(MaxRequests))
	}
}

// checkOverrides applies the scenario limits to what the command line
// changed (--requests, --duration, --rate-scale / --rate): the same
// bounds a file is held to.
func (s *Scenario) checkOverrides(requests int, dur time.Duration, scale float64) error {
	if requests > MaxRequests {
		return fmt.Errorf("--requests %d is above the limit of %d (docs/scenarios.md, Limits)", requests, MaxRequests)
	}
	if dur > MaxDuration {
		return fmt.Errorf("--duration %s is above the limit of %s (docs/scenarios.md, Limits)", dur, MaxDuration)
	}
	if err := s.CheckRateScale(scale); err != nil {
		return err
	}
	limit := s.Requests
	if requests > 0 {
		limit = requests
	}
	if limit > 0 || dur <= 0 {
		return nil
	}
	total := 0.0
	for _, c := range s.Classes {
		if !c.Arrival.IsClosed() && c.Kind != KindTrace {
			total += c.Arrival.MeanRate() * scale
		}
	}
	if n := total * dur.Seconds(); n > MaxRequests {
		return fmt.Errorf("%s at %s requests/s is %s expected arrivals; the limit is %s (shorten --duration, lower the rate or set --requests)", dur, fmtNum(total), fmtNum(math.Round(n)), fmtNum(MaxRequests))
	}
	return nil
}

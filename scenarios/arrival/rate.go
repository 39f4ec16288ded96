package arrival

import "math"

// Intensity is the expected arrival rate (1/s) at tS seconds after the start,
// at scale 1, for a valid s. Closed and trace specs have none and return 0.
func (s Spec) Intensity(tS float64) float64 {
	switch s.kind() {
	case "poisson", "constant", "gamma":
		return s.Rate
	case "sine":
		return s.Rate * (1 + s.Amplitude*math.Sin(2*math.Pi*(tS+s.PhaseS)/s.PeriodS))
	case "ramp":
		if tS < s.OverS {
			return s.Rate + (s.ToRate-s.Rate)*tS/s.OverS
		}
		return s.ToRate
	case "schedule":
		rate := 0.0
		for _, st := range s.Steps {
			if tS >= st.AtS {
				rate = st.Rate
			}
		}
		return rate
	case "bursts":
		if s.inBurst(tS) {
			return s.BurstRate
		}
		return s.Rate
	}
	return 0
}

func (s Spec) inBurst(tS float64) bool {
	if len(s.AtS) > 0 {
		for _, a := range s.AtS {
			if tS >= a && tS < a+s.BurstS {
				return true
			}
		}
		return false
	}
	if tS < s.FirstS {
		return false
	}
	x := tS - s.FirstS
	return x-s.PeriodS*math.Floor(x/s.PeriodS) < s.BurstS
}

// Cumulative is the expected number of arrivals in [0, tS] at scale 1: the
// integral of Intensity. Tests hold sampled counts against it, and a
// sweep can use it to size a run. Closed and trace specs return 0; s must
// be valid.
func (s Spec) Cumulative(tS float64) float64 {
	if tS <= 0 {
		return 0
	}
	switch s.kind() {
	case "poisson", "gamma":
		return s.Rate * tS
	case "constant":
		// Arrivals at k/rate for k = 0, 1, ...: a step function.
		return math.Floor(s.Rate*tS) + 1
	case "sine":
		w := 2 * math.Pi / s.PeriodS
		return s.Rate*tS + s.Rate*s.Amplitude/w*(math.Cos(w*s.PhaseS)-math.Cos(w*(tS+s.PhaseS)))
	case "ramp":
		if tS <= s.OverS {
			return s.Rate*tS + (s.ToRate-s.Rate)/s.OverS*tS*tS/2
		}
		return (s.Rate+s.ToRate)/2*s.OverS + s.ToRate*(tS-s.OverS)
	case "schedule":
		total := 0.0
		for i, st := range s.Steps {
			if tS <= st.AtS {
				break
			}
			end := tS
			if i+1 < len(s.Steps) && s.Steps[i+1].AtS < tS {
				end = s.Steps[i+1].AtS
			}
			total += st.Rate * (end - st.AtS)
		}
		return total
	case "bursts":
		return s.Rate*tS + (s.BurstRate-s.Rate)*s.burstTime(tS)
	}
	return 0
}

// burstTime is how many seconds of [0, tS] lie inside bursts.
func (s Spec) burstTime(tS float64) float64 {
	overlap := func(a, b float64) float64 { return math.Max(0, math.Min(tS, b)-a) }
	if len(s.AtS) > 0 {
		total := 0.0
		for _, a := range s.AtS {
			total += overlap(a, a+s.BurstS)
		}
		return total
	}
	if tS <= s.FirstS {
		return 0
	}
	k := math.Floor((tS - s.FirstS) / s.PeriodS)
	start := s.FirstS + k*s.PeriodS
	return k*s.BurstS + overlap(start, start+s.BurstS)
}

// MeanRate is the long-run average arrival rate in 1/s at scale 1, for stats
// and sweeps: the limit of Cumulative(t)/t. A process that ends (a schedule
// whose last rate is 0, a ramp to 0, explicit bursts on a zero base) reports
// its average over its active span [0, end] instead, since its long-run
// limit would be 0. Closed and trace specs, and invalid specs, return 0.
func (s Spec) MeanRate() float64 {
	if s.Validate() != nil {
		return 0
	}
	switch s.kind() {
	case "poisson", "constant", "gamma", "sine":
		return s.Rate
	case "ramp":
		if s.ToRate > 0 {
			return s.ToRate
		}
		return s.Rate / 2
	case "schedule":
		last := s.Steps[len(s.Steps)-1]
		if last.Rate > 0 {
			return last.Rate
		}
		if last.AtS == 0 {
			return 0
		}
		return s.Cumulative(last.AtS) / last.AtS
	case "bursts":
		if len(s.AtS) == 0 {
			return s.Rate + (s.BurstRate-s.Rate)*s.BurstS/s.PeriodS
		}
		if s.Rate > 0 {
			return s.Rate
		}
		end := s.AtS[len(s.AtS)-1] + s.BurstS
		return s.Cumulative(end) / end
	}
	return 0
}

package arrival

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios/dist"
	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d)) }

func TestValidate(t *testing.T) {
	think := dist.Spec{Dist: "exponential", Mean: 2}
	badThink := dist.Spec{Dist: "exponential", Mean: -2}
	cases := []struct {
		name  string
		spec  Spec
		field string // "" = valid
		msg   string
	}{
		{"poisson", Spec{Process: "poisson", Rate: 5}, "", ""},
		{"constant", Spec{Process: "constant", Rate: 5}, "", ""},
		{"gamma cv", Spec{Process: "gamma", Rate: 5, CV: 2}, "", ""},
		{"gamma burstiness", Spec{Process: "gamma", Rate: 5, Burstiness: 0.25}, "", ""},
		{"bursts periodic", Spec{Process: "bursts", Rate: 0.05, BurstRate: 2, BurstS: 60, PeriodS: 900, FirstS: 120}, "", ""},
		{"onoff listed", Spec{Process: "onoff", BurstRate: 2, BurstS: 60, AtS: []float64{300, 1200}}, "", ""},
		{"sine", Spec{Process: "sine", Rate: 5, Amplitude: 1, PeriodS: 86400, PhaseS: -3600}, "", ""},
		{"ramp", Spec{Process: "ramp", Rate: 1, ToRate: 10, OverS: 600}, "", ""},
		{"ramp down to zero", Spec{Process: "ramp", Rate: 10, OverS: 600}, "", ""},
		{"schedule", Spec{Process: "schedule", Steps: []Step{{0, 5}, {60, 20}, {120, 0}}}, "", ""},
		{"closed", Spec{Process: "closed", Users: 32, ThinkS: &think}, "", ""},
		{"closed no think", Spec{Process: "closed", Users: 1}, "", ""},
		{"trace", Spec{Process: "trace"}, "", ""},

		{"missing", Spec{Rate: 5}, "process", "missing process"},
		{"unknown", Spec{Process: "uniform"}, "process", `unknown process "uniform"`},
		{"negative rate", Spec{Process: "poisson", Rate: -1}, "rate", "negative"},
		{"zero rate", Spec{Process: "poisson"}, "rate", "rate > 0"},
		{"nan rate", Spec{Process: "poisson", Rate: math.NaN()}, "rate", "NaN"},
		{"gamma neither", Spec{Process: "gamma", Rate: 1}, "cv", "exactly one"},
		{"gamma both", Spec{Process: "gamma", Rate: 1, CV: 1, Burstiness: 1}, "cv", "exactly one"},
		{"gamma negative cv", Spec{Process: "gamma", Rate: 1, CV: -1}, "cv", "negative"},
		{"cv on poisson", Spec{Process: "poisson", Rate: 1, CV: 2}, "cv", "does not apply"},
		{"steps on poisson", Spec{Process: "poisson", Rate: 1, Steps: []Step{{0, 1}}}, "steps", "does not apply"},
		{"users on poisson", Spec{Process: "poisson", Rate: 1, Users: 3}, "users", "does not apply"},
		{"amplitude above 1", Spec{Process: "sine", Rate: 1, Amplitude: 1.5, PeriodS: 60}, "amplitude", "above 1"},
		{"sine no period", Spec{Process: "sine", Rate: 1, Amplitude: 0.5}, "period_s", "period_s > 0"},
		{"bursts no length", Spec{Process: "bursts", Rate: 1, BurstRate: 2, PeriodS: 60}, "burst_s", "burst_s > 0"},
		{"bursts all zero", Spec{Process: "bursts", BurstS: 1, PeriodS: 60}, "burst_rate", "both 0"},
		{"bursts period and at", Spec{Process: "bursts", BurstRate: 1, BurstS: 1, PeriodS: 60, AtS: []float64{1}}, "period_s", "exactly one"},
		{"bursts neither", Spec{Process: "bursts", BurstRate: 1, BurstS: 1}, "period_s", "exactly one"},
		{"bursts longer than period", Spec{Process: "bursts", BurstRate: 1, BurstS: 100, PeriodS: 60}, "burst_s", "exceeds period_s"},
		{"bursts zero fill", Spec{Process: "bursts", Rate: 1, BurstS: 60, PeriodS: 60}, "burst_s", "nothing is ever sent"},
		{"bursts tiny period", Spec{Process: "bursts", Rate: 1, BurstRate: 2, BurstS: 1e-5, PeriodS: 1e-4}, "period_s", "below"},
		{"at_s overlapping", Spec{Process: "bursts", BurstRate: 1, BurstS: 60, AtS: []float64{0, 30}}, "at_s[1]", "before the previous"},
		{"at_s decreasing", Spec{Process: "bursts", BurstRate: 1, BurstS: 1, AtS: []float64{100, 30}}, "at_s[1]", "before the previous"},
		{"first_s with at_s", Spec{Process: "bursts", BurstRate: 1, BurstS: 1, FirstS: 3, AtS: []float64{100}}, "first_s", "does not apply"},
		{"ramp no duration", Spec{Process: "ramp", Rate: 1, ToRate: 2}, "over_s", "over_s > 0"},
		{"ramp zero", Spec{Process: "ramp", OverS: 5}, "to_rate", "0 to 0"},
		{"schedule empty", Spec{Process: "schedule"}, "steps", "at least one"},
		{"schedule rate key", Spec{Process: "schedule", Rate: 3, Steps: []Step{{0, 1}}}, "rate", "does not apply"},
		{"steps not increasing", Spec{Process: "schedule", Steps: []Step{{0, 1}, {60, 2}, {60, 3}}}, "steps[2].at_s", "does not come after"},
		{"step negative rate", Spec{Process: "schedule", Steps: []Step{{0, 1}, {60, -2}}}, "steps[1].rate", "-2"},
		{"schedule all zero", Spec{Process: "schedule", Steps: []Step{{0, 0}}}, "steps", "every step has rate 0"},
		{"closed no users", Spec{Process: "closed"}, "users", "users > 0"},
		{"closed negative users", Spec{Process: "closed", Users: -2}, "users", "users > 0"},
		{"closed bad think", Spec{Process: "closed", Users: 2, ThinkS: &badThink}, "think_s.mean", "negative"},
		{"closed rate", Spec{Process: "closed", Users: 2, Rate: 3}, "rate", "does not apply"},
		{"trace rate", Spec{Process: "trace", Rate: 3}, "rate", "does not apply"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.spec.Validate()
			if tc.field == "" {
				require.NoError(t, err)
				return
			}
			var fe *fielderr.Error
			require.True(t, errors.As(err, &fe), "want *fielderr.Error, got %v", err)
			require.Equal(t, tc.field, fe.Field)
			require.Contains(t, fe.Error(), tc.msg)
			require.NotEmpty(t, fe.Hint, "every validation error carries a hint")
		})
	}
}

func TestNewErrors(t *testing.T) {
	_, err := Spec{Process: "closed", Users: 3}.New(newRand(1), 1)
	require.ErrorContains(t, err, "closed")
	_, err = Spec{Process: "trace"}.New(newRand(1), 1)
	require.ErrorContains(t, err, "trace")
	for _, scale := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		_, err = Spec{Process: "poisson", Rate: 1}.New(newRand(1), scale)
		require.ErrorContains(t, err, "traffic scale", "scale %v", scale)
	}
	_, err = Spec{Process: "poisson", Rate: 1}.New(nil, 1)
	require.ErrorContains(t, err, "random source")
	_, err = Spec{Process: "poisson", Rate: -1}.New(newRand(1), 1)
	require.ErrorContains(t, err, "rate")
}

func TestIsClosed(t *testing.T) {
	require.True(t, Spec{Process: "closed"}.IsClosed())
	require.False(t, Spec{Process: "poisson"}.IsClosed())
}

// drain collects up to n arrivals (in seconds), checking they are
// nondecreasing.
func drain(t testing.TB, p Process, n int, until float64) []float64 {
	t.Helper()
	var out []float64
	last := int64(math.MinInt64)
	for len(out) < n {
		ns, ok := p.Next()
		if !ok {
			break
		}
		if ns < last { // plain compare: testify per arrival would dominate the run time
			t.Fatalf("arrival %d at %d ns went back in time from %d ns", len(out), ns, last)
		}
		last = ns
		if float64(ns)/1e9 > until {
			break
		}
		out = append(out, float64(ns)/1e9)
	}
	return out
}

// TestHomogeneousRates: 200k arrivals per process; the observed rate (n /
// time of the last) has relative standard error cv/sqrt(n), under 0.45% for
// cv=2, so 2% is over 4 standard errors. The gap CV is checked too: its
// standard error is about 0.6% for gamma cv=2 (shape 1/4, excess kurtosis
// 24); tolerance 3% still rejects a shape of 1/cv (cv would be 1.41).
func TestHomogeneousRates(t *testing.T) {
	const n = 200_000
	cases := []struct {
		name  string
		spec  Spec
		scale float64
		rate  float64
		cv    float64
	}{
		{"poisson", Spec{Process: "poisson", Rate: 5}, 1, 5, 1},
		{"poisson scaled", Spec{Process: "poisson", Rate: 2}, 3, 6, 1},
		{"constant", Spec{Process: "constant", Rate: 7}, 1, 7, 0},
		{"gamma cv 2", Spec{Process: "gamma", Rate: 5, CV: 2}, 1, 5, 2},
		{"gamma cv 0.5", Spec{Process: "gamma", Rate: 5, CV: 0.5}, 2, 10, 0.5},
		{"gamma burstiness 0.25", Spec{Process: "gamma", Rate: 5, Burstiness: 0.25}, 1, 5, 2},
		{"gamma burstiness 4", Spec{Process: "gamma", Rate: 5, Burstiness: 4}, 1, 5, 0.5},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			require.InDelta(t, tc.rate/tc.scale, tc.spec.MeanRate(), 1e-12)
			p, err := tc.spec.New(newRand(11), tc.scale)
			require.NoError(t, err)
			ts := drain(t, p, n, math.Inf(1))
			require.Len(t, ts, n)
			// Gaps between arrivals (the first arrival of a constant process
			// is at t=0, so the lead-in is not a gap).
			var sum, sum2 float64
			for i := 1; i < n; i++ {
				g := ts[i] - ts[i-1]
				sum += g
				sum2 += g * g
			}
			mean := sum / (n - 1)
			cv := math.Sqrt(math.Max(0, sum2/(n-1)-mean*mean)) / mean
			require.InEpsilon(t, tc.rate, 1/mean, 0.02, "rate")
			if tc.cv == 0 {
				// Every gap is 1/rate up to the nanosecond rounding of each end.
				for i := 1; i < n; i++ {
					if g := ts[i] - ts[i-1]; math.Abs(g-1/tc.rate) > 1.01e-9 {
						t.Fatalf("gap %d is %v s, want %v s", i, g, 1/tc.rate)
					}
				}
				return
			}
			require.InEpsilon(t, tc.cv, cv, 0.03, "gap cv")
		})
	}
}

// TestConstantNoDrift: the ten-millionth arrival at 3/s is at exactly
// 3333333.333... s, rounded to the nanosecond, not the sum of rounded gaps.
func TestConstantNoDrift(t *testing.T) {
	p, err := Spec{Process: "constant", Rate: 3}.New(newRand(1), 1)
	require.NoError(t, err)
	var ns int64
	for range 10_000_001 {
		ns, _ = p.Next()
	}
	require.Equal(t, int64(3333333333333333), ns)
}

// TestWindowCounts compares counts of non-homogeneous processes per window
// with the integral of the intensity. Counts are Poisson, so each window's
// deviation must stay within 4.5 standard deviations (plus 1 for tiny
// expectations), and the total within 4.5 as well; with ~50 windows per
// case a correct sampler fails this with probability about 1e-4, while a
// misplaced burst, a wrong ramp quadratic or a phase error moves whole
// windows by tens of standard deviations.
func TestWindowCounts(t *testing.T) {
	cases := []struct {
		name    string
		spec    Spec
		scale   float64
		horizon float64
		windows int
	}{
		{"bursts periodic", Spec{Process: "bursts", Rate: 5, BurstRate: 200, BurstS: 60, PeriodS: 900, FirstS: 120}, 2, 9000, 50},
		{"onoff listed", Spec{Process: "onoff", BurstRate: 100, BurstS: 60, AtS: []float64{0, 300, 1200, 1260}}, 1, 1500, 50},
		{"sine", Spec{Process: "sine", Rate: 20, Amplitude: 0.8, PeriodS: 3600, PhaseS: 600}, 1, 7200, 48},
		{"sine full amplitude", Spec{Process: "sine", Rate: 20, Amplitude: 1, PeriodS: 1000}, 2, 5000, 50},
		{"ramp up", Spec{Process: "ramp", Rate: 1, ToRate: 100, OverS: 1000}, 1, 1500, 50},
		{"ramp down", Spec{Process: "ramp", Rate: 100, ToRate: 10, OverS: 1000}, 1.5, 1500, 50},
		{"ramp to zero", Spec{Process: "ramp", Rate: 100, OverS: 1000}, 1, 1500, 50},
		{"schedule", Spec{Process: "schedule", Steps: []Step{{100, 5}, {300, 50}, {310, 0}, {700, 20}}}, 3, 1000, 50},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.spec.New(newRand(5), tc.scale)
			require.NoError(t, err)
			ts := drain(t, p, math.MaxInt, tc.horizon)
			checkWindows(t, tc.spec, tc.scale, ts, tc.horizon, tc.windows)
		})
	}
}

func checkWindows(t *testing.T, s Spec, scale float64, ts []float64, horizon float64, windows int) {
	t.Helper()
	w := horizon / float64(windows)
	counts := make([]int, windows)
	for _, x := range ts {
		if i := int(x / w); i < windows {
			counts[i]++
		}
	}
	for i, c := range counts {
		want := scale * (s.Cumulative(float64(i+1)*w) - s.Cumulative(float64(i)*w))
		require.InDelta(t, want, float64(c), 4.5*math.Sqrt(want)+1, "window %d [%gs, %gs)", i, float64(i)*w, float64(i+1)*w)
	}
	want := scale * s.Cumulative(horizon)
	require.InDelta(t, want, float64(len(ts)), 4.5*math.Sqrt(want)+1, "total")
}

// TestSineDay runs a diurnal sine for 24 h at 5/s (432k arrivals) and checks
// every hour against the integral, the last hour included, so accumulated
// error in time or phase would show at the end.
func TestSineDay(t *testing.T) {
	s := Spec{Process: "sine", Rate: 5, Amplitude: 0.9, PeriodS: 86400, PhaseS: -21600}
	p, err := s.New(newRand(9), 1)
	require.NoError(t, err)
	ts := drain(t, p, math.MaxInt, 86400)
	checkWindows(t, s, 1, ts, 86400, 24)
	require.InDelta(t, 5.0, s.MeanRate(), 1e-12)
}

// TestSineLate checks that day 1000 is as exact as day 1: the sine's phase
// is reduced modulo the period, so the intensity is right at large t.
func TestSineLate(t *testing.T) {
	s := Spec{Process: "sine", Rate: 2, Amplitude: 1, PeriodS: 100}
	p := &sine{r: newRand(3), rate: 2, amp: 1, period: 100, max: 4, t: 86400 * 1000}
	var ts []float64
	for len(ts) < 100_000 {
		ns, ok := p.Next()
		require.True(t, ok)
		ts = append(ts, float64(ns)/1e9-86400*1000)
	}
	horizon := math.Floor(ts[len(ts)-1]/100) * 100
	var in []float64
	for _, x := range ts {
		if x < horizon {
			in = append(in, x)
		}
	}
	checkWindows(t, s, 1, in, horizon, 20)
}

func TestExhaustion(t *testing.T) {
	cases := []struct {
		name string
		spec Spec
		last float64 // no arrival after this time (s)
	}{
		{"schedule ends at 0", Spec{Process: "schedule", Steps: []Step{{0, 100}, {10, 0}}}, 10},
		{"ramp to 0", Spec{Process: "ramp", Rate: 100, OverS: 10}, 10},
		{"onoff", Spec{Process: "onoff", BurstRate: 100, BurstS: 5, AtS: []float64{0, 20}}, 25},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p, err := tc.spec.New(newRand(1), 1)
			require.NoError(t, err)
			ts := drain(t, p, math.MaxInt, math.Inf(1))
			require.NotEmpty(t, ts)
			require.LessOrEqual(t, ts[len(ts)-1], tc.last)
			_, ok := p.Next()
			require.False(t, ok, "stays exhausted")
		})
	}
}

func TestMeanRate(t *testing.T) {
	cases := []struct {
		spec Spec
		want float64
	}{
		{Spec{Process: "poisson", Rate: 5}, 5},
		{Spec{Process: "bursts", Rate: 1, BurstRate: 10, BurstS: 60, PeriodS: 600}, 1 + 9*0.1},
		{Spec{Process: "onoff", BurstRate: 10, BurstS: 60, AtS: []float64{0, 240}}, 10 * 120 / 300.0},
		{Spec{Process: "onoff", Rate: 2, BurstRate: 10, BurstS: 60, AtS: []float64{0, 240}}, 2},
		{Spec{Process: "sine", Rate: 5, Amplitude: 1, PeriodS: 60}, 5},
		{Spec{Process: "ramp", Rate: 1, ToRate: 10, OverS: 60}, 10},
		{Spec{Process: "ramp", Rate: 10, OverS: 60}, 5},
		{Spec{Process: "schedule", Steps: []Step{{0, 5}, {60, 20}}}, 20},
		{Spec{Process: "schedule", Steps: []Step{{0, 5}, {60, 20}, {120, 0}}}, 12.5},
		{Spec{Process: "closed", Users: 3}, 0},
		{Spec{Process: "trace"}, 0},
		{Spec{Process: "poisson", Rate: -5}, 0},
	}
	for _, tc := range cases {
		require.InDelta(t, tc.want, tc.spec.MeanRate(), 1e-12, "%+v", tc.spec)
	}
}

func TestDeterministic(t *testing.T) {
	s := Spec{Process: "gamma", Rate: 5, CV: 3}
	a, _ := s.New(newRand(42), 1)
	b, _ := s.New(newRand(42), 1)
	for range 10_000 {
		x, _ := a.Next()
		y, _ := b.Next()
		require.Equal(t, x, y)
	}
}

// FuzzSpec builds processes from arbitrary numbers: Validate and New must
// not panic, and an accepted process must give nondecreasing times and
// return from Next.
func FuzzSpec(f *testing.F) {
	f.Add(uint8(0), 5.0, 2.0, 60.0, 600.0, 0.5, 10.0)
	f.Add(uint8(3), 0.0, 100.0, 1.0, 2.0, 0.0, 0.0)
	f.Add(uint8(5), 3.0, 0.0, 0.0, 10.0, 1.0, 0.0)
	f.Fuzz(func(t *testing.T, kind uint8, rate, x, dur, period, amp, other float64) {
		name := Names[int(kind)%len(Names)]
		s := Spec{Process: name, Rate: rate}
		switch name {
		case "gamma":
			s.CV = x
		case "bursts", "onoff":
			s.BurstRate, s.BurstS, s.PeriodS, s.FirstS = x, dur, period, other
		case "sine":
			s.Amplitude, s.PeriodS, s.PhaseS = amp, period, other
		case "ramp":
			s.ToRate, s.OverS = x, dur
		case "schedule":
			s.Rate = 0
			s.Steps = []Step{{0, rate}, {dur, x}, {dur + period, other}}
		}
		_ = s.MeanRate()
		p, err := s.New(newRand(1), 1)
		if err != nil {
			return
		}
		last := int64(math.MinInt64)
		for range 200 {
			ns, ok := p.Next()
			if !ok {
				return
			}
			require.GreaterOrEqual(t, ns, last)
			last = ns
		}
	})
}

func BenchmarkNext(b *testing.B) {
	specs := []Spec{
		{Process: "poisson", Rate: 5},
		{Process: "constant", Rate: 5},
		{Process: "gamma", Rate: 5, CV: 2},
		{Process: "gamma", Rate: 5, CV: 0.5},
		{Process: "bursts", Rate: 1, BurstRate: 20, BurstS: 60, PeriodS: 600},
		{Process: "sine", Rate: 5, Amplitude: 0.5, PeriodS: 86400},
		{Process: "ramp", Rate: 1, ToRate: 10, OverS: 1e9},
		{Process: "schedule", Steps: []Step{{0, 5}, {1e6, 20}, {2e6, 5}, {3e6, 20}}},
	}
	for _, s := range specs {
		name := s.Process
		if s.Process == "gamma" {
			name += map[bool]string{true: "-cv2", false: "-cv0.5"}[s.CV > 1]
		}
		b.Run(name, func(b *testing.B) {
			p, err := s.New(newRand(1), 1)
			require.NoError(b, err)
			b.ReportAllocs()
			for b.Loop() {
				if _, ok := p.Next(); !ok {
					b.Fatal("exhausted")
				}
			}
		})
	}
}

func TestNoAllocPerArrival(t *testing.T) {
	for _, s := range []Spec{
		{Process: "poisson", Rate: 5},
		{Process: "constant", Rate: 5},
		{Process: "gamma", Rate: 5, CV: 2},
		{Process: "bursts", Rate: 1, BurstRate: 20, BurstS: 1, PeriodS: 2},
		{Process: "onoff", Rate: 1, BurstRate: 20, BurstS: 1, AtS: []float64{1, 5}},
		{Process: "sine", Rate: 5, Amplitude: 0.5, PeriodS: 10},
		{Process: "ramp", Rate: 1, ToRate: 10, OverS: 10},
		{Process: "schedule", Steps: []Step{{0, 5}, {1, 20}, {2, 5}}},
	} {
		p, err := s.New(newRand(1), 1)
		require.NoError(t, err)
		require.Zero(t, testing.AllocsPerRun(1000, func() { p.Next() }), s.Process)
	}
}

// TestBurstsNoDrift runs on-off bursts (base rate 0) for 30 days and checks
// every arrival falls inside its burst window: boundaries are computed as
// first + k*period, so day 30's bursts start where they should.
func TestBurstsNoDrift(t *testing.T) {
	s := Spec{Process: "bursts", BurstRate: 10, BurstS: 60, PeriodS: 3600, FirstS: 1800}
	p, err := s.New(newRand(8), 1)
	require.NoError(t, err)
	const horizon = 30 * 86400.0
	n := 0
	for {
		ns, ok := p.Next()
		require.True(t, ok)
		x := float64(ns) / 1e9
		if x > horizon {
			break
		}
		n++
		in := math.Mod(x-s.FirstS, s.PeriodS)
		if x < s.FirstS || in > s.BurstS+1e-9 {
			t.Fatalf("arrival at %v s lies outside every burst (%.9f s into the period)", x, in)
		}
	}
	want := s.Cumulative(horizon)
	require.InDelta(t, want, float64(n), 4.5*math.Sqrt(want))
	require.InDelta(t, 10*60/3600.0, s.MeanRate(), 1e-12)
}

package dist

import (
	"errors"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15)) }

func TestValidate(t *testing.T) {
	cases := []struct {
		name  string
		spec  Spec
		field string // "" = valid
		msg   string
	}{
		{"fixed", Fixed(512), "", ""},
		{"fixed zero", Fixed(0), "", ""},
		{"uniform", Spec{Dist: "uniform", Min: 100, Max: 900}, "", ""},
		{"uniform from zero", Spec{Dist: "uniform", Max: 900}, "", ""},
		{"normal stddev", Spec{Dist: "normal", Mean: 500, Stddev: 120, Min: 1}, "", ""},
		{"normal cv", Spec{Dist: "normal", Mean: 500, CV: 0.2}, "", ""},
		{"lognormal mean median", Spec{Dist: "lognormal", Mean: 1155, Median: 1020}, "", ""},
		{"lognormal mean cv", Spec{Dist: "lognormal", Mean: 1000, CV: 1}, "", ""},
		{"lognormal mean stddev", Spec{Dist: "lognormal", Mean: 1000, Stddev: 500}, "", ""},
		{"lognormal median sigma", Spec{Dist: "lognormal", Median: 1000, Sigma: 0.5}, "", ""},
		{"exponential", Spec{Dist: "exponential", Mean: 3}, "", ""},
		{"empirical", Spec{Dist: "empirical", Values: []float64{1, 2}, Weights: []float64{1, 0}}, "", ""},
		{"empirical equal weights", Spec{Dist: "empirical", Values: []float64{1, 2}}, "", ""},
		{"empirical file", Spec{Dist: "empirical", File: "x.csv"}, "", ""},

		{"missing dist", Spec{Value: 3}, "dist", "missing distribution"},
		{"unknown dist", Spec{Dist: "gauss"}, "dist", `unknown distribution "gauss"`},
		{"negative mean", Spec{Dist: "exponential", Mean: -1}, "mean", "negative"},
		{"negative value", Spec{Dist: "fixed", Value: -1}, "value", "negative"},
		{"nan", Spec{Dist: "normal", Mean: math.NaN(), Stddev: 1}, "mean", "NaN"},
		{"inf", Spec{Dist: "fixed", Value: math.Inf(1)}, "value", "+Inf"},
		{"min above max", Spec{Dist: "normal", Mean: 5, Stddev: 1, Min: 10, Max: 2}, "min", "greater than max"},
		{"uniform no max", Spec{Dist: "uniform", Min: 10}, "max", "max > 0"},
		{"negative cv", Spec{Dist: "normal", Mean: 5, CV: -1}, "cv", "negative"},
		{"normal no spread", Spec{Dist: "normal", Mean: 5}, "stddev", "exactly one"},
		{"normal both spreads", Spec{Dist: "normal", Mean: 5, Stddev: 1, CV: 1}, "stddev", "exactly one"},
		{"normal no mean", Spec{Dist: "normal", Stddev: 1}, "mean", "mean > 0"},
		{"sigma on normal", Spec{Dist: "normal", Mean: 5, Stddev: 1, Sigma: 1}, "sigma", "does not apply"},
		{"mean on uniform", Spec{Dist: "uniform", Max: 5, Mean: 2}, "mean", "does not apply"},
		{"values on fixed", Spec{Dist: "fixed", Value: 1, Values: []float64{1}}, "values", "does not apply"},
		{"lognormal median above mean", Spec{Dist: "lognormal", Mean: 900, Median: 1020}, "median", "greater than mean"},
		{"lognormal three params", Spec{Dist: "lognormal", Mean: 900, Median: 800, CV: 1}, "mean", "mean median cv"},
		{"lognormal one param", Spec{Dist: "lognormal", Mean: 900}, "mean", "got mean"},
		{"lognormal none", Spec{Dist: "lognormal"}, "mean", "got none"},
		{"lognormal overflow", Spec{Dist: "lognormal", Median: 1, Sigma: 100}, "sigma", "overflows"},
		{"exponential no mean", Spec{Dist: "exponential"}, "mean", "mean > 0"},
		{"empirical nothing", Spec{Dist: "empirical"}, "values", "exactly one"},
		{"empirical both", Spec{Dist: "empirical", Values: []float64{1}, File: "x"}, "values", "exactly one"},
		{"weights mismatch", Spec{Dist: "empirical", Values: []float64{1, 2}, Weights: []float64{1}}, "weights", "1 weights for 2 values"},
		{"weights with file", Spec{Dist: "empirical", File: "x", Weights: []float64{1}}, "weights", "cannot be combined"},
		{"negative value in table", Spec{Dist: "empirical", Values: []float64{1, -2}}, "values[1]", "-2"},
		{"negative weight", Spec{Dist: "empirical", Values: []float64{1, 2}, Weights: []float64{1, -1}}, "weights[1]", "-1"},
		{"zero weights", Spec{Dist: "empirical", Values: []float64{1, 2}, Weights: []float64{0, 0}}, "weights", "sum to 0"},
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

// TestMoments draws 200k values from each distribution and compares the
// sample mean and standard deviation with the configured ones.
//
// Tolerances: the sample mean's relative standard error is cv/sqrt(n), at
// most 0.23% here, so meanTol = 1% is over 4 standard errors yet 35 times
// tighter than the exp(sigma²/2) = 1.41 factor a lognormal parameterised
// with the median in place of mu-from-mean would be off by. The standard
// deviation's error depends on kurtosis (heavy for lognormal cv=1: about
// 1.5%), hence sdTol of 2-5%; a cv mistaken for a variance or a sigma would
// miss by far more.
func TestMoments(t *testing.T) {
	const n = 200_000
	cases := []struct {
		name    string
		spec    Spec
		mean    float64
		sd      float64
		meanTol float64 // relative
		sdTol   float64 // relative
	}{
		{"fixed", Fixed(512), 512, 0, 0, 0},
		{"uniform", Spec{Dist: "uniform", Min: 100, Max: 900}, 500, 800 / math.Sqrt(12), 0.01, 0.02},
		{"normal stddev", Spec{Dist: "normal", Mean: 500, Stddev: 120}, 500, 120, 0.01, 0.02},
		{"normal cv", Spec{Dist: "normal", Mean: 1000, CV: 0.2}, 1000, 200, 0.01, 0.02},
		{"lognormal mean+median", Spec{Dist: "lognormal", Mean: 1155, Median: 1020}, 1155, 1155 * math.Sqrt(math.Pow(1155.0/1020, 2)-1), 0.01, 0.03},
		{"lognormal mean+cv", Spec{Dist: "lognormal", Mean: 1000, CV: 1}, 1000, 1000, 0.01, 0.05},
		{"lognormal mean+stddev", Spec{Dist: "lognormal", Mean: 1000, Stddev: 500}, 1000, 500, 0.01, 0.03},
		{"lognormal median+sigma", Spec{Dist: "lognormal", Median: 1000, Sigma: 0.5}, 1000 * math.Exp(0.125), 1000 * math.Exp(0.125) * math.Sqrt(math.Exp(0.25)-1), 0.01, 0.03},
		{"exponential", Spec{Dist: "exponential", Mean: 3}, 3, 3, 0.01, 0.02},
		{"empirical", Spec{Dist: "empirical", Values: []float64{128, 512, 2048}, Weights: []float64{5, 3, 1}}, 4224.0 / 9, empiricalSD([]float64{128, 512, 2048}, []float64{5, 3, 1}), 0.01, 0.02},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := tc.spec.New("")
			require.NoError(t, err)
			require.InEpsilon(t, tc.mean, s.Mean(), 1e-12, "configured mean")
			r := newRand(1)
			var sum, sum2 float64
			for range n {
				v := s.Sample(r)
				sum += v
				sum2 += v * v
			}
			mean := sum / n
			sd := math.Sqrt(math.Max(0, sum2/n-mean*mean))
			if tc.sd == 0 {
				require.Equal(t, tc.mean, mean)
				require.Less(t, sd, 1e-9)
				return
			}
			require.InEpsilon(t, tc.mean, mean, tc.meanTol, "sample mean")
			require.InEpsilon(t, tc.sd, sd, tc.sdTol, "sample sd")
		})
	}
}

func empiricalSD(v, w []float64) float64 {
	var tw, m, m2 float64
	for i := range v {
		tw += w[i]
		m += w[i] * v[i]
		m2 += w[i] * v[i] * v[i]
	}
	m /= tw
	return math.Sqrt(m2/tw - m*m)
}

// TestLognormalMedian checks the location parameter separately from the
// mean: half the draws fall below the configured median (binomial standard
// error 0.11% at n=200k; tolerance 0.6%).
func TestLognormalMedian(t *testing.T) {
	s, err := Spec{Dist: "lognormal", Mean: 1155, Median: 1020}.New("")
	require.NoError(t, err)
	r := newRand(2)
	below := 0
	const n = 200_000
	for range n {
		if s.Sample(r) < 1020 {
			below++
		}
	}
	require.InDelta(t, 0.5, float64(below)/n, 0.006)
}

// TestEmpiricalFrequencies checks the alias table reproduces each weight:
// with p = 1/3 and n = 300k the binomial standard error is 0.09%, tolerance
// 0.5% absolute.
func TestEmpiricalFrequencies(t *testing.T) {
	values := []float64{1, 2, 3, 4, 5, 6, 7}
	weights := []float64{1, 2, 3, 0, 10, 0.5, 3.5}
	s, err := Spec{Dist: "empirical", Values: values, Weights: weights}.New("")
	require.NoError(t, err)
	r := newRand(3)
	const n = 300_000
	counts := map[float64]int{}
	for range n {
		counts[s.Sample(r)]++
	}
	for i, v := range values {
		require.InDelta(t, weights[i]/20, float64(counts[v])/n, 0.005, "value %v", v)
	}
	require.Zero(t, counts[4], "a zero weight is never drawn")
}

func TestClamp(t *testing.T) {
	cases := []Spec{
		{Dist: "normal", Mean: 500, Stddev: 400, Min: 1, Max: 800},
		{Dist: "lognormal", Mean: 1000, CV: 2, Min: 10, Max: 4000},
		{Dist: "exponential", Mean: 5, Max: 6},
		{Dist: "empirical", Values: []float64{1, 50, 100}, Min: 10, Max: 60},
	}
	for _, spec := range cases {
		s, err := spec.New("")
		require.NoError(t, err)
		r := newRand(4)
		lo, hi := math.Inf(1), math.Inf(-1)
		for range 100_000 {
			v := s.Sample(r)
			lo, hi = math.Min(lo, v), math.Max(hi, v)
		}
		if spec.Min > 0 {
			require.Equal(t, spec.Min, lo, "%s reaches its min exactly", spec.Dist)
		}
		require.Equal(t, spec.Max, hi, "%s reaches its max exactly", spec.Dist)
	}
	s, err := Spec{Dist: "fixed", Value: 900, Max: 100}.New("")
	require.NoError(t, err)
	require.Equal(t, 100.0, s.Sample(nil))
	require.Equal(t, 900.0, s.Mean(), "Mean is the configured, unclamped mean")
}

func TestTokens(t *testing.T) {
	cases := []struct {
		v    float64
		want int
	}{{0, 1}, {-5, 1}, {0.49, 1}, {1.5, 2}, {2.49, 2}, {511.5, 512}, {math.NaN(), 1}, {1e300, MaxTokens}}
	for _, tc := range cases {
		require.Equal(t, tc.want, Tokens(constSampler(tc.v), nil), "Tokens(%v)", tc.v)
	}
}

type constSampler float64

func (c constSampler) Sample(*rand.Rand) float64 { return float64(c) }
func (c constSampler) Mean() float64             { return float64(c) }

func TestDeterministic(t *testing.T) {
	s, err := Spec{Dist: "lognormal", Mean: 1000, CV: 1}.New("")
	require.NoError(t, err)
	a, b := newRand(7), newRand(7)
	for range 1000 {
		require.Equal(t, s.Sample(a), s.Sample(b))
	}
}

func TestEmpiricalFile(t *testing.T) {
	s, err := Spec{Dist: "empirical", File: "lengths.csv"}.New("testdata")
	require.NoError(t, err)
	// testdata/lengths.csv: 128 x3, 512 x1 (weight 1 implied), 2048 x0 -> mean 224.
	require.InDelta(t, (128*3+512)/4.0, s.Mean(), 1e-9)

	abs, err := filepath.Abs("testdata/plain.txt")
	require.NoError(t, err)
	s, err = Spec{Dist: "empirical", File: abs}.New("/nonexistent")
	require.NoError(t, err, "an absolute path ignores baseDir")
	require.InDelta(t, 20.0, s.Mean(), 1e-9)

	_, err = Spec{Dist: "empirical", File: "missing.csv"}.New("testdata")
	var fe *fielderr.Error
	require.True(t, errors.As(err, &fe))
	require.Equal(t, "file", fe.Field)
	require.Contains(t, err.Error(), "missing.csv")
}

func TestParseEmpirical(t *testing.T) {
	cases := []struct {
		name, in string
		values   []float64
		weights  []float64
		err      string
	}{
		{"plain", "1\n2\n3\n", []float64{1, 2, 3}, nil, ""},
		{"weighted", "1,5\n2, 3\n", []float64{1, 2}, []float64{5, 3}, ""},
		{"header and comments", "tokens,count\n# note\n\n10,1\r\n20\n", []float64{10, 20}, []float64{1, 1}, ""},
		{"bad value", "1\nabc\n", nil, nil, "t.csv:2: value \"abc\""},
		{"bad weight", "1,2\n3,x\n", nil, nil, "t.csv:2: weight \"x\""},
		{"negative", "1\n-3\n", nil, nil, "t.csv:2: value \"-3\""},
		{"empty", "# nothing\n", nil, nil, "t.csv: no values"},
		{"zero weights", "1,0\n2,0\n", nil, nil, "weights sum to 0"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, w, err := ParseEmpirical(strings.NewReader(tc.in), "t.csv")
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.values, v)
			require.Equal(t, tc.weights, w)
		})
	}
}

func FuzzParseEmpirical(f *testing.F) {
	for _, s := range []string{"1\n2\n", "1,2\n3,4\n", "h\n1", "1,,2", "1e308,1e308\n1e308,1e308", "-0\n", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		v, w, err := ParseEmpirical(strings.NewReader(in), "f")
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "f:"), "error %q names the file", err)
			return
		}
		spec := Spec{Dist: "empirical", Values: v, Weights: w}
		s, err := spec.New("")
		require.NoError(t, err, "a table ParseEmpirical accepts is a valid spec")
		r := newRand(1)
		for range 10 {
			x := s.Sample(r)
			require.Contains(t, v, x)
		}
	})
}

// FuzzSpec builds specs from arbitrary numbers: Validate must never panic,
// and whatever it accepts must sample finite values inside [Min, Max].
func FuzzSpec(f *testing.F) {
	f.Add(uint8(2), 500.0, 120.0, 0.0, 0.0, 0.0, 1.0, 800.0)
	f.Add(uint8(3), 1155.0, 0.0, 0.0, 1020.0, 0.0, 0.0, 0.0)
	f.Add(uint8(3), 0.0, 0.0, 0.0, 1.0, 30.0, 0.0, 0.0)
	f.Fuzz(func(t *testing.T, d uint8, mean, sd, cv, median, sigma, lo, hi float64) {
		spec := Spec{Dist: Names[int(d)%len(Names)], Mean: mean, Stddev: sd, CV: cv, Median: median, Sigma: sigma, Min: lo, Max: hi, Value: mean}
		if spec.Dist == "empirical" {
			spec.Values = []float64{mean, median}
		}
		s, err := spec.New("")
		if err != nil {
			return
		}
		r := newRand(1)
		for range 100 {
			x := s.Sample(r)
			require.False(t, math.IsNaN(x), "%+v sampled NaN", spec)
			if lo > 0 {
				require.GreaterOrEqual(t, x, lo)
			}
			if hi > 0 {
				require.LessOrEqual(t, x, hi)
			}
		}
	})
}

func BenchmarkSample(b *testing.B) {
	specs := []Spec{
		Fixed(512),
		{Dist: "uniform", Min: 100, Max: 900},
		{Dist: "normal", Mean: 500, Stddev: 120, Min: 1},
		{Dist: "lognormal", Mean: 1155, Median: 1020, Max: 8192},
		{Dist: "exponential", Mean: 3},
		{Dist: "empirical", Values: []float64{128, 512, 2048, 4096, 8192}, Weights: []float64{5, 3, 1, 1, 1}},
	}
	for _, spec := range specs {
		b.Run(spec.Dist, func(b *testing.B) {
			s, err := spec.New("")
			require.NoError(b, err)
			r := newRand(1)
			b.ReportAllocs()
			var sink float64
			for b.Loop() {
				sink += s.Sample(r)
			}
			_ = sink
		})
	}
}

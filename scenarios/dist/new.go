package dist

import (
	"math"
	"math/rand/v2"
	"path/filepath"
)

// New validates s and returns its Sampler. For an empirical spec with File,
// the file is read now, relative to baseDir unless it is absolute.
func (s Spec) New(baseDir string) (Sampler, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	c := clamp{lo: math.Inf(-1), hi: math.Inf(1)}
	if s.Min > 0 {
		c.lo = s.Min
	}
	if s.Max > 0 {
		c.hi = s.Max
	}
	switch s.Dist {
	case "fixed":
		return fixed{v: c.apply(s.Value), mean: s.Value}, nil
	case "uniform":
		return uniform{lo: s.Min, width: s.Max - s.Min}, nil
	case "normal":
		sd := s.Stddev
		if s.CV > 0 {
			sd = s.CV * s.Mean
		}
		return normal{clamp: c, mean: s.Mean, sd: sd}, nil
	case "lognormal":
		mu, sigma, mean := s.lognormalParams()
		return lognormal{clamp: c, mu: mu, sigma: sigma, mean: mean}, nil
	case "exponential":
		return exponential{clamp: c, mean: s.Mean}, nil
	case "empirical":
		values, weights := s.Values, s.Weights
		if s.File != "" {
			path := s.File
			if !filepath.IsAbs(path) {
				path = filepath.Join(baseDir, path)
			}
			var err error
			if values, weights, err = readEmpiricalFile(path); err != nil {
				return nil, err
			}
		}
		return newEmpirical(c, values, weights), nil
	}
	panic("unreachable: Validate accepted dist " + s.Dist)
}

// lognormalParams converts whichever pair the spec uses into the underlying
// normal's mu and sigma, and the lognormal's mean exp(mu + sigma²/2).
func (s Spec) lognormalParams() (mu, sigma, mean float64) {
	switch s.lognormalForm() {
	case "mean+median":
		// mean/median = exp(sigma²/2)
		mu = math.Log(s.Median)
		sigma = math.Sqrt(2 * math.Log(s.Mean/s.Median))
		return mu, sigma, s.Mean
	case "mean+cv", "mean+stddev":
		cv := s.CV
		if s.Stddev > 0 {
			cv = s.Stddev / s.Mean
		}
		// cv² = exp(sigma²) - 1
		s2 := math.Log1p(cv * cv)
		return math.Log(s.Mean) - s2/2, math.Sqrt(s2), s.Mean
	case "median+sigma":
		mu = math.Log(s.Median)
		return mu, s.Sigma, math.Exp(mu + s.Sigma*s.Sigma/2)
	}
	return 0, 0, math.NaN()
}

// clamp bounds a draw; unset bounds are ±Inf so applying it is two compares.
type clamp struct{ lo, hi float64 }

func (c clamp) apply(v float64) float64 {
	if v < c.lo {
		return c.lo
	}
	if v > c.hi {
		return c.hi
	}
	return v
}

type fixed struct{ v, mean float64 }

func (f fixed) Sample(*rand.Rand) float64 { return f.v }
func (f fixed) Mean() float64             { return f.mean }

// uniform draws from [lo, lo+width); min and max are its range, so it needs
// no separate clamp.
type uniform struct{ lo, width float64 }

func (u uniform) Sample(r *rand.Rand) float64 { return u.lo + u.width*r.Float64() }
func (u uniform) Mean() float64               { return u.lo + u.width/2 }

type normal struct {
	clamp
	mean, sd float64
}

func (n normal) Sample(r *rand.Rand) float64 { return n.apply(n.mean + n.sd*r.NormFloat64()) }
func (n normal) Mean() float64               { return n.mean }

type lognormal struct {
	clamp
	mu, sigma, mean float64
}

func (l lognormal) Sample(r *rand.Rand) float64 {
	return l.apply(math.Exp(l.mu + l.sigma*r.NormFloat64()))
}
func (l lognormal) Mean() float64 { return l.mean }

type exponential struct {
	clamp
	mean float64
}

func (e exponential) Sample(r *rand.Rand) float64 { return e.apply(e.mean * r.ExpFloat64()) }
func (e exponential) Mean() float64               { return e.mean }

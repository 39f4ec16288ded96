// Package dist implements the token-length (and think-time) distributions
// a scenario file can name: fixed, uniform, normal, lognormal,
// exponential and empirical, each with optional min/max clamps.
package dist

import (
	"math"
	"math/rand/v2"
)

// Spec is a distribution as written in a scenario file. A bare number in YAML
// means {dist: fixed, value: N}. Units are those of the key that holds the spec
// (tokens for lengths, seconds for *_s keys).
//
//	{dist: fixed, value: 512}
//	{dist: uniform, min: 100, max: 900}
//	{dist: normal, mean: 500, stddev: 120, min: 1}
//	{dist: lognormal, mean: 1155, median: 1020}      (or mean+cv, or median+sigma)
//	{dist: exponential, mean: 3}
//	{dist: empirical, values: [128, 512, 2048], weights: [5, 3, 1]}
//	{dist: empirical, file: lengths.csv}               (one value per line, or value,weight)
//
// Min and Max clamp every distribution (0 = no clamp).
type Spec struct {
	Dist    string    `yaml:"dist" json:"dist"`
	Value   float64   `yaml:"value,omitempty" json:"value,omitempty"`
	Mean    float64   `yaml:"mean,omitempty" json:"mean,omitempty"`
	Stddev  float64   `yaml:"stddev,omitempty" json:"stddev,omitempty"`
	CV      float64   `yaml:"cv,omitempty" json:"cv,omitempty"`
	Median  float64   `yaml:"median,omitempty" json:"median,omitempty"`
	Sigma   float64   `yaml:"sigma,omitempty" json:"sigma,omitempty"`
	Min     float64   `yaml:"min,omitempty" json:"min,omitempty"`
	Max     float64   `yaml:"max,omitempty" json:"max,omitempty"`
	Values  []float64 `yaml:"values,omitempty" json:"values,omitempty"`
	Weights []float64 `yaml:"weights,omitempty" json:"weights,omitempty"`
	File    string    `yaml:"file,omitempty" json:"file,omitempty"`
}

// Sampler draws values from a configured distribution. Implementations are
// allocation-free and safe to share between streams as long as each caller
// passes its own *rand.Rand (they hold no mutable state).
type Sampler interface {
	// Sample draws one value, clamped to [Min, Max] where those are set.
	Sample(r *rand.Rand) float64
	// Mean is the configured mean: the analytic mean of the unclamped
	// distribution, or the weighted mean of an empirical table.
	Mean() float64
}

// Fixed returns the spec of a constant distribution at v.
func Fixed(v float64) Spec { return Spec{Dist: "fixed", Value: v} }

// MaxTokens caps Tokens so that a wild draw of an unclamped heavy tail
// cannot ask for more than any model's context (Llama 4 Scout's 10M is the
// largest offered); scenario validation rejects specs whose bound, mean or
// median is above it, so only rare tail draws are clamped.
const MaxTokens = 10_000_000

// Tokens draws a token count: the sample rounded to the nearest integer and
// at least 1, because a request with zero tokens is not a request.
func Tokens(s Sampler, r *rand.Rand) int {
	v := math.Round(s.Sample(r))
	if !(v >= 1) { // also catches NaN
		return 1
	}
	if v > MaxTokens {
		return MaxTokens
	}
	return int(v)
}

// Floor is the smallest token count Tokens can draw from s: its lowest
// value (fixed, uniform, empirical values) or Min clamp, at least 1. An
// empirical file not read yet has only its clamp. For bounds a class's
// every request must exceed (scenario validation).
func (s Spec) Floor() int {
	lo := 0.0
	switch s.Dist {
	case "fixed":
		lo = s.Value
	case "uniform":
		lo = s.Min
	case "empirical":
		for i, v := range s.Values {
			if i == 0 || v < lo {
				lo = v
			}
		}
	}
	if s.Min > 0 {
		lo = max(lo, s.Min)
	}
	if s.Max > 0 {
		lo = min(lo, s.Max)
	}
	v := math.Round(lo)
	if !(v >= 1) {
		return 1
	}
	return int(min(v, MaxTokens))
}

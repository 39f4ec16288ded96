package dist

import (
	"math"
	"strconv"
	"strings"

	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

// Names lists the distributions Spec.Dist accepts, in documentation order.
var Names = []string{"fixed", "uniform", "normal", "lognormal", "exponential", "empirical"}

// allowed names, per distribution, the keys besides dist that may be set.
// A key outside this set is an error rather than silently ignored, because a
// misplaced key (sigma on a normal, mean on a uniform) almost always means the
// user believes the distribution has a shape it does not have.
var allowed = map[string]string{
	"fixed":       "value min max",
	"uniform":     "min max",
	"normal":      "mean stddev cv min max",
	"lognormal":   "mean median cv stddev sigma min max",
	"exponential": "mean min max",
	"empirical":   "values weights file min max",
}

// hints say, per distribution, which keys make a complete spec.
var hints = map[string]string{
	"fixed":       "fixed takes value, e.g. {dist: fixed, value: 512}",
	"uniform":     "uniform takes min and max, e.g. {dist: uniform, min: 100, max: 900}",
	"normal":      "normal takes mean with stddev or cv, e.g. {dist: normal, mean: 500, stddev: 120}",
	"lognormal":   "lognormal takes mean+median, mean+cv, mean+stddev or median+sigma, e.g. {dist: lognormal, mean: 1155, median: 1020}",
	"exponential": "exponential takes mean, e.g. {dist: exponential, mean: 3}",
	"empirical":   "empirical takes values (with optional weights of the same length) or file, e.g. {dist: empirical, values: [128, 512], weights: [3, 1]}",
}

// Validate reports the first problem with s as a *fielderr.Error naming the
// offending key, or nil. It does not read File; New does.
func (s Spec) Validate() error {
	if s.Dist == "" {
		return fielderr.New("dist", "one of "+strings.Join(Names, ", "), "missing distribution name")
	}
	keys, ok := allowed[s.Dist]
	if !ok {
		return fielderr.New("dist", "one of "+strings.Join(Names, ", "), "unknown distribution %q", s.Dist)
	}
	hint := hints[s.Dist]
	for _, f := range s.scalars() {
		if math.IsNaN(f.v) || math.IsInf(f.v, 0) {
			return fielderr.New(f.name, "use a finite number", "%s is %v", f.name, f.v)
		}
		if f.v < 0 {
			return fielderr.New(f.name, "lengths, times and shape parameters are never negative", "%s is negative (%v)", f.name, f.v)
		}
		if f.v != 0 && !hasKey(keys, f.name) {
			return fielderr.New(f.name, hint, "%s does not apply to dist %s", f.name, s.Dist)
		}
	}
	if len(s.Values) > 0 && !hasKey(keys, "values") {
		return fielderr.New("values", hint, "values does not apply to dist %s", s.Dist)
	}
	if len(s.Weights) > 0 && !hasKey(keys, "weights") {
		return fielderr.New("weights", hint, "weights does not apply to dist %s", s.Dist)
	}
	if s.File != "" && !hasKey(keys, "file") {
		return fielderr.New("file", hint, "file does not apply to dist %s", s.Dist)
	}
	if s.Max > 0 && s.Min > s.Max {
		return fielderr.New("min", "min must not exceed max", "min %v is greater than max %v", s.Min, s.Max)
	}
	switch s.Dist {
	case "uniform":
		if s.Max <= 0 {
			return fielderr.New("max", hint, "uniform needs max > 0")
		}
	case "normal":
		if s.Mean <= 0 {
			return fielderr.New("mean", hint, "normal needs mean > 0")
		}
		if (s.Stddev > 0) == (s.CV > 0) {
			return fielderr.New("stddev", hint, "normal needs exactly one of stddev or cv")
		}
	case "lognormal":
		return s.validateLognormal(hint)
	case "exponential":
		if s.Mean <= 0 {
			return fielderr.New("mean", hint, "exponential needs mean > 0")
		}
	case "empirical":
		return s.validateEmpirical(hint)
	}
	return nil
}

func (s Spec) validateLognormal(hint string) error {
	switch s.lognormalForm() {
	case "mean+median":
		if s.Mean < s.Median {
			return fielderr.New("median", "a lognormal's mean is at least its median; swap them or use mean+cv",
				"median %v is greater than mean %v", s.Median, s.Mean)
		}
		return nil
	case "mean+cv", "mean+stddev", "median+sigma":
		if _, _, mean := s.lognormalParams(); math.IsInf(mean, 0) || math.IsNaN(mean) {
			return fielderr.New("sigma", "a lognormal this wide has no finite mean; use a smaller sigma or cv", "lognormal mean overflows")
		}
		return nil
	}
	return fielderr.New("mean", hint, "lognormal needs exactly one parameter pair; got %s", s.lognormalSet())
}

// lognormalForm names the parameter pair a lognormal spec uses, or "" when
// the set keys do not form exactly one supported pair.
func (s Spec) lognormalForm() string {
	switch s.lognormalSet() {
	case "mean median":
		return "mean+median"
	case "mean cv":
		return "mean+cv"
	case "mean stddev":
		return "mean+stddev"
	case "median sigma":
		return "median+sigma"
	}
	return ""
}

func (s Spec) lognormalSet() string {
	var set []string
	for _, f := range []field{{"mean", s.Mean}, {"median", s.Median}, {"cv", s.CV}, {"stddev", s.Stddev}, {"sigma", s.Sigma}} {
		if f.v > 0 {
			set = append(set, f.name)
		}
	}
	if len(set) == 0 {
		return "none"
	}
	return strings.Join(set, " ")
}

func (s Spec) validateEmpirical(hint string) error {
	if (len(s.Values) > 0) == (s.File != "") {
		return fielderr.New("values", hint, "empirical needs exactly one of values or file")
	}
	if s.File != "" {
		if len(s.Weights) > 0 {
			return fielderr.New("weights", "put weights in the file as value,weight lines", "weights cannot be combined with file")
		}
		return nil
	}
	if len(s.Weights) > 0 && len(s.Weights) != len(s.Values) {
		return fielderr.New("weights", "give one weight per value, or none for equal weights",
			"%d weights for %d values", len(s.Weights), len(s.Values))
	}
	for i, v := range s.Values {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fielderr.New(indexed("values", i), "values are finite and non-negative", "value %v is not allowed", v)
		}
	}
	total := 0.0
	for i, w := range s.Weights {
		if math.IsNaN(w) || math.IsInf(w, 0) || w < 0 {
			return fielderr.New(indexed("weights", i), "weights are finite and non-negative", "weight %v is not allowed", w)
		}
		total += w
	}
	if len(s.Weights) > 0 && (!(total > 0) || math.IsInf(total, 0)) {
		return fielderr.New("weights", "at least one weight must be positive and their sum finite", "weights sum to %v", total)
	}
	return nil
}

type field struct {
	name string
	v    float64
}

func (s Spec) scalars() []field {
	return []field{
		{"value", s.Value}, {"mean", s.Mean}, {"stddev", s.Stddev}, {"cv", s.CV},
		{"median", s.Median}, {"sigma", s.Sigma}, {"min", s.Min}, {"max", s.Max},
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

func indexed(name string, i int) string {
	return name + "[" + strconv.Itoa(i) + "]"
}

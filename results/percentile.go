package results

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsePercentile reads one percentile, in (0, 100], in any of the forms
// the product uses: a number ("99.9"), a key with its number ("p99.9",
// "p50", "p100") or a compact SLO key, whose digits after "p99" are the
// decimals ("p999" is 99.9, "p9999" 99.99). It is the one percentile parser
// of --percentiles, SLO keys and the live sweep's early stop.
func ParsePercentile(s string) (float64, error) {
	num := strings.TrimSpace(s)
	key, isKey := strings.CutPrefix(num, "p")
	if isKey {
		num = key
		if len(num) > 2 && strings.HasPrefix(num, "99") && !strings.ContainsAny(num, ".eE+-_") {
			num = "99." + num[2:] // compact: p999, p9999
		}
	}
	v, err := strconv.ParseFloat(num, 64)
	// Only plain decimals: no exponents, signs, hex, infinities or NaN.
	if err != nil || num == "" || strings.IndexFunc(num, func(r rune) bool { return (r < '0' || r > '9') && r != '.' }) >= 0 || !(v > 0 && v <= 100) {
		return 0, fmt.Errorf("percentile %q: want a number in (0, 100] such as 50, 99.9, p99.9 or p999", strings.TrimSpace(s))
	}
	return v, nil
}

// ParsePercentiles parses a --percentiles list such as "50,90,95,99" (each
// item as ParsePercentile reads it): at most 20, no duplicates.
func ParsePercentiles(s string) ([]float64, error) {
	var out []float64
	seen := map[float64]bool{}
	for _, f := range strings.Split(s, ",") {
		v, err := ParsePercentile(f)
		if err != nil {
			return nil, err
		}
		if seen[v] {
			return nil, fmt.Errorf("percentile %g given twice", v)
		}
		seen[v] = true
		out = append(out, v)
	}
	if len(out) > 20 {
		return nil, fmt.Errorf("%d percentiles: at most 20", len(out))
	}
	return out, nil
}

package results

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/fleetbench/fleetbench/pricing"
)

// ParseGPUPrices parses a --gpu-price value, "h100=2.5,h20=1.2": USD per
// GPU-hour by GPU type (lower-cased).
func ParseGPUPrices(s string) (map[string]float64, error) {
	out := map[string]float64{}
	if strings.TrimSpace(s) == "" {
		return out, nil
	}
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		k, v, ok := strings.Cut(item, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || k == "" {
			return nil, fmt.Errorf("gpu price %q: want TYPE=USD_PER_GPU_HOUR, e.g. h100=2.5", item)
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || !(f >= 0) || math.IsInf(f, 0) {
			return nil, fmt.Errorf("gpu price %q: %q is not a price in USD per GPU-hour (a number >= 0, e.g. h100=2.5)", item, strings.TrimSpace(v))
		}
		if f > pricing.MaxGPUHourUSD {
			return nil, fmt.Errorf("gpu price %q: %v USD per GPU-hour is above the limit of %g (docs/scenarios.md, Limits)", item, f, pricing.MaxGPUHourUSD)
		}
		if _, dup := out[k]; dup {
			return nil, fmt.Errorf("gpu price %q: %s is priced twice", item, k)
		}
		out[k] = f
	}
	return out, nil
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

package results

import (
	"math"
	"math/rand/v2"
	"slices"
)

// BootstrapTest names the test gates on a latency statistic use when
// records are given.
const BootstrapTest = "percentile bootstrap of the statistic's change (1000 resamples, seeded)"

// bootstrapResamples is the number of resamples per gate: enough for a
// 95% interval's ends to be stable to a few tenths of a percent.
const bootstrapResamples = 1000

// bootstrapMaxN caps the values per side: beyond it an evenly spaced
// subset of the sorted values (every k-th, the same quantiles) is used, so
// a gate costs at most resamples x cap draws per side.
const bootstrapMaxN = 20000

// bootstrapSeed makes the interval deterministic: the same records give
// the same verdict on every run.
const bootstrapSeed = 0xb007

// BootstrapChange returns the (1-alpha) percentile-bootstrap interval of
// the change of statistic stat ("p50" ... "p999", "mean") from sample a
// (BASE) to sample b (NEW): b's statistic minus a's, or, when relative,
// in percent of a's. ok is false when a side is empty or stat is not one
// the bootstrap can estimate (min, max).
func BootstrapChange(a, b []float64, stat string, relative bool, alpha float64) (lo, hi float64, ok bool) {
	q, isQ := percentileByKey(stat)
	if (!isQ && stat != "mean") || len(a) == 0 || len(b) == 0 {
		return 0, 0, false
	}
	sa, sb := bootSample(a), bootSample(b)
	rng := rand.New(rand.NewPCG(bootstrapSeed, uint64(len(a))<<32|uint64(len(b))))
	ca, cb := make([]int32, len(sa)), make([]int32, len(sb))
	d := make([]float64, bootstrapResamples)
	for i := range d {
		va, vb := resampleStat(sa, ca, q, isQ, rng), resampleStat(sb, cb, q, isQ, rng)
		if relative {
			d[i] = relChange(va, vb)
		} else {
			d[i] = vb - va
		}
	}
	slices.Sort(d)
	k := int(math.Floor(alpha / 2 * bootstrapResamples))
	return d[k], d[bootstrapResamples-1-k], true
}

// bootSample is v sorted, thinned to at most bootstrapMaxN values.
func bootSample(v []float64) []float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	if len(s) <= bootstrapMaxN {
		return s
	}
	out := make([]float64, bootstrapMaxN)
	for i := range out {
		out[i] = s[i*len(s)/bootstrapMaxN]
	}
	return out
}

// resampleStat draws len(sorted) values with replacement (as counts per
// sorted index, so no sort per resample) and returns their q-th
// percentile (nearest rank, as the summary's histograms) or their mean.
func resampleStat(sorted []float64, counts []int32, q float64, isQ bool, rng *rand.Rand) float64 {
	n := len(sorted)
	clear(counts)
	for range n {
		counts[rng.IntN(n)]++
	}
	if !isQ {
		sum := 0.0
		for i, c := range counts {
			sum += float64(c) * sorted[i]
		}
		return sum / float64(n)
	}
	rank := int64(math.Ceil(q / 100 * float64(n)))
	var cum int64
	for i, c := range counts {
		cum += int64(c)
		if cum >= rank {
			return sorted[i]
		}
	}
	return sorted[n-1]
}

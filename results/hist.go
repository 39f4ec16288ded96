package results

import (
	"fmt"
	"math"
	"math/bits"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Histogram geometry shared by every latency histogram, so that any two
// result files merge bucket for bucket. Values are microseconds; 3
// significant digits keep every percentile within 0.1% of the exact value.
const (
	histLowestUs  = 1
	histHighestUs = 100_000_000_000 // ~27.8 hours; longer values are clamped
	histSigDigits = 3
)

func newHist() *hdr.Histogram { return hdr.New(histLowestUs, histHighestUs, histSigDigits) }

// nsToUs converts nanoseconds to the histogram unit, rounding to nearest
// and clamping into the trackable range so that recording never fails.
func nsToUs(ns int64) int64 {
	us := (ns + 500) / 1000
	if us < 0 {
		return 0
	}
	return min(us, histHighestUs)
}

// bucketNs is the range [lo, hi] of nanosecond values that nsToUs maps
// into the histogram bucket of us (a value nsToUs returned), so recording
// any of them counts in the same place, and loUs is that bucket's lowest
// value in µs. The geometry is newHist's: lowest value 1 µs and 3
// significant digits give buckets one microsecond wide below 2,048 µs
// (2^histSubBucketBits) that double in width with every further power of
// two (TestBucketNs checks it against the histogram's own equivalence).
func bucketNs(us int64) (loUs, lo, hi int64) {
	shift := max(bits.Len64(uint64(us))-histSubBucketBits, 0)
	loUs = us >> shift << shift
	hiUs := loUs + 1<<shift - 1
	lo, hi = loUs*1000-500, hiUs*1000+499
	if loUs == 0 {
		lo = math.MinInt64 // every ns below 500 rounds (or clamps) to 0 µs
	}
	if hiUs >= histHighestUs {
		// Clamped into this bucket, up to where nsToUs's ns+500 wraps.
		hi = math.MaxInt64 - 500
	}
	return loUs, lo, hi
}

// histSubBucketBits is log2 of the histogram's sub-bucket count for
// histSigDigits: the smallest power of two >= 2·10^histSigDigits (2,048).
const histSubBucketBits = 11

// Percentiles summarises one latency distribution in milliseconds. Values
// come from an HDR histogram (3 significant digits); Count is exact.
type Percentiles struct {
	Count int64   `json:"count"`
	Mean  float64 `json:"mean"`
	Min   float64 `json:"min"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P95   float64 `json:"p95"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
}

// percentileKeys are the percentile names accepted in SLOs, with their
// numeric value.
var percentileKeys = []struct {
	key string
	q   float64
}{{"p50", 50}, {"p90", 90}, {"p95", 95}, {"p99", 99}, {"p999", 99.9}}

func percentileByKey(key string) (float64, bool) {
	for _, p := range percentileKeys {
		if p.key == key {
			return p.q, true
		}
	}
	return 0, false
}

// Get returns the percentile named by key ("p50" ... "p999", "mean", "max").
func (p *Percentiles) Get(key string) (float64, bool) {
	switch key {
	case "p50":
		return p.P50, true
	case "p90":
		return p.P90, true
	case "p95":
		return p.P95, true
	case "p99":
		return p.P99, true
	case "p999":
		return p.P999, true
	case "mean":
		return p.Mean, true
	case "max":
		return p.Max, true
	case "min":
		return p.Min, true
	}
	return 0, false
}

// usToMs converts an integer microsecond value to milliseconds; the result
// has at most three decimals, so its JSON text is stable.
func usToMs(us int64) float64 { return float64(us) / 1000 }

// summarize computes the percentile summary of h (nil or empty gives zeros).
func summarize(h *hdr.Histogram) *Percentiles {
	p := &Percentiles{}
	if h == nil || h.TotalCount() == 0 {
		return p
	}
	// One prefix-sum scan for all quantiles; p0 and p100 are Min and Max
	// without Min()/Max()'s full iterator walks.
	vals := h.ValueAtPercentilesSlice([]float64{0, 50, 90, 95, 99, 99.9, 100})
	p.Count = h.TotalCount()
	p.Mean = roundDec(h.Mean()/1000, 3)
	p.Min, p.Max = usToMs(vals[0]), usToMs(vals[6])
	p.P50, p.P90, p.P95, p.P99, p.P999 = usToMs(vals[1]), usToMs(vals[2]), usToMs(vals[3]), usToMs(vals[4]), usToMs(vals[5])
	return p
}

// roundDec rounds v to n decimals so that floats print the same way on
// every run and platform.
func roundDec(v float64, n int) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	s := math.Pow10(n)
	return math.Round(v*s) / s
}

// RoundSig rounds v to 6 significant digits, the precision of every
// derived number in result files (rates, gauge values), so files are stable
// and small; NaN and Inf become 0 because JSON cannot hold them.
func RoundSig(v float64) float64 { return roundSig(v) }

func roundSig(v float64) float64 {
	if v == 0 || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0
	}
	d := 5 - int(math.Floor(math.Log10(math.Abs(v))))
	if d < -300 || d > 300 {
		return v
	}
	s := math.Pow10(d)
	r := math.Round(v*s) / s
	if math.IsInf(r, 0) || math.IsNaN(r) {
		return v
	}
	return r
}

// encodeHist returns the library's compressed, base64 V2 encoding.
func encodeHist(h *hdr.Histogram) (string, error) {
	b, err := h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", fmt.Errorf("encode histogram: %w", err)
	}
	return string(b), nil
}

// decodeHist decodes a histogram and checks it has the shared geometry, so
// that merging cannot silently drop values.
func decodeHist(s string) (*hdr.Histogram, error) {
	h, err := hdr.Decode([]byte(s))
	if err != nil {
		return nil, err
	}
	if h.LowestTrackableValue() != histLowestUs || h.HighestTrackableValue() != histHighestUs || h.SignificantFigures() != histSigDigits {
		return nil, fmt.Errorf("histogram geometry (lowest %d, highest %d, %d digits) differs from fleetbench's (%d, %d, %d)",
			h.LowestTrackableValue(), h.HighestTrackableValue(), h.SignificantFigures(), histLowestUs, histHighestUs, histSigDigits)
	}
	return h, nil
}

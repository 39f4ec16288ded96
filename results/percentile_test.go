package results

import (
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParsePercentile(t *testing.T) {
	for in, want := range map[string]float64{
		"50": 50, "99.9": 99.9, " p99.9 ": 99.9, "p50": 50, "p5": 5, "p100": 100, "100": 100,
		"p999": 99.9, "p9999": 99.99, "p995": 99.5, "p99": 99, "0.1": 0.1,
	} {
		v, err := ParsePercentile(in)
		require.NoError(t, err, in)
		require.InDelta(t, want, v, 1e-12, in)
	}
	for _, bad := range []string{"", "p", "0", "p0", "101", "p101", "p1000", "999", "-5", "p-5", "1e2", "p99e1", "NaN", "inf", "0x10", "p99x", "max", "+50", "5_0"} {
		_, err := ParsePercentile(bad)
		require.Error(t, err, bad)
	}
	// Every SLO key means the percentile the summary computes for it.
	for _, k := range percentileKeys {
		v, err := ParsePercentile(k.key)
		require.NoError(t, err, k.key)
		require.Equal(t, k.q, v, k.key)
	}
}

// FuzzParsePercentile: never panics; what it accepts is in (0, 100], and a
// number it accepts reads back the same with or without the "p".
func FuzzParsePercentile(f *testing.F) {
	for _, s := range []string{"50", "p99.9", "p999", "p100", "p9999", "0", "1e2", "p", "", "99.", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParsePercentile(s)
		if err != nil {
			return
		}
		if !(v > 0 && v <= 100) {
			t.Fatalf("%q -> %v, outside (0, 100]", s, v)
		}
		txt := strconv.FormatFloat(v, 'f', -1, 64)
		for _, again := range []string{txt, "p" + txt} {
			w, err := ParsePercentile(again)
			if err != nil || w != v {
				t.Fatalf("%q -> %v, but %q -> %v, %v", s, v, again, w, err)
			}
		}
	})
}

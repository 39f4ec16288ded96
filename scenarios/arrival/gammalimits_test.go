package arrival

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// A gamma process with cv: 1e-300 passed validation; its shape 1/cv² is
// +Inf, every gap NaN, and `scenario sample` printed arrival_ns
// -9223372036854775808 while `sim` panicked ("time went backwards"). cv
// and burstiness have documented limits now, checked at validation.
func TestGammaShapeLimits(t *testing.T) {
	for _, tc := range []struct {
		spec  Spec
		field string
	}{
		{Spec{Process: "gamma", Rate: 1, CV: 1e-300}, "cv"},
		{Spec{Process: "gamma", Rate: 1, CV: MinCV / 2}, "cv"},
		{Spec{Process: "gamma", Rate: 1, CV: MaxCV * 2}, "cv"},
		{Spec{Process: "gamma", Rate: 1, Burstiness: 1e300}, "burstiness"},
		{Spec{Process: "gamma", Rate: 1, Burstiness: 1e-300}, "burstiness"},
	} {
		err := tc.spec.Validate()
		require.Error(t, err, "%+v", tc.spec)
		require.Contains(t, err.Error(), tc.field)
		require.Contains(t, err.Error(), "docs/scenarios.md, Limits")
	}
	// The limits themselves give finite, nondecreasing arrival times.
	for _, s := range []Spec{
		{Process: "gamma", Rate: 1e6, CV: MinCV}, {Process: "gamma", Rate: 1e-3, CV: MaxCV},
		{Process: "gamma", Rate: 1, Burstiness: 1 / (MaxCV * MaxCV)}, {Process: "gamma", Rate: 1, Burstiness: 1 / (MinCV * MinCV)},
	} {
		require.NoError(t, s.Validate())
		p, err := s.New(rand.New(rand.NewPCG(1, 2)), 1)
		require.NoError(t, err)
		last := int64(0)
		for i := 0; i < 1000; i++ {
			at, ok := p.Next()
			if !ok {
				break
			}
			require.GreaterOrEqual(t, at, last, "%+v", s)
			last = at
		}
	}
}

// A process whose time went NaN (how cv: 1e-300 failed) stops instead of
// handing out arrival -9223372036854775808.
func TestNaNTimeStops(t *testing.T) {
	p := &poisson{r: rand.New(rand.NewPCG(1, 2)), rate: math.NaN()}
	_, ok := p.Next()
	require.False(t, ok)
}

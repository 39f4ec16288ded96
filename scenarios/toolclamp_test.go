package scenarios

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// tool_s and think_s are limited by their largest value or mean, but a
// draw of an unclamped tail was cut only at 1e9 s (31 years):
// `tool_s: {dist: normal, mean: 1, stddev: 1e300}` validated, half its
// draws sent the next turn decades later, and sim spun through 123,304
// virtual hours of a 30 s scenario for over a minute until killed. Draws
// are clamped at the documented limit, as token and turn draws are.
func TestToolAndThinkDrawsClampedAtTheLimit(t *testing.T) {
	lim := int64(MaxToolSeconds) * 1e9
	for _, x := range []float64{1e300, math.Inf(1), 1e9, MaxToolSeconds + 1} {
		require.Equal(t, lim, seconds(x), "%g", x)
	}
	require.Equal(t, int64(1.5e9), seconds(1.5))
	require.Zero(t, seconds(math.NaN()))
	require.Zero(t, seconds(-3))
}

package htmlreport

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// A run's window under a second printed "window 0.0 s" (sim platform-hour
// --requests 200 measures 0.0249 s): a measured window never reads as zero.
func TestSecondsKeepsShortWindows(t *testing.T) {
	for in, want := range map[float64]string{
		0:      "0 s",
		0.0249: "0.0249 s",
		0.5:    "0.5 s",
		9.87:   "9.87 s",
		33.63:  "33.6 s",
		110:    "110.0 s",
		150:    "2.5 min",
		9000:   "2.5 h",
	} {
		require.Equal(t, want, seconds(in), "seconds(%v)", in)
	}
}

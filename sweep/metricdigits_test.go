package sweep

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The metrics a sweep point computes itself (utilization, lag_share,
// usd_per_mtok_all) carried binary floating-point noise into the JSON:
// chat at 10x on 6C wrote "utilization": 1.0000000000000002, a share over
// 1. They are written to 12 significant digits, as price's and cost's
// figures.
func TestPointMetricsHaveNoFloatNoise(t *testing.T) {
	r := chatRunner(t, 1)
	r.Workload.Duration = time.Minute
	p := r.One(Point{Fleet: "6C", GPU: "h100", TP: 4, Routing: "cache-aware", RateScale: 10})
	require.Empty(t, p.Error)
	require.LessOrEqual(t, p.Metrics["utilization"], 1.0)
	b, err := json.Marshal(p.Metrics)
	require.NoError(t, err)
	require.NotRegexp(t, `[1-9]\d{12,}`, string(b), "no figure beyond 12 significant digits")
}

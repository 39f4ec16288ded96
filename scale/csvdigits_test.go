package scale

import (
	"bytes"
	"encoding/csv"
	"testing"

	"github.com/stretchr/testify/require"
)

// scale --csv wrote every float to full binary precision:
// `scale chat --traffic 1,10 --duration 1m --csv` gave utilization
// "1.0000000000000002" (a share over 1, in float noise), gpus_per_1k_rps
// "684.7769442285714" and usd_per_mtok_all "0.3498263662803316", where
// sweep's CSV writes 6 significant digits (the result file's precision).
// The scale CSV now writes its figures as sweep's does.
func TestScaleCSVHasNoFloatNoise(t *testing.T) {
	f := &Factors{RequestsPerS: 5.8413181601874165, TokensPerRequest: 1070.4888888888888, BusyGPUSecondsPerToken: 0.000639686361964864,
		BindingUtilization: 1, Balance: 1, GPUsPerRPS: 0.6847769442285714}
	c := &Curve{Schema: Schema, Levels: []Level{{Index: 0, Traffic: 1, Fleet: "1C", Kind: "colocated", GPUs: 4, GPUsPer1kRPS: 684.7769442285714,
		Factors: f, Metrics: map[string]float64{"utilization": 1.0000000000000002, "usd_per_mtok_all": 0.3498263662803316, "usd_per_task": 0.000511681}}}}
	var b bytes.Buffer
	require.NoError(t, Render(&b, c, "csv"))
	rows, err := csv.NewReader(&b).ReadAll()
	require.NoError(t, err)
	got := map[string]string{}
	for i, h := range rows[0] {
		got[h] = rows[1][i]
	}
	require.Equal(t, "1", got["utilization"])
	require.Equal(t, "684.777", got["gpus_per_1k_rps"])
	require.Equal(t, "0.349826", got["usd_per_mtok_all"])
	require.Equal(t, "0.000511681", got["usd_per_task"])
	require.Equal(t, "5.84132", got["llm_requests_per_s"])
	require.Equal(t, "0.000639686", got["busy_gpu_s_per_token"])
	require.Equal(t, "1", got["traffic"])
}

package perf

import (
	"testing"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/stretchr/testify/require"
)

func TestCalibrationWideEP(t *testing.T) {
	t.Logf("§4 DeepSeek-V3 large-EP pools, tokens/s per node (docs/calibration.md)")
	t.Logf("%-58s %10s %10s %7s %s", "row", "model", "published", "err%", "")
	for _, r := range EPRows {
		m, err := models.Lookup(r.Model)
		require.NoError(t, err)
		g, err := hardware.Lookup(r.GPU)
		require.NoError(t, err)
		p, err := New(m, g, r.Config)
		require.NoError(t, err, r.Name)
		got := EPThroughput(p, r)
		e := relErr(got, r.Published)
		tag := "fit"
		if r.HeldAside {
			tag = "held aside"
		}
		t.Logf("%-58s %10.0f %10.0f %+7.1f %s (KV cap %d tok/GPU)", r.Name, got, r.Published, e, tag, p.KVCapacityTokens()/int64(p.GPUs()))
	}
}

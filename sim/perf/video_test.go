package perf

import (
	"testing"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/stretchr/testify/require"
)

func TestVideoClipTime(t *testing.T) {
	wan, _ := models.LookupVideo("wan2.1-14b")
	h100, _ := hardware.Lookup("h100")
	v1, err := NewVideo(wan, h100, 1)
	require.NoError(t, err)
	v8, err := NewVideo(wan, h100, 8)
	require.NoError(t, err)
	t720 := v1.ClipTime(1280, 720, 81, 50)
	t480 := v1.ClipTime(832, 480, 81, 50)
	require.Greater(t, t720, 2*t480, "attention is quadratic in latent tokens")
	require.Less(t, v8.ClipTime(1280, 720, 81, 50), t720/4)
	require.Greater(t, v8.ClipTime(1280, 720, 81, 50), t720/8, "SP has losses")
	require.Equal(t, v1.ClipTime(1280, 720, 81, 50), v1.ClipTime(1280, 720, 81, 0), "0 steps means default 50")
	require.Less(t, v1.ClipTime(1280, 720, 81, 25), t720)
	require.Zero(t, v1.ClipTime(0, 720, 81, 50))
	require.Equal(t, 8, v8.GPUs())
	require.Equal(t, "h100", v8.GPU().ID)

	// CFG doubles the transformer passes.
	nocfg := wan
	nocfg.CFG = false
	n1, err := NewVideo(nocfg, h100, 1)
	require.NoError(t, err)
	decode := 1280 * 720 * 81 * wan.DecodeNsPerPixel
	require.InEpsilon(t, 2*(float64(n1.ClipTime(1280, 720, 81, 50))-decode), float64(t720)-decode, 1e-6)
}

func TestNewVideoErrors(t *testing.T) {
	hy, _ := models.LookupVideo("hunyuanvideo-13b")
	h100, _ := hardware.Lookup("h100")
	_, err := NewVideo(hy, h100, 5)
	require.ErrorContains(t, err, "divide its 24 attention heads")
	_, err = NewVideo(hy, h100, 0)
	require.ErrorContains(t, err, "at least 1")
	_, err = NewVideo(models.VideoModel{ID: "x"}, h100, 1)
	require.ErrorContains(t, err, "no architecture")
	small := h100
	small.HBMBytes = 16e9
	_, err = NewVideo(hy, small, 1)
	require.ErrorContains(t, err, "more memory")
}

package models

import (
	"fmt"
	"slices"
	"strings"
)

// VideoModel describes a video diffusion transformer: its size and how a
// clip's pixels map to latent tokens.
type VideoModel struct {
	// ID is the catalog key, e.g. "wan2.1-14b".
	ID string
	// Params is the transformer's parameter count.
	Params float64
	// Layers is the number of transformer blocks (HunyuanVideo: dual- plus
	// single-stream blocks).
	Layers int
	// Hidden is the transformer width (heads × head dim).
	Hidden int
	// Heads is the number of attention heads (caps Ulysses sequence parallelism).
	Heads int
	// CFG marks classifier-free guidance: two transformer passes per step.
	// False for guidance-distilled models.
	CFG bool
	// VAEStride is the VAE compression (time, height, width).
	VAEStride [3]int
	// Patch is the transformer patch size over the latent (time, height, width).
	Patch [3]int
	// DefaultSteps is the default number of denoising steps.
	DefaultSteps int
	// DecodeNsPerPixel is wall time per output pixel of the stages the
	// reference pipeline runs once per clip without sequence parallelism
	// (VAE decode, text encoding), in ns. [unverified]: derived, see the
	// entry's comment.
	DecodeNsPerPixel float64
	// Source says where the figures come from.
	Source string
}

var videoCatalog = map[string]VideoModel{
	// Wan-Video/Wan2.1 README and config: 40 blocks, width 5120, 40 heads,
	// Wan-VAE stride (4,8,8), patch (1,2,2); T2V samples 50 steps with CFG.
	// DecodeNsPerPixel: no public split; HunyuanVideo's figure is reused.
	"wan2.1-14b": {
		ID: "wan2.1-14b", Params: 14e9, Layers: 40, Hidden: 5120, Heads: 40, CFG: true,
		VAEStride: [3]int{4, 8, 8}, Patch: [3]int{1, 2, 2}, DefaultSteps: 50,
		DecodeNsPerPixel: 800,
		Source:           "Wan-Video/Wan2.1 README and config",
	},
	// Tencent HunyuanVideo config: 20 dual-stream + 40 single-stream blocks,
	// width 3072, 24 heads, 3D VAE stride (4,8,8), patch (1,2,2); guidance
	// distilled (one pass per step), 50 steps.
	// DecodeNsPerPixel: the xDiT Ulysses table (docs/calibration.md §3) fits
	// Amdahl's law with a non-parallel part of ~110-130 s per 720p clip on
	// both H100 and H20 (1280·720·129 ≈ 1.19e8 pixels), so it is not
	// tensor-bound; 800 ns/pixel ≈ 95 s, the rest being SP communication.
	"hunyuanvideo-13b": {
		ID: "hunyuanvideo-13b", Params: 13e9, Layers: 60, Hidden: 3072, Heads: 24, CFG: false,
		VAEStride: [3]int{4, 8, 8}, Patch: [3]int{1, 2, 2}, DefaultSteps: 50,
		DecodeNsPerPixel: 800,
		Source:           "Tencent/HunyuanVideo config; xdit-project/xDiT performance docs",
	},
}

// VideoIDs returns the video model ids in sorted order.
func VideoIDs() []string {
	ids := make([]string, 0, len(videoCatalog))
	for id := range videoCatalog {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// LookupVideo returns the video model for id (case-insensitive). The error
// lists the known ids.
func LookupVideo(id string) (VideoModel, error) {
	v, ok := videoCatalog[strings.ToLower(strings.TrimSpace(id))]
	if !ok {
		return VideoModel{}, fmt.Errorf("unknown video model %q: known video models are %s", id, strings.Join(VideoIDs(), ", "))
	}
	return v, nil
}

// LatentTokens is the transformer sequence length for a clip of the given
// pixel size and frame count: the causal VAE keeps the first frame and
// compresses the rest by the time stride, then patches tile each axis
// (partial tiles round up, as the pipelines pad). Non-positive inputs give 0.
func (v VideoModel) LatentTokens(width, height, frames int) int {
	if width <= 0 || height <= 0 || frames <= 0 {
		return 0
	}
	st, sh, sw := max(v.VAEStride[0], 1), max(v.VAEStride[1], 1), max(v.VAEStride[2], 1)
	pt, ph, pw := max(v.Patch[0], 1), max(v.Patch[1], 1), max(v.Patch[2], 1)
	lt := (frames-1)/st + 1
	lh := ceilDiv(ceilDiv(height, sh), ph)
	lw := ceilDiv(ceilDiv(width, sw), pw)
	return ceilDiv(lt, pt) * lh * lw
}

func ceilDiv(a, b int) int { return (a + b - 1) / b }

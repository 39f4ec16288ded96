package perf

import (
	"fmt"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/sim/models"
)

// Video is a video diffusion transformer deployed with Ulysses sequence
// parallelism over sp GPUs, serving one clip at a time (batch size 1).
type Video struct {
	v  models.VideoModel
	g  hardware.Spec
	sp int

	lin      float64 // s per latent token per pass: 2·P FLOPs, split over sp
	attn     float64 // s per (token pair) per pass: 4·L·d FLOPs, split over sp
	elem     float64 // s per latent token per pass: element-wise traffic
	commTok  float64 // s per latent token per pass: Ulysses all-to-alls
	commFix  float64 // s per pass: all-to-all latencies
	decodePx float64 // s per output pixel, once per clip, not parallelised
}

// NewVideo builds the clip-time model of v on sp GPUs of type g (Ulysses
// sequence parallelism splits attention heads, so sp must divide the head
// count). The weights are replicated on every GPU and must fit.
func NewVideo(v models.VideoModel, g hardware.Spec, sp int) (*Video, error) {
	if v.Params <= 0 || v.Layers <= 0 || v.Hidden <= 0 || v.Heads <= 0 {
		return nil, fmt.Errorf("perf: video model %q has no architecture: look it up with models.LookupVideo", v.ID)
	}
	if g.HBMBytes <= 0 || g.HBMBandwidth <= 0 || g.BF16FLOPS <= 0 {
		return nil, fmt.Errorf("perf: GPU %q has no memory, bandwidth or BF16 FLOPS: look it up with hardware.Lookup", g.ID)
	}
	if sp < 1 || v.Heads%sp != 0 {
		return nil, fmt.Errorf("perf: sequence parallelism %d for %s must be at least 1 and divide its %d attention heads (e.g. 1, 2, 4, 8)", sp, v.ID, v.Heads)
	}
	if need := 2 * v.Params; need > 0.9*g.HBMBytes {
		return nil, fmt.Errorf("perf: %s needs %.0f GB of BF16 weights on every GPU, more than 90%% of %s's %.0f GB: use a GPU with more memory",
			v.ID, need/1e9, g.ID, g.HBMBytes/1e9)
	}
	n := float64(sp)
	d, L := float64(v.Hidden), float64(v.Layers)
	attnRate := attnEff * g.BF16FLOPS
	if g.FA2FLOPS > 0 {
		attnRate = min(attnRate, g.FA2FLOPS)
	}
	bw := memEff * g.HBMBandwidth
	x := &Video{v: v, g: g, sp: sp}
	x.lin = 2 * v.Params / n / (gemmEff * g.BF16FLOPS)
	x.attn = 4 * L * d / n / attnRate
	// A DiT block's FFN is 4× wide; the same element-wise traffic per token
	// as the LLM blocks (replicated part does not shrink with sp here since
	// tokens, not weights, are split).
	x.elem = L * (elemRepTensors*d + elemSplitTensors*5*d) * 2 / n / bw
	if sp > 1 {
		// Ulysses: per layer, all-to-alls of Q, K, V (to head-sharded) and
		// of the output (back to sequence-sharded), each token·d BF16 per
		// GPU share, of which (sp-1)/sp leaves the GPU.
		link := g.ScaleUpBandwidth / 2
		if sp > g.Domain() {
			link = min(link, g.NICBandwidth)
		}
		x.commTok = 4 * L * d * 2 / n * (n - 1) / n / (linkEff * link)
		x.commFix = 4 * L * collectiveLatency
	}
	x.decodePx = v.DecodeNsPerPixel * 1e-9
	return x, nil
}

// ClipTime returns the ns to generate one clip of width×height pixels and
// frames frames with steps denoising steps (steps ≤ 0: the model default).
// Non-positive sizes give 0.
func (x *Video) ClipTime(width, height, frames, steps int) int64 {
	s := float64(x.v.LatentTokens(width, height, frames))
	if s == 0 {
		return 0
	}
	if steps <= 0 {
		steps = x.v.DefaultSteps
	}
	passes := float64(steps)
	if x.v.CFG {
		passes *= 2
	}
	pass := s*(x.lin+x.elem+x.commTok) + s*s*x.attn + x.commFix
	pixels := float64(width) * float64(height) * float64(frames)
	return toNs(passes*pass + pixels*x.decodePx)
}

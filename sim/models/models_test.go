package models

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestIDs(t *testing.T) {
	require.Equal(t, []string{"deepseek-v3", "glm-4.5", "kimi-k2", "llama-3.1-70b", "llama-3.1-8b", "qwen3-235b-a22b", "qwen3-32b"}, IDs())
	require.Equal(t, []string{"hunyuanvideo-13b", "wan2.1-14b"}, VideoIDs())
	_, err := Lookup("llama-2-7b")
	require.NoError(t, err, "calibration-only entries still resolve")
}

func TestKVBytesMatchCatalog(t *testing.T) {
	// docs/catalog.md "KV bytes/token (BF16)" column.
	want := map[string]int64{
		"llama-3.1-8b": 131072, "llama-3.1-70b": 327680, "qwen3-32b": 262144,
		"deepseek-v3": 70272, "kimi-k2": 70272, "glm-4.5": 376832, "qwen3-235b-a22b": 192512,
	}
	for id, kv := range want {
		m, err := Lookup(id)
		require.NoError(t, err)
		require.Equal(t, kv, m.KVBytesPerTokenBF16, id)
	}
}

// TestParamsFromArchitecture checks the layer shapes against the published
// parameter totals: a wrong dimension shows up as a large mismatch.
func TestParamsFromArchitecture(t *testing.T) {
	for _, id := range append(IDs(), "llama-2-7b", "llama-2-70b") {
		m, _ := Lookup(id)
		h, nh, hd := float64(m.Hidden), float64(m.Heads), float64(m.HeadDim)
		var attn float64
		if m.MLA {
			rope, lora, ql := float64(m.RoPEDim), float64(m.KVLoRA), float64(m.QLoRA)
			attn = h*ql + ql*nh*(hd+rope) + h*(lora+rope) + lora*nh*2*hd + nh*hd*h
		} else {
			attn = 2*h*nh*hd + 2*h*float64(m.KVHeads)*hd
		}
		expert := 3 * h * float64(m.MoEFFN)
		dense := 3 * h * float64(m.FFN)
		L, Ld, Lm := float64(m.Layers), float64(m.DenseLayers), float64(m.MoELayers())
		emb := 2 * float64(m.Vocab) * h
		total := L*attn + Ld*dense + Lm*float64(m.RoutedExperts+m.SharedExperts)*expert + emb
		active := L*attn + Ld*dense + Lm*float64(m.TopK+m.SharedExperts)*expert + emb
		require.InEpsilon(t, m.TotalParams, total, 0.04, "%s total %.3g", id, total)
		require.InEpsilon(t, m.ActiveParams, active, 0.08, "%s active %.3g", id, active)
	}
}

func TestLatentTokens(t *testing.T) {
	wan, _ := LookupVideo("wan2.1-14b")
	hy, _ := LookupVideo("HunyuanVideo-13B")
	cases := []struct {
		v                  VideoModel
		w, h, frames, want int
	}{
		{wan, 1280, 720, 81, 75600},  // docs/catalog.md
		{wan, 832, 480, 81, 32760},   // docs/catalog.md
		{hy, 1280, 720, 129, 118800}, // docs/catalog.md
		{hy, 960, 960, 129, 118800},
		{hy, 1280, 720, 1, 3600},
		{hy, 0, 720, 129, 0},
		{hy, 1280, -1, 129, 0},
	}
	for _, c := range cases {
		require.Equal(t, c.want, c.v.LatentTokens(c.w, c.h, c.frames), "%s %dx%dx%d", c.v.ID, c.w, c.h, c.frames)
	}
	_, err := LookupVideo("sora")
	require.ErrorContains(t, err, "hunyuanvideo-13b, wan2.1-14b")
}

func FuzzLookup(f *testing.F) {
	for _, s := range []string{"llama-3.1-8b", "DeepSeek-V3", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, id string) {
		if m, err := Lookup(id); err == nil {
			require.Positive(t, m.Layers)
		} else {
			require.Contains(t, err.Error(), "known models")
		}
		if v, err := LookupVideo(id); err == nil {
			require.Positive(t, v.LatentTokens(64, 64, 1))
		}
	})
}

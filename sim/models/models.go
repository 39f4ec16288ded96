// Package models is the catalog of model architectures the simulator's
// performance model needs: parameter counts, layer shapes, attention and
// MoE layout, KV-cache size. Values are from each model's published
// config.json (Hugging Face model cards) and technical reports, as collected
// in the team catalog (docs/catalog.md); each entry names its source.
package models

import (
	"fmt"
	"slices"
	"strings"
)

// Model describes an LLM's architecture. Counts are plain numbers of
// parameters (not bytes); dimensions are element counts.
type Model struct {
	// ID is the catalog key, e.g. "llama-3.1-8b".
	ID string
	// TotalParams counts every weight, including embeddings and all experts.
	TotalParams float64
	// ActiveParams counts the weights one token uses (MoE: shared plus top-k
	// routed experts).
	ActiveParams float64
	// Layers is the number of transformer blocks.
	Layers int
	// DenseLayers is how many of those blocks use a dense FFN; the rest are
	// MoE. Equal to Layers for dense models.
	DenseLayers int
	// Hidden is the model (residual stream) width.
	Hidden int
	// Heads is the number of attention (query) heads.
	Heads int
	// KVHeads is the number of key/value heads (GQA); 1 for MLA models,
	// whose latent cache is shared by all heads.
	KVHeads int
	// HeadDim is the per-head dimension (MLA: the value / no-RoPE dim).
	HeadDim int
	// FFN is the intermediate size of dense FFN blocks (gated: 3 matrices).
	FFN int
	// MoEFFN is the intermediate size of one expert.
	MoEFFN int
	// RoutedExperts is the number of routed experts per MoE layer (0: dense).
	RoutedExperts int
	// SharedExperts is the number of always-active experts per MoE layer.
	SharedExperts int
	// TopK is the number of routed experts each token uses.
	TopK int
	// MLA marks multi-head latent attention (DeepSeek-V3 style).
	MLA bool
	// KVLoRA is the MLA compressed KV rank (cached per token per layer).
	KVLoRA int
	// QLoRA is the MLA query compression rank (0: no query compression).
	QLoRA int
	// RoPEDim is the MLA decoupled RoPE key dimension (cached per token).
	RoPEDim int
	// ExpertGroups and GroupTopK describe group-limited routing
	// (config.json n_group / topk_group): each token's experts lie in at
	// most GroupTopK of ExpertGroups groups. 0 or 1: unrestricted.
	ExpertGroups, GroupTopK int
	// MTPLayers is the number of multi-token-prediction modules shipped
	// with the model (config.json num_nextn_predict_layers), usable as a
	// built-in draft for speculative decoding.
	MTPLayers int
	// Vocab is the vocabulary size (embedding and LM-head rows).
	Vocab int
	// KVBytesPerTokenBF16 is the KV-cache size of one token over all layers
	// in BF16: 2·L·n_kv·d_h·2 for GQA, L·(kv_lora+rope)·2 for MLA.
	KVBytesPerTokenBF16 int64
	// ContextTokens is the longest sequence the model serves, prompt plus
	// output (config.json max_position_embeddings: what vLLM takes as
	// max_model_len by default); a server refuses a longer request (400).
	// 0: unknown (a config.json without it).
	ContextTokens int
	// CalibrationOnly marks entries kept only to reproduce published
	// measurements (e.g. the Vidur profiles); they are not listed by IDs.
	CalibrationOnly bool
	// Source says where the figures come from.
	Source string
}

// IsMoE reports whether the model has routed experts.
func (m Model) IsMoE() bool { return m.RoutedExperts > 0 }

// MoELayers is the number of MoE blocks.
func (m Model) MoELayers() int { return m.Layers - m.DenseLayers }

// LayerParams returns the per-layer parameter counts of the attention
// projections (MLA: query down/up, KV down/up, output; GQA: Q, K, V, O), a
// dense gated FFN, and one routed expert.
func (m Model) LayerParams() (attn, ffn, expert float64) {
	h, nh, hd := float64(m.Hidden), float64(m.Heads), float64(m.HeadDim)
	if m.MLA {
		rope, lora := float64(m.RoPEDim), float64(m.KVLoRA)
		q := h * nh * (hd + rope)
		if m.QLoRA > 0 {
			ql := float64(m.QLoRA)
			q = h*ql + ql*nh*(hd+rope)
		}
		kv := h*(lora+rope) + lora*nh*2*hd
		attn = q + kv + nh*hd*h
	} else {
		attn = 2*h*nh*hd + 2*h*float64(m.KVHeads)*hd
	}
	return attn, 3 * h * float64(m.FFN), 3 * h * float64(m.MoEFFN)
}

// kvGQA is the BF16 KV size per token of a GQA model: K and V, every layer.
func kvGQA(layers, kvHeads, headDim int) int64 {
	return int64(2 * layers * kvHeads * headDim * 2)
}

// kvMLA is the BF16 KV size per token of an MLA model: one latent plus the
// decoupled RoPE key per layer (docs/catalog.md: 61·576·2 = 70,272).
func kvMLA(layers, kvLoRA, rope int) int64 { return int64(layers * (kvLoRA + rope) * 2) }

var catalog = map[string]Model{
	// meta-llama/Llama-3.1-8B config.json.
	"llama-3.1-8b": {
		ID: "llama-3.1-8b", TotalParams: 8.03e9, ActiveParams: 8.03e9,
		Layers: 32, DenseLayers: 32, Hidden: 4096, Heads: 32, KVHeads: 8, HeadDim: 128,
		FFN: 14336, Vocab: 128256, KVBytesPerTokenBF16: kvGQA(32, 8, 128),
		Source:        "meta-llama/Llama-3.1-8B config.json",
		ContextTokens: 131072,
	},
	// meta-llama/Llama-3.1-70B config.json.
	"llama-3.1-70b": {
		ID: "llama-3.1-70b", TotalParams: 70.6e9, ActiveParams: 70.6e9,
		Layers: 80, DenseLayers: 80, Hidden: 8192, Heads: 64, KVHeads: 8, HeadDim: 128,
		FFN: 28672, Vocab: 128256, KVBytesPerTokenBF16: kvGQA(80, 8, 128),
		Source:        "meta-llama/Llama-3.1-70B config.json",
		ContextTokens: 131072,
	},
	// Qwen/Qwen3-32B config.json (attention width 64·128 = 8192 > hidden).
	"qwen3-32b": {
		ID: "qwen3-32b", TotalParams: 32.8e9, ActiveParams: 32.8e9,
		Layers: 64, DenseLayers: 64, Hidden: 5120, Heads: 64, KVHeads: 8, HeadDim: 128,
		FFN: 25600, Vocab: 151936, KVBytesPerTokenBF16: kvGQA(64, 8, 128),
		Source:        "Qwen/Qwen3-32B config.json",
		ContextTokens: 40960,
	},
	// deepseek-ai/DeepSeek-V3 config.json and technical report; MLA with
	// q_lora 1536, kv_lora 512, rope 64, nope/value head dim 128.
	"deepseek-v3": {
		ID: "deepseek-v3", TotalParams: 671e9, ActiveParams: 37e9,
		Layers: 61, DenseLayers: 3, Hidden: 7168, Heads: 128, KVHeads: 1, HeadDim: 128,
		FFN: 18432, MoEFFN: 2048, RoutedExperts: 256, SharedExperts: 1, TopK: 8,
		MLA: true, KVLoRA: 512, QLoRA: 1536, RoPEDim: 64, Vocab: 129280,
		ExpertGroups: 8, GroupTopK: 4, MTPLayers: 1,
		KVBytesPerTokenBF16: kvMLA(61, 512, 64),
		Source:              "deepseek-ai/DeepSeek-V3 config.json; DeepSeek-V3 technical report (671B main model + 14B MTP module; R1 has the same architecture)",
		ContextTokens:       163840,
	},
	// moonshotai/Kimi-K2-Instruct config.json: DeepSeek-V3 layout with 384
	// experts, 64 heads and one dense layer.
	"kimi-k2": {
		ID: "kimi-k2", TotalParams: 1.04e12, ActiveParams: 32e9,
		Layers: 61, DenseLayers: 1, Hidden: 7168, Heads: 64, KVHeads: 1, HeadDim: 128,
		FFN: 18432, MoEFFN: 2048, RoutedExperts: 384, SharedExperts: 1, TopK: 8,
		MLA: true, KVLoRA: 512, QLoRA: 1536, RoPEDim: 64, Vocab: 163840,
		ExpertGroups: 1, GroupTopK: 1,
		KVBytesPerTokenBF16: kvMLA(61, 512, 64),
		Source:              "moonshotai/Kimi-K2-Instruct config.json (n_group 1, first_k_dense_replace 1, no MTP module)",
		ContextTokens:       131072,
	},
	// Qwen/Qwen3-235B-A22B config.json: every layer MoE (decoder_sparse_step
	// 1, no mlp_only_layers), 128 experts top-8, no shared expert, GQA 64/4.
	"qwen3-235b-a22b": {
		ID: "qwen3-235b-a22b", TotalParams: 235e9, ActiveParams: 22e9,
		Layers: 94, DenseLayers: 0, Hidden: 4096, Heads: 64, KVHeads: 4, HeadDim: 128,
		FFN: 12288, MoEFFN: 1536, RoutedExperts: 128, TopK: 8,
		Vocab: 151936, KVBytesPerTokenBF16: kvGQA(94, 4, 128),
		Source:        "Qwen/Qwen3-235B-A22B config.json; Qwen3 technical report (235B total, 22B active)",
		ContextTokens: 40960,
	},
	// zai-org/GLM-4.5 config.json.
	"glm-4.5": {
		ID: "glm-4.5", TotalParams: 355e9, ActiveParams: 32e9,
		Layers: 92, DenseLayers: 3, Hidden: 5120, Heads: 96, KVHeads: 8, HeadDim: 128,
		FFN: 12288, MoEFFN: 1536, RoutedExperts: 160, SharedExperts: 1, TopK: 8,
		Vocab: 151552, KVBytesPerTokenBF16: kvGQA(92, 8, 128),
		ExpertGroups: 1, GroupTopK: 1, MTPLayers: 1,
		Source:        "zai-org/GLM-4.5 config.json",
		ContextTokens: 131072,
	},
	// Calibration only: the architectures of the Vidur H100 operator
	// profiles (meta-llama/Llama-2-7b-hf and -70b-hf config.json).
	"llama-2-7b": {
		ID: "llama-2-7b", TotalParams: 6.74e9, ActiveParams: 6.74e9,
		Layers: 32, DenseLayers: 32, Hidden: 4096, Heads: 32, KVHeads: 32, HeadDim: 128,
		FFN: 11008, Vocab: 32000, KVBytesPerTokenBF16: kvGQA(32, 32, 128),
		CalibrationOnly: true, Source: "meta-llama/Llama-2-7b-hf config.json",
		ContextTokens: 4096,
	},
	"llama-2-70b": {
		ID: "llama-2-70b", TotalParams: 69.0e9, ActiveParams: 69.0e9,
		Layers: 80, DenseLayers: 80, Hidden: 8192, Heads: 64, KVHeads: 8, HeadDim: 128,
		FFN: 28672, Vocab: 32000, KVBytesPerTokenBF16: kvGQA(80, 8, 128),
		CalibrationOnly: true, Source: "meta-llama/Llama-2-70b-hf config.json",
		ContextTokens: 4096,
	},
}

// IDs returns the servable model ids in sorted order (calibration-only
// entries are omitted).
func IDs() []string {
	ids := make([]string, 0, len(catalog))
	for id, m := range catalog {
		if !m.CalibrationOnly {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// Lookup returns the model for id (case-insensitive). Calibration-only
// entries resolve too. The error lists the known ids.
func Lookup(id string) (Model, error) {
	m, ok := catalog[strings.ToLower(strings.TrimSpace(id))]
	if !ok {
		return Model{}, fmt.Errorf("unknown model %q: known models are %s", id, strings.Join(IDs(), ", "))
	}
	return m, nil
}

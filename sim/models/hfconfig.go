package models

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// MaxConfigBytes is the largest config.json FromHFConfig reads; real ones
// are a few kilobytes.
const MaxConfigBytes = 1 << 20

// hfConfig is the part of a Hugging Face config.json the performance model
// needs. Pointers tell "absent" from zero.
type hfConfig struct {
	ModelType     string   `json:"model_type"`
	Architectures []string `json:"architectures"`
	Hidden        *int     `json:"hidden_size"`
	Layers        *int     `json:"num_hidden_layers"`
	Heads         *int     `json:"num_attention_heads"`
	KVHeads       *int     `json:"num_key_value_heads"`
	HeadDim       *int     `json:"head_dim"`
	FFN           *int     `json:"intermediate_size"`
	Vocab         *int     `json:"vocab_size"`
	TieEmbeddings bool     `json:"tie_word_embeddings"`
	TorchDType    string   `json:"torch_dtype"`
	DType         string   `json:"dtype"`
	MoEFFN        *int     `json:"moe_intermediate_size"`
	RoutedDS      *int     `json:"n_routed_experts"`                // DeepSeek, Kimi, GLM
	RoutedQwen    *int     `json:"num_experts"`                     // Qwen MoE
	RoutedMixtral *int     `json:"num_local_experts"`               // Mixtral
	TopK          *int     `json:"num_experts_per_tok"`             //
	Shared        *int     `json:"n_shared_experts"`                // DeepSeek, Kimi, GLM
	SharedFFN     *int     `json:"shared_expert_intermediate_size"` // Qwen2-MoE
	FirstDense    *int     `json:"first_k_dense_replace"`
	SparseStep    *int     `json:"decoder_sparse_step"`
	MLPOnlyLayers []int    `json:"mlp_only_layers"`
	NGroup        *int     `json:"n_group"`
	TopKGroup     *int     `json:"topk_group"`
	MTP           *int     `json:"num_nextn_predict_layers"`
	KVLoRA        *int     `json:"kv_lora_rank"`
	QLoRA         *int     `json:"q_lora_rank"`
	QKNope        *int     `json:"qk_nope_head_dim"`
	QKRope        *int     `json:"qk_rope_head_dim"`
	VHead         *int     `json:"v_head_dim"`
	MaxPositions  *int     `json:"max_position_embeddings"` // the context length (ContextTokens)
	Quant         *struct {
		Method string `json:"quant_method"`
		Fmt    string `json:"fmt"`
		Bits   *int   `json:"bits"`
		Groups map[string]struct {
			Weights struct {
				Bits *int   `json:"num_bits"`
				Type string `json:"type"`
			} `json:"weights"`
		} `json:"config_groups"`
	} `json:"quantization_config"`
	TextConfig json.RawMessage `json:"text_config"`
}

func get(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

// LoadHFConfig reads a Hugging Face config.json from path (see
// FromHFConfig); the model id is the file's directory name, or the file
// name without extension when that is not "config".
func LoadHFConfig(path string) (Model, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return Model{}, "", fmt.Errorf("model config: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxConfigBytes+1))
	if err != nil {
		return Model{}, "", fmt.Errorf("model config %s: %w", path, err)
	}
	if len(data) > MaxConfigBytes {
		return Model{}, "", fmt.Errorf("model config %s: larger than %d bytes; pass the model's config.json, not its weights", path, MaxConfigBytes)
	}
	id := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	if id == "config" {
		id = filepath.Base(filepath.Dir(path))
	}
	m, dtype, err := FromHFConfig(data, id)
	if err != nil {
		return Model{}, "", fmt.Errorf("model config %s: %w", path, err)
	}
	m.Source = "config file " + path
	return m, dtype, nil
}

// FromHFConfig builds a Model from the text of a Hugging Face config.json:
// dense or MoE (routed and shared experts, top-k, leading dense layers,
// group-limited routing), GQA or MLA attention, MTP modules. Multimodal
// configs are read through their text_config. It also returns the weight
// precision the checkpoint ships in: "fp8" for FP8 quantization configs,
// "int4" for 4-bit ones (which the performance model does not price: the
// caller must choose a precision), else "bf16". Parameter counts are
// computed from the shapes (embeddings, attention, FFNs, experts, router).
func FromHFConfig(data []byte, id string) (Model, string, error) {
	var c hfConfig
	if err := json.Unmarshal(data, &c); err != nil {
		return Model{}, "", fmt.Errorf("not a JSON config: %v", err)
	}
	if len(c.TextConfig) > 0 && c.Hidden == nil {
		var t hfConfig
		if err := json.Unmarshal(c.TextConfig, &t); err != nil {
			return Model{}, "", fmt.Errorf("text_config: %v", err)
		}
		if t.Quant == nil {
			t.Quant = c.Quant
		}
		c = t
	}
	for _, f := range []struct {
		name string
		v    *int
	}{{"hidden_size", c.Hidden}, {"num_hidden_layers", c.Layers}, {"num_attention_heads", c.Heads}, {"vocab_size", c.Vocab}} {
		if f.v == nil || *f.v <= 0 {
			return Model{}, "", fmt.Errorf("%s missing or not positive: is this a decoder LLM's config.json?", f.name)
		}
		if *f.v > 1<<22 {
			return Model{}, "", fmt.Errorf("%s %d out of range (at most %d)", f.name, *f.v, 1<<22)
		}
	}
	m := Model{ID: strings.ToLower(id), Hidden: *c.Hidden, Layers: *c.Layers, Heads: *c.Heads, Vocab: *c.Vocab,
		FFN: get(c.FFN), KVHeads: get(c.KVHeads), HeadDim: get(c.HeadDim)}
	if m.KVHeads == 0 {
		m.KVHeads = m.Heads
	}
	if m.HeadDim == 0 {
		m.HeadDim = m.Hidden / m.Heads
	}
	if c.KVLoRA != nil && *c.KVLoRA > 0 {
		m.MLA = true
		m.KVLoRA, m.QLoRA, m.RoPEDim = *c.KVLoRA, get(c.QLoRA), get(c.QKRope)
		m.HeadDim = get(c.QKNope)
		if v := get(c.VHead); v > 0 && v != m.HeadDim {
			return Model{}, "", fmt.Errorf("MLA with v_head_dim %d != qk_nope_head_dim %d is not modelled", v, m.HeadDim)
		}
		if m.HeadDim <= 0 || m.RoPEDim <= 0 {
			return Model{}, "", fmt.Errorf("MLA config (kv_lora_rank set) needs qk_nope_head_dim and qk_rope_head_dim")
		}
		m.KVHeads = 1
	}
	if m.KVHeads <= 0 || m.Heads%m.KVHeads != 0 {
		return Model{}, "", fmt.Errorf("num_key_value_heads %d must divide num_attention_heads %d", m.KVHeads, m.Heads)
	}
	experts := get(c.RoutedDS) + get(c.RoutedQwen) + get(c.RoutedMixtral)
	m.DenseLayers = m.Layers
	if experts > 0 {
		m.RoutedExperts, m.TopK = experts, get(c.TopK)
		m.MoEFFN = get(c.MoEFFN)
		if m.MoEFFN == 0 {
			m.MoEFFN = m.FFN // Mixtral: experts are full-width FFNs
		}
		if m.TopK <= 0 || m.TopK > experts || m.MoEFFN <= 0 {
			return Model{}, "", fmt.Errorf("MoE config needs num_experts_per_tok in 1..%d and moe_intermediate_size (or intermediate_size)", experts)
		}
		m.SharedExperts = get(c.Shared)
		if sf := get(c.SharedFFN); sf > 0 && m.SharedExperts == 0 {
			// Qwen2-MoE: one shared expert of its own width, counted in
			// units of a routed expert.
			m.SharedExperts = int(math.Round(float64(sf) / float64(m.MoEFFN)))
		}
		m.DenseLayers = get(c.FirstDense)
		if step := get(c.SparseStep); step > 1 {
			m.DenseLayers = m.Layers - m.Layers/step
		}
		m.DenseLayers += len(c.MLPOnlyLayers)
		if m.DenseLayers < 0 || m.DenseLayers >= m.Layers {
			return Model{}, "", fmt.Errorf("dense layers %d leave no MoE layer of %d", m.DenseLayers, m.Layers)
		}
		if m.DenseLayers > 0 && m.FFN <= 0 {
			return Model{}, "", fmt.Errorf("%d dense layers need intermediate_size", m.DenseLayers)
		}
		m.ExpertGroups, m.GroupTopK = get(c.NGroup), get(c.TopKGroup)
	} else if m.FFN <= 0 {
		return Model{}, "", fmt.Errorf("intermediate_size missing: a dense model needs its FFN width")
	}
	m.MTPLayers = get(c.MTP)
	if n := get(c.MaxPositions); n > 0 && n <= 1<<30 {
		m.ContextTokens = n
	}
	if m.MLA {
		m.KVBytesPerTokenBF16 = kvMLA(m.Layers, m.KVLoRA, m.RoPEDim)
	} else {
		m.KVBytesPerTokenBF16 = kvGQA(m.Layers, m.KVHeads, m.HeadDim)
	}
	m.TotalParams, m.ActiveParams = paramsOf(m, c.TieEmbeddings)
	return m, quantDType(c), nil
}

// paramsOf counts weights from the shapes: attention, dense FFNs, experts
// (routed + shared; active: top-k + shared), router, embeddings and LM head.
func paramsOf(m Model, tied bool) (total, active float64) {
	attn, ffn, expert := m.LayerParams()
	h := float64(m.Hidden)
	L, Ld, Lm := float64(m.Layers), float64(m.DenseLayers), float64(m.MoELayers())
	emb := 2 * float64(m.Vocab) * h
	if tied {
		emb /= 2
	}
	base := L*attn + Ld*ffn + emb + Lm*h*float64(m.RoutedExperts)
	total = base + Lm*float64(m.RoutedExperts+m.SharedExperts)*expert
	active = base + Lm*float64(m.TopK+m.SharedExperts)*expert
	return total, active
}

// quantDType maps a quantization_config to the precision the weights ship
// in.
func quantDType(c hfConfig) string {
	q := c.Quant
	if q == nil {
		return "bf16"
	}
	method := strings.ToLower(q.Method)
	switch {
	case strings.Contains(method, "fp8"), strings.HasPrefix(strings.ToLower(q.Fmt), "e4m3"):
		return "fp8"
	case get(q.Bits) == 4, strings.Contains(method, "awq"), strings.Contains(method, "gptq"):
		return "int4"
	case get(q.Bits) == 8:
		return "fp8"
	}
	for _, g := range q.Groups {
		switch get(g.Weights.Bits) {
		case 4:
			return "int4"
		case 8:
			return "fp8"
		}
	}
	return "bf16"
}

package models

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHFConfigReproducesCatalog reads each catalog model's config.json
// (testdata/hfconfig, written from the published values; licences in its
// README) and requires the catalog entry back: every shape field exactly,
// parameter counts within the published rounding.
func TestHFConfigReproducesCatalog(t *testing.T) {
	dtypes := map[string]string{"deepseek-v3": "fp8", "kimi-k2": "fp8"}
	for _, id := range IDs() {
		t.Run(id, func(t *testing.T) {
			got, dtype, err := LoadHFConfig(filepath.Join("testdata", "hfconfig", id+".json"))
			require.NoError(t, err)
			want, _ := Lookup(id)
			require.InEpsilon(t, want.TotalParams, got.TotalParams, 0.04, "total params")
			require.InEpsilon(t, want.ActiveParams, got.ActiveParams, 0.08, "active params")
			require.Contains(t, got.Source, id+".json")
			got.TotalParams, got.ActiveParams, got.Source = want.TotalParams, want.ActiveParams, want.Source
			require.Equal(t, want, got)
			require.Equal(t, dtypes[id] == "fp8", dtype == "fp8", "dtype %s", dtype)
			if dtypes[id] == "" {
				require.Equal(t, "bf16", dtype)
			}
		})
	}
}

func TestHFConfigVariants(t *testing.T) {
	// Multimodal wrapper with a 4-bit text model (Kimi-K2.5 style).
	m, dtype, err := FromHFConfig([]byte(`{"model_type":"kimi_k25","text_config":{"hidden_size":7168,"intermediate_size":18432,
		"moe_intermediate_size":2048,"num_hidden_layers":61,"num_attention_heads":64,"kv_lora_rank":512,"q_lora_rank":1536,
		"qk_nope_head_dim":128,"qk_rope_head_dim":64,"v_head_dim":128,"n_routed_experts":384,"n_shared_experts":1,
		"num_experts_per_tok":8,"first_k_dense_replace":1,"vocab_size":163840,
		"quantization_config":{"quant_method":"compressed-tensors","config_groups":{"group_0":{"weights":{"num_bits":4,"type":"int"}}}}}}`), "K2.5")
	require.NoError(t, err)
	require.Equal(t, "int4", dtype)
	require.Equal(t, "k2.5", m.ID)
	require.True(t, m.MLA)
	require.Equal(t, 60, m.MoELayers())
	// Mixtral: full-width experts, no moe_intermediate_size.
	m, _, err = FromHFConfig([]byte(`{"hidden_size":4096,"intermediate_size":14336,"num_hidden_layers":32,"num_attention_heads":32,
		"num_key_value_heads":8,"num_local_experts":8,"num_experts_per_tok":2,"vocab_size":32000}`), "mixtral")
	require.NoError(t, err)
	require.Equal(t, 14336, m.MoEFFN)
	require.Equal(t, 0, m.DenseLayers)
	require.InEpsilon(t, 46.7e9, m.TotalParams, 0.02)
	require.InEpsilon(t, 12.9e9, m.ActiveParams, 0.02)
	// Tied embeddings, no head_dim.
	m, dtype, err = FromHFConfig([]byte(`{"hidden_size":2048,"intermediate_size":8192,"num_hidden_layers":16,"num_attention_heads":32,
		"num_key_value_heads":8,"vocab_size":128256,"tie_word_embeddings":true}`), "small")
	require.NoError(t, err)
	require.Equal(t, "bf16", dtype)
	require.Equal(t, 64, m.HeadDim)
	require.InEpsilon(t, 1.24e9, m.TotalParams, 0.02)

	for _, c := range []struct{ in, want string }{
		{`[]`, "not a JSON config"},
		{`{"hidden_size":4096}`, "num_hidden_layers missing"},
		{`{"hidden_size":4096,"num_hidden_layers":2,"num_attention_heads":32,"vocab_size":10}`, "intermediate_size missing"},
		{`{"hidden_size":4096,"num_hidden_layers":2,"num_attention_heads":32,"num_key_value_heads":5,"intermediate_size":8,"vocab_size":10}`, "must divide"},
		{`{"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":10,"n_routed_experts":8,"num_experts_per_tok":9,"moe_intermediate_size":8}`, "num_experts_per_tok in 1..8"},
		{`{"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":10,"n_routed_experts":8,"num_experts_per_tok":2,"moe_intermediate_size":8,"first_k_dense_replace":2,"intermediate_size":8}`, "leave no MoE layer"},
		{`{"hidden_size":64,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":10,"intermediate_size":8,"kv_lora_rank":16}`, "needs qk_nope_head_dim"},
		{`{"hidden_size":99999999,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":10,"intermediate_size":8}`, "out of range"},
	} {
		_, _, err := FromHFConfig([]byte(c.in), "x")
		require.ErrorContains(t, err, c.want, c.in)
	}
	_, _, err = LoadHFConfig(filepath.Join(t.TempDir(), "missing.json"))
	require.ErrorContains(t, err, "model config")
	big := filepath.Join(t.TempDir(), "config.json")
	require.NoError(t, os.WriteFile(big, make([]byte, MaxConfigBytes+10), 0o644))
	_, _, err = LoadHFConfig(big)
	require.ErrorContains(t, err, "larger than")
}

func FuzzFromHFConfig(f *testing.F) {
	for _, id := range []string{"deepseek-v3", "qwen3-235b-a22b", "llama-3.1-8b"} {
		b, err := os.ReadFile(filepath.Join("testdata", "hfconfig", id+".json"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, _, err := FromHFConfig(data, "fuzz")
		if err != nil {
			return
		}
		if m.Layers <= 0 || m.Hidden <= 0 || m.Heads <= 0 || m.KVHeads <= 0 || m.TotalParams <= 0 || m.KVBytesPerTokenBF16 <= 0 {
			t.Fatalf("accepted a config without a usable architecture: %+v", m)
		}
		if m.IsMoE() && (m.TopK <= 0 || m.TopK > m.RoutedExperts || m.MoELayers() <= 0) {
			t.Fatalf("accepted an impossible MoE: %+v", m)
		}
	})
}

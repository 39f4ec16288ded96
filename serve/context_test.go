package serve

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios/text"
	"github.com/fleetbench/fleetbench/sim"
)

// TestOverContextIs400: serve emulates an OpenAI-compatible server, and a
// real one (vLLM) refuses a request whose prompt plus max_tokens exceed
// the model's maximum length with a 400; serve simulated it as served, so
// a run against it recorded completions no server makes.
func TestOverContextIs400(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	words := func(n int) string { return strings.Repeat("w ", n) }
	for _, tc := range []struct {
		name string
		body map[string]any
		want string
	}{
		{"prompt + max_tokens", map[string]any{"messages": []map[string]string{{"role": "user", "content": words(130000)}}, "max_tokens": 2000},
			"this model's maximum context length is 131072 tokens; this request asks for 132000 (130000 in the messages, 2000 in the completion)"},
		{"prompt alone", map[string]any{"messages": []map[string]string{{"role": "user", "content": words(140000)}}},
			"maximum context length is 131072 tokens; this request asks for"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := post(t, url+"/v1/chat/completions", tc.body)
			require.Equal(t, 400, code, string(body))
			require.Contains(t, string(body), tc.want)
		})
	}
}

// GET /v1/models says the maximum length, as vLLM does.
func TestModelsListMaxModelLen(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	resp, err := http.Get(url + "/v1/models/llama-3.1-8b")
	require.NoError(t, err)
	defer resp.Body.Close()
	var m map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&m))
	require.EqualValues(t, 131072, m["max_model_len"])
}

// Within the context but over one instance's KV cache (qwen3-32b on one
// H100 holds ~24k tokens of KV, its context is 40,960): still a 400, the
// KV cache's.
func TestTooLongForKVIs400(t *testing.T) {
	_, url := startServer(t, nil, sim.Config{Fleet: "1C+1V", Model: "qwen3-32b", GPU: "h100", TP: 1})
	code, body := post(t, url+"/v1/chat/completions", map[string]any{
		"messages": []map[string]string{{"role": "user", "content": text.Block(1, 30000)}}, "max_tokens": 100})
	require.Equal(t, 400, code, string(body))
	require.Contains(t, string(body), "KV cache")
}

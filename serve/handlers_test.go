package serve

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/runners/video"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/scenarios/text"
)

// Bad requests get OpenAI-shaped errors that say what to fix.
func TestChatErrors(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	msg := []map[string]string{{"role": "user", "content": "hi there"}}
	cases := []struct {
		name   string
		body   any
		hdr    []string
		status int
		want   string
	}{
		{"not json", "{", nil, 400, "not valid JSON"},
		{"no messages", map[string]any{"messages": []any{}}, nil, 400, "messages is empty"},
		{"empty content", map[string]any{"messages": []map[string]string{{"role": "user", "content": "  "}}}, nil, 400, "no tokens"},
		{"wrong model", map[string]any{"model": "gpt-9", "messages": msg}, nil, 404, "gpt-9"},
		{"n=2", map[string]any{"messages": msg, "n": 2}, nil, 400, "one choice"},
		{"max_tokens 0", map[string]any{"messages": msg, "max_tokens": 0}, nil, 400, "max_tokens=0"},
		{"min over max", map[string]any{"messages": msg, "max_tokens": 5, "min_tokens": 9}, nil, 400, "min_tokens=9"},
		{"stream_options alone", map[string]any{"messages": msg, "stream_options": map[string]bool{"include_usage": true}}, nil, 400, "stream=true"},
		// An unknown class header is a 400 on a scenario's serve
		// (TestClassMapping); this one has none (TestClassHeaderWithoutScenario).
		{"content type", map[string]any{"messages": []map[string]any{{"role": "user", "content": 5}}}, nil, 400, "string or an array"},
		{"over the context", map[string]any{"messages": []map[string]string{{"role": "user", "content": text.Block(1, 600_000)}}}, nil, 400, "maximum context length is 131072"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var body any = c.body
			if s, ok := c.body.(string); ok {
				body = json.RawMessage(s)
			}
			if raw, ok := body.(json.RawMessage); ok && !json.Valid(raw) {
				status, out := postRaw(t, url+"/v1/chat/completions", string(raw))
				require.Equal(t, c.status, status, string(out))
				require.Contains(t, string(out), c.want)
				return
			}
			status, out := post(t, url+"/v1/chat/completions", body, c.hdr...)
			require.Equal(t, c.status, status, string(out))
			require.Contains(t, string(out), c.want)
			var e struct {
				Error struct{ Message, Type string } `json:"error"`
			}
			require.NoError(t, json.Unmarshal(out, &e))
			require.NotEmpty(t, e.Error.Type)
		})
	}
	status, out := post(t, url+"/v2/nothing", map[string]any{})
	require.Equal(t, http.StatusNotFound, status)
	require.Contains(t, string(out), "/v1/chat/completions")
}

func postRaw(t testing.TB, url, body string) (int, []byte) {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// Output length: ignore_eos runs to max_tokens; otherwise a natural
// length (deterministic per prompt) capped by max_tokens and raised to
// min_tokens, with the matching finish reason.
func TestOutputLengthRules(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	prompt := "what is the weather like"
	natural := naturalLength(testTokenizer().build([]string{prompt}).seed)
	cases := []struct {
		name       string
		extra      map[string]any
		tokens     int
		finish     string
		wantCached bool
	}{
		{"ignore_eos", map[string]any{"max_tokens": 7, "ignore_eos": true}, 7, "length", false},
		{"capped", map[string]any{"max_tokens": min(natural-1, 50)}, min(natural-1, 50), "length", false},
		{"natural", map[string]any{"max_tokens": natural + 10}, natural, "stop", false},
		{"min_tokens", map[string]any{"max_tokens": natural + 20, "min_tokens": natural + 5}, natural + 5, "stop", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"messages": []map[string]string{{"role": "user", "content": prompt}}}
			for k, v := range c.extra {
				body[k] = v
			}
			status, out := post(t, url+"/v1/chat/completions", body)
			require.Equal(t, 200, status, string(out))
			var r struct {
				Object  string
				Choices []struct {
					FinishReason string `json:"finish_reason"`
					Message      struct{ Content string }
				}
				Usage struct {
					PromptTokens     int `json:"prompt_tokens"`
					CompletionTokens int `json:"completion_tokens"`
				}
			}
			require.NoError(t, json.Unmarshal(out, &r))
			require.Equal(t, "chat.completion", r.Object)
			require.Equal(t, c.tokens, r.Usage.CompletionTokens)
			require.Equal(t, c.tokens, text.CountTokens(r.Choices[0].Message.Content))
			require.Equal(t, c.finish, r.Choices[0].FinishReason)
			require.Equal(t, 5, r.Usage.PromptTokens)
		})
	}
}

func testTokenizer() tokenizer { return tokenizer{blockTokens: 16} }

// The streaming wire format: role chunk, one content chunk per token
// (or per batch of due tokens), finish chunk, usage chunk, [DONE];
// continuous usage counts tokens as they go; completions use text.
func TestStreamShapes(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	status, out := post(t, url+"/v1/chat/completions", map[string]any{
		"messages": []map[string]string{{"role": "user", "content": "a b c"}}, "max_tokens": 4, "ignore_eos": true,
		"stream": true, "stream_options": map[string]bool{"include_usage": true, "continuous_usage_stats": true}})
	require.Equal(t, 200, status)
	ev := sseEvents(t, out)
	require.Equal(t, "[DONE]", ev[len(ev)-1])
	require.Contains(t, ev[0], `"delta":{"role":"assistant","content":""}`)
	words := 0
	for _, e := range ev[1 : len(ev)-3] {
		var c struct {
			Object  string
			Choices []struct{ Delta struct{ Content string } }
			Usage   struct {
				CompletionTokens int `json:"completion_tokens"`
			}
		}
		require.NoError(t, json.Unmarshal([]byte(e), &c), e)
		require.Equal(t, "chat.completion.chunk", c.Object)
		words += text.CountTokens(c.Choices[0].Delta.Content)
		require.Equal(t, words, c.Usage.CompletionTokens, "continuous usage")
	}
	require.Equal(t, 4, words)
	require.Contains(t, ev[len(ev)-3], `"finish_reason":"length"`)
	require.Contains(t, ev[len(ev)-2], `"choices":[]`)
	require.Contains(t, ev[len(ev)-2], `"cached_tokens":0`)

	status, out = post(t, url+"/v1/completions", map[string]any{"prompt": []int{1, 2, 3}, "max_tokens": 3, "ignore_eos": true, "stream": true})
	require.Equal(t, 200, status)
	ev = sseEvents(t, out)
	require.Equal(t, "[DONE]", ev[len(ev)-1])
	require.Contains(t, ev[0], `"object":"text_completion"`)
	require.Contains(t, ev[0], `"text":" `)
	require.NotContains(t, strings.Join(ev, ""), `"usage"`, "no usage unless asked")
}

// /metrics speaks vLLM's names and counts what was served.
func TestMetrics(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	sys := text.Block(9, 320)
	for range 2 {
		status, _ := post(t, url+"/v1/chat/completions", map[string]any{
			"messages": []map[string]string{{"role": "system", "content": sys}, {"role": "user", "content": "go"}}, "max_tokens": 3, "ignore_eos": true})
		require.Equal(t, 200, status)
	}
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	body := string(raw)
	for _, name := range []string{"vllm:num_requests_running", "vllm:num_requests_waiting", "vllm:kv_cache_usage_perc", "vllm:gpu_cache_usage_perc"} {
		require.Contains(t, body, "# TYPE "+name+" gauge")
	}
	require.True(t, containsGauge(body, "vllm:prefix_cache_queries_total", 642))
	require.True(t, containsGauge(body, "vllm:prefix_cache_hits_total", 320), body)
	require.True(t, containsGauge(body, "vllm:generation_tokens_total", 6))
	require.Contains(t, body, `vllm:request_success_total{engine="0",finished_reason="length",model_name="llama-3.1-8b"} 2`)
}

// The video job APIs work with fleetbench's own video client, both the
// OpenAI /v1/videos shape and the task (Ark) shape.
func TestVideoAPIsWithRunnerClient(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	spec := scenarios.VideoSpec{Model: "wan2.1-14b", Width: 320, Height: 192, Seconds: 1, FPS: 8, Steps: 2}
	for _, api := range []video.API{video.OpenAI, video.Task} {
		base := url + "/v1"
		if api == video.Task {
			base = url + "/api/v3"
		}
		c, err := video.New(video.Config{API: api, BaseURL: base, PollInterval: 20 * time.Millisecond, Download: api == video.OpenAI})
		require.NoError(t, err)
		r := &scenarios.Request{ID: 1, Class: DefaultVideoClass, Kind: scenarios.KindVideo, Video: &spec}
		rec := c.Do(context.Background(), r, time.Now())
		require.Empty(t, rec.ErrorClass, "%s: %s", api, rec.Error)
		require.Positive(t, rec.LastToken)
	}
	status, out := post(t, url+"/v1/videos", map[string]any{"model": "no-such-video-model"})
	require.Equal(t, 400, status)
	require.Contains(t, string(out), "known video models")
}

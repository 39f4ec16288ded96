package serve

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/scenarios/text"
)

// The official OpenAI Go client lists and retrieves the served model,
// streams a legacy completion with usage, and reads serve's errors with
// OpenAI's types and codes.
func TestOpenAIClientModelsAndErrors(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	client := openai.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	page, err := client.Models.List(ctx)
	require.NoError(t, err)
	require.Len(t, page.Data, 1)
	m, err := client.Models.Get(ctx, "llama-3.1-8b")
	require.NoError(t, err)
	require.Equal(t, "llama-3.1-8b", m.ID)
	require.Equal(t, "fleetbench", m.OwnedBy)

	var apiErr *openai.Error
	_, err = client.Models.Get(ctx, "gpt-nothing")
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	require.Equal(t, "invalid_request_error", apiErr.Type)
	require.Equal(t, "model_not_found", apiErr.Code)

	_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "gpt-nothing", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	require.Equal(t, "invalid_request_error", apiErr.Type)
	require.Equal(t, "model_not_found", apiErr.Code)
	require.Equal(t, "model", apiErr.Param)

	_, err = client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model: "llama-3.1-8b", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}, MaxTokens: openai.Int(0)})
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusBadRequest, apiErr.StatusCode)
	require.Equal(t, "invalid_request_error", apiErr.Type)
	require.Equal(t, "max_tokens", apiErr.Param)

	// An unknown route: OpenAI's type, not a type of serve's own.
	err = client.Get(ctx, "nowhere", nil, nil)
	require.ErrorAs(t, err, &apiErr)
	require.Equal(t, http.StatusNotFound, apiErr.StatusCode)
	require.Equal(t, "invalid_request_error", apiErr.Type)

	// Legacy completions, streaming, with the usage chunk.
	cs := client.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model:         "llama-3.1-8b",
		Prompt:        openai.CompletionNewParamsPromptUnion{OfString: openai.String("once upon a time")},
		MaxTokens:     openai.Int(6),
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}, option.WithJSONSet("ignore_eos", true))
	var b strings.Builder
	var usage openai.CompletionUsage
	for cs.Next() {
		c := cs.Current()
		for _, ch := range c.Choices {
			b.WriteString(ch.Text)
		}
		if c.Usage.TotalTokens > 0 {
			usage = c.Usage
		}
	}
	require.NoError(t, cs.Err())
	require.Equal(t, 6, text.CountTokens(b.String()))
	require.EqualValues(t, 4, usage.PromptTokens)
	require.EqualValues(t, 6, usage.CompletionTokens)
}

// scrape parses serve's /metrics with Prometheus' own text parser.
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var p expfmt.TextParser
	fams, err := p.TextToMetricFamilies(resp.Body)
	require.NoError(t, err)
	return fams
}

// counterValue is the sum of a counter family's samples.
func counterValue(t *testing.T, fams map[string]*dto.MetricFamily, name string) float64 {
	t.Helper()
	f := fams[name]
	require.NotNil(t, f, "no %s", name)
	v := 0.0
	for _, m := range f.Metric {
		v += m.GetCounter().GetValue()
	}
	return v
}

// /metrics, read by Prometheus' parser, has every vLLM histogram with
// vLLM's buckets and counts, and fleetbench's own series under
// fleetbench_ names.
func TestMetricsHistograms(t *testing.T) {
	s, url := startServer(t, nil, testConfig())
	// vLLM's token-count buckets run to the model's max_model_len.
	require.Positive(t, s.contextTokens)
	require.Less(t, s.contextTokens, maxTokensLimit)
	for range 3 {
		status, _ := post(t, url+"/v1/chat/completions", map[string]any{
			"messages": []map[string]string{{"role": "user", "content": "tell me a story"}}, "max_tokens": 5, "ignore_eos": true})
		require.Equal(t, 200, status)
	}
	fams := scrape(t, url)
	for name, buckets := range map[string][]float64{
		"vllm:time_to_first_token_seconds": ttftBuckets,
		"vllm:inter_token_latency_seconds": itlBuckets,
		// v0.10's name for the same per-token gaps (v0.11 keeps it,
		// deprecated, beside inter_token_latency_seconds): vLLM's own
		// Grafana dashboard reads this one.
		"vllm:time_per_output_token_seconds": itlBuckets,
		"vllm:e2e_request_latency_seconds":   requestLatencyBuckets,
		"vllm:request_queue_time_seconds":    requestLatencyBuckets,
		// vLLM's Grafana example plots these two ("Requests Prefill
		// and Decode Time").
		"vllm:request_prefill_time_seconds":   requestLatencyBuckets,
		"vllm:request_decode_time_seconds":    requestLatencyBuckets,
		"vllm:request_inference_time_seconds": requestLatencyBuckets,
		"vllm:request_prompt_tokens":          tokenBuckets(s.contextTokens),
		"vllm:request_generation_tokens":      tokenBuckets(s.contextTokens),
	} {
		f := fams[name]
		require.NotNil(t, f, name)
		require.Equal(t, dto.MetricType_HISTOGRAM, f.GetType(), name)
		require.Len(t, f.Metric, 1, name)
		h := f.Metric[0].GetHistogram()
		var bounds []float64
		for _, b := range h.Bucket {
			if !math.IsInf(b.GetUpperBound(), 1) { // the parser adds +Inf
				bounds = append(bounds, b.GetUpperBound())
			}
		}
		require.Equal(t, buckets, bounds, name)
		want := uint64(3)
		if name == "vllm:inter_token_latency_seconds" || name == "vllm:time_per_output_token_seconds" {
			want = 3 * 4 // four gaps between five tokens
		}
		require.Equal(t, want, h.GetSampleCount(), name)
		labels := map[string]string{}
		for _, l := range f.Metric[0].Label {
			labels[l.GetName()] = l.GetValue()
		}
		require.Equal(t, map[string]string{"model_name": "llama-3.1-8b", "engine": "0"}, labels, name)
	}
	// As vLLM splits a request: e2e = queue + inference, inference =
	// prefill + decode.
	sum := func(name string) float64 { return fams[name].Metric[0].GetHistogram().GetSampleSum() }
	require.InDelta(t, sum("vllm:e2e_request_latency_seconds"), sum("vllm:request_queue_time_seconds")+sum("vllm:request_inference_time_seconds"), 1e-9)
	require.InDelta(t, sum("vllm:request_inference_time_seconds"), sum("vllm:request_prefill_time_seconds")+sum("vllm:request_decode_time_seconds"), 1e-9)
	require.Positive(t, sum("vllm:request_decode_time_seconds"))
	require.Equal(t, []float64{1, 2, 5, 10, 20, 50, 100}, tokenBuckets(100))
	require.EqualValues(t, 15, counterValue(t, fams, "vllm:generation_tokens_total"))
	require.EqualValues(t, 3*4, counterValue(t, fams, "vllm:prompt_tokens_total"))
	require.EqualValues(t, 3, counterValue(t, fams, "vllm:request_success_total"))
	// v0.10 exports the prefix-cache counters under both names (the gpu_
	// ones deprecated since v0.9), as it does the KV usage gauge.
	for _, pair := range [][2]string{
		{"vllm:prefix_cache_queries_total", "vllm:gpu_prefix_cache_queries_total"},
		{"vllm:prefix_cache_hits_total", "vllm:gpu_prefix_cache_hits_total"},
	} {
		require.Equal(t, counterValue(t, fams, pair[0]), counterValue(t, fams, pair[1]), pair[1])
	}
	require.EqualValues(t, 3*4, counterValue(t, fams, "vllm:prefix_cache_queries_total"))
	for name := range fams {
		if !strings.HasPrefix(name, "vllm:") {
			require.True(t, strings.HasPrefix(name, "fleetbench_"), "%s: serve's own metrics are fleetbench_*", name)
		}
	}
	require.Contains(t, fams, "fleetbench_video_success_total")
}

// The token counters move per token: scrapes taken while one long stream
// is still running (triggered by the tokens the client has received, not
// by sleeps) see the generation counter grow between them.
func TestTokenCountersGrowMidStream(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	// Long enough (seconds) that a slow client on a loaded host still
	// scrapes before the end; the test leaves after its second scrape.
	const total = 2000
	req, err := http.NewRequest(http.MethodPost, url+"/v1/chat/completions", strings.NewReader(
		`{"messages":[{"role":"user","content":"a long one"}],"max_tokens":2000,"ignore_eos":true,"stream":true}`))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)

	sc := bufio.NewScanner(resp.Body)
	received, scraped := 0, []float64{}
	for sc.Scan() && len(scraped) < 2 {
		d, ok := strings.CutPrefix(sc.Text(), "data: ")
		var chunk openai.ChatCompletionChunk
		if !ok || d == "[DONE]" || json.Unmarshal([]byte(d), &chunk) != nil || len(chunk.Choices) == 0 {
			continue
		}
		received += text.CountTokens(chunk.Choices[0].Delta.Content)
		if (len(scraped) == 0 && received >= 10) || (len(scraped) == 1 && received >= 60) {
			fams := scrape(t, url)
			gen := counterValue(t, fams, "vllm:generation_tokens_total")
			require.GreaterOrEqual(t, gen, float64(received), "the counter includes every token the client has seen")
			require.Less(t, gen, float64(total), "scraped mid-stream")
			require.Zero(t, counterValue(t, fams, "vllm:request_success_total"), "the request has not finished")
			require.EqualValues(t, 3, counterValue(t, fams, "vllm:prompt_tokens_total"), "prompt counted at the first token")
			scraped = append(scraped, gen)
		}
	}
	require.Len(t, scraped, 2)
	require.Greater(t, scraped[1], scraped[0])
}

// Requests are credited to the class the runner names in its header, or
// the one the model field names; others to the first class.
func TestClassMapping(t *testing.T) {
	sc := &scenarios.Scenario{Name: "two", Seed: 1, Classes: []scenarios.Class{
		{Name: "short", Kind: scenarios.KindChat}, {Name: "long", Kind: scenarios.KindChat}}}
	s, url := startServer(t, sc, testConfig())
	msg := []map[string]string{{"role": "user", "content": "hi there"}}
	for _, c := range []struct {
		model  string
		header []string
	}{
		{"llama-3.1-8b", []string{scenarios.ClassHeader, "long"}},
		{"long", nil},
		{"llama-3.1-8b", nil},
		{"", nil},
	} {
		status, out := post(t, url+"/v1/chat/completions", map[string]any{"model": c.model, "messages": msg, "max_tokens": 2}, c.header...)
		require.Equal(t, 200, status, string(out))
	}
	status, out := post(t, url+"/v1/chat/completions", map[string]any{"messages": msg, "max_tokens": 2}, scenarios.ClassHeader, "nope")
	require.Equal(t, 400, status)
	require.Contains(t, string(out), "invalid_request_error")
	res, err := s.Result()
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Classes["long"].Requests)
	require.EqualValues(t, 2, res.Classes["short"].Requests)
}

// serve started without a scenario is the README's stand-in endpoint for
// `run SCENARIO --target`: run names each request's class (chat, coding,
// ...) in the class header, and serve credits every one to its own class
// "serve" (every request of `run chat` against `serve` was a 400: the
// header named no class of serve's default scenario).
func TestClassHeaderWithoutScenario(t *testing.T) {
	s, url := startServer(t, nil, testConfig())
	msg := []map[string]string{{"role": "user", "content": "hi there"}}
	for _, class := range []string{"chat", "coding"} {
		status, out := post(t, url+"/v1/chat/completions", map[string]any{"messages": msg, "max_tokens": 2}, scenarios.ClassHeader, class)
		require.Equal(t, 200, status, string(out))
	}
	res, err := s.Result()
	require.NoError(t, err)
	require.EqualValues(t, 2, res.Classes[DefaultClass].Requests)
}

// A scraper that asks for OpenMetrics (Prometheus asks for it first)
// gets it, as from vLLM's Python client; one that asks for nothing gets
// the text format.
func TestMetricsOpenMetrics(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	for _, c := range []struct{ accept, ctype, tail string }{
		{"application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5", "application/openmetrics-text", "# EOF\n"},
		{"", "text/plain", "\n"},
	} {
		req, err := http.NewRequest(http.MethodGet, url+"/metrics", nil)
		require.NoError(t, err)
		if c.accept != "" {
			req.Header.Set("Accept", c.accept)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.NoError(t, err)
		require.Equal(t, http.StatusOK, resp.StatusCode)
		require.True(t, strings.HasPrefix(resp.Header.Get("Content-Type"), c.ctype), resp.Header.Get("Content-Type"))
		require.True(t, strings.HasSuffix(string(body), c.tail))
		require.Contains(t, string(body), "vllm:generation_tokens_total{")
	}
}

// A stopped server answers /metrics with OpenAI's server_error shape, not
// a panic or an empty 200.
func TestMetricsAfterClose(t *testing.T) {
	s, url := startServer(t, nil, testConfig())
	s.Close()
	resp, err := http.Get(url + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	require.False(t, errors.Is(err, context.Canceled))
}

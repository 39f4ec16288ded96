package serve

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios/text"
)

// The official OpenAI Go client streams a chat completion from serve and
// reads usage with cached tokens: the second request shares the first's
// long system prompt, so the simulated prefix cache serves it.
func TestOpenAIClientStreamsWithCachedUsage(t *testing.T) {
	_, url := startServer(t, nil, testConfig())
	client := openai.NewClient(option.WithBaseURL(url+"/v1/"), option.WithAPIKey("unused"), option.WithMaxRetries(0))
	system := text.Block(42, 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	var cached []int64
	for i, user := range []string{"tell me about the sea", "tell me about the sky now"} {
		stream := client.Chat.Completions.NewStreaming(ctx, openai.ChatCompletionNewParams{
			Model:         "llama-3.1-8b",
			Messages:      []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system), openai.UserMessage(user)},
			MaxTokens:     openai.Int(12),
			StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
		}, option.WithJSONSet("ignore_eos", true))
		acc := openai.ChatCompletionAccumulator{}
		chunks := 0
		for stream.Next() {
			acc.AddChunk(stream.Current())
			chunks++
		}
		require.NoError(t, stream.Err(), "request %d", i)
		require.NoError(t, stream.Close())
		require.Len(t, acc.Choices, 1)
		content := acc.Choices[0].Message.Content
		require.Equal(t, 12, text.CountTokens(content), "one word per token: %q", content)
		require.Equal(t, "length", acc.Choices[0].FinishReason)
		require.EqualValues(t, 1000+text.CountTokens(user), acc.Usage.PromptTokens)
		require.EqualValues(t, 12, acc.Usage.CompletionTokens)
		require.Greater(t, chunks, 2, "tokens arrive as separate chunks")
		cached = append(cached, acc.Usage.PromptTokensDetails.CachedTokens)
	}
	require.Zero(t, cached[0], "cold cache")
	// 1000 system words = 62 full 16-token blocks; the user text differs.
	require.EqualValues(t, 992, cached[1])

	// Non-streaming through the same client.
	resp, err := client.Chat.Completions.New(ctx, openai.ChatCompletionNewParams{
		Model:     "llama-3.1-8b",
		Messages:  []openai.ChatCompletionMessageParamUnion{openai.SystemMessage(system), openai.UserMessage("again")},
		MaxTokens: openai.Int(5),
	}, option.WithJSONSet("ignore_eos", true))
	require.NoError(t, err)
	require.Equal(t, 5, len(strings.Fields(resp.Choices[0].Message.Content)))
	require.EqualValues(t, 992, resp.Usage.PromptTokensDetails.CachedTokens)

	// Legacy completions, streaming.
	cs := client.Completions.NewStreaming(ctx, openai.CompletionNewParams{
		Model:     "llama-3.1-8b",
		Prompt:    openai.CompletionNewParamsPromptUnion{OfString: openai.String("once upon a time")},
		MaxTokens: openai.Int(7),
	}, option.WithJSONSet("ignore_eos", true))
	var b strings.Builder
	for cs.Next() {
		for _, c := range cs.Current().Choices {
			b.WriteString(c.Text)
		}
	}
	require.NoError(t, cs.Err())
	require.Equal(t, 7, text.CountTokens(b.String()))

	models, err := client.Models.List(ctx)
	require.NoError(t, err)
	require.Equal(t, "llama-3.1-8b", models.Data[0].ID)
}

package serve

import (
	"math"
	"math/rand/v2"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/scenarios/text"
)

// Natural output lengths (when the client does not set ignore_eos) follow
// the Azure LLM inference trace 2023, conversation split (docs/catalog.md):
// lognormal with mean 211 and median 129 tokens, the same shape as the
// built-in chat scenario, so an unconstrained client sees realistic replies.
const (
	naturalMedian = 129.0
	naturalMean   = 211.0
	// defaultChatMaxTokens caps chat output when the client sets neither
	// max_tokens nor max_completion_tokens (vLLM would allow the whole
	// remaining context; a bound keeps ignore_eos clients finite).
	defaultChatMaxTokens = 4096
	// defaultCompletionMaxTokens is the legacy completions default (OpenAI
	// and vLLM both use 16).
	defaultCompletionMaxTokens = 16
	// maxTokensLimit bounds max_tokens and prompt length so one request
	// cannot ask the engine for an absurd amount of work.
	maxTokensLimit = 1 << 20
)

// prompt is a request's text reduced to what the engine needs: its token
// count and its content blocks (one per KV block of words), plus a seed
// derived from the text for deterministic output.
type prompt struct {
	tokens int
	blocks []scenarios.Block
	seed   uint64
}

// tokenizer turns request text into prompts. The convention (shared with
// the endpoint runner through scenarios/text, whose Words splits the text
// here): one token per word, words separated by whitespace. Message contents are concatenated in order;
// roles, names and chat-template markers count zero tokens.
type tokenizer struct {
	blockTokens int
}

// build splits the words of parts into blockTokens-word chunks. A chunk's
// block id hashes the chunk's words and nothing else; the engine's KV-block
// hashing chains the blocks, so two prompts share cached blocks exactly
// when their text shares a prefix of whole chunks (vLLM's automatic prefix
// caching at word granularity). A trailing partial chunk is a block too
// (it is never cached, as in vLLM, but it counts as prompt tokens).
func (tk tokenizer) build(parts []string) prompt {
	p := prompt{seed: fnvOffset}
	bt := max(tk.blockTokens, 1)
	h := uint64(fnvOffset)
	n := 0
	for _, s := range parts {
		for w := range text.Words(s) {
			for i := 0; i < len(w); i++ {
				h = (h ^ uint64(w[i])) * fnvPrime
			}
			h = (h ^ ' ') * fnvPrime // word separator: "ab c" != "a bc"
			n++
			if n == bt {
				p.blocks = append(p.blocks, scenarios.Block{ID: h, Tokens: int32(n)})
				p.seed = scenarios.Mix64(p.seed ^ h)
				p.tokens += n
				h, n = fnvOffset, 0
			}
		}
	}
	if n > 0 {
		p.blocks = append(p.blocks, scenarios.Block{ID: h, Tokens: int32(n)})
		p.seed = scenarios.Mix64(p.seed ^ h)
		p.tokens += n
	}
	return p
}

const (
	fnvOffset = 0xcbf29ce484222325
	fnvPrime  = 0x100000001b3
)

// outputPlan is how many tokens a request generates and why it stops.
type outputPlan struct {
	tokens int
	finish string // "stop" (natural end) or "length" (hit max_tokens)
}

// planOutput picks the output length. With ignore_eos the request runs to
// maxTokens. Otherwise the reply has a natural length drawn from the
// lognormal above with a PCG stream seeded by the prompt text (the same
// prompt always gets the same reply, as with greedy decoding), raised to
// minTokens and capped by maxTokens.
func planOutput(seed uint64, maxTokens, minTokens int, ignoreEOS bool) outputPlan {
	if ignoreEOS {
		return outputPlan{tokens: maxTokens, finish: "length"}
	}
	n := naturalLength(seed)
	if n >= maxTokens {
		return outputPlan{tokens: maxTokens, finish: "length"}
	}
	return outputPlan{tokens: max(n, minTokens, 1), finish: "stop"}
}

// naturalLength draws from lognormal(mu, sigma) with median e^mu = 129 and
// mean e^(mu+sigma²/2) = 211.
func naturalLength(seed uint64) int {
	mu := math.Log(naturalMedian)
	sigma := math.Sqrt(2 * math.Log(naturalMean/naturalMedian))
	r := rand.New(rand.NewPCG(seed, 0x0e05))
	v := math.Exp(mu + sigma*r.NormFloat64())
	if v > maxTokensLimit {
		return maxTokensLimit
	}
	return max(int(v+0.5), 1)
}

// appendFiller appends output words [from, to) of the reply with the given
// seed: deterministic words of the shared vocabulary (scenarios/text), each
// with a leading space, one word per token. Word i depends only on (seed,
// i), so a stream can produce any range without remembering the reply.
func appendFiller(dst []byte, seed uint64, from, to int) []byte {
	for i := from; i < to; i++ {
		dst = text.AppendBlock(dst, scenarios.Mix64(seed^uint64(i)*0x9e3779b97f4a7c15), 1)
	}
	return dst
}

// Package text turns content blocks into deterministic prompt text and
// back into words. It is the one convention shared by the endpoint runner
// (which renders scenario blocks into request text) and the emulated
// endpoint, serve (which splits the text it receives with Words, counting
// one token per word and hashing the words into KV blocks): one token =
// one word of a fixed vocabulary, separated by single spaces.
// Equal block ids render to byte-identical text, different ids to
// different text (with overwhelming probability), so a real server's
// prefix cache sees exactly the scenario's sharing.
//
// The vocabulary holds short, common English words, each a single token
// for Llama-, Qwen- and DeepSeek-family tokenizers when preceded by a
// space, so real servers count close to one token per word; the runner
// still records the server's own counts from `usage`.
package text

import (
	"iter"
	"strings"

	"github.com/fleetbench/fleetbench/scenarios"
)

// vocab has 256 entries so a byte of randomness picks a word.
var vocab = strings.Fields(`
the of and to in is was for on as with by at from his that it an be are
or had not but were which this all one her their been has have who they
she there would more if no out so said what up its about into than them
can only other new some time could these two may then do first any my now
such like our over man me even most made after also did many before must
through back years where much your way well down should because each just
those people how too little state good very make world still own see men
work long get here between both life being under never day same another
know while last might us great old year off come since against go came
right used take three city high small part house cannot home light end
water look long left place hand war word line book year real set game
play run red blue green gold sun sea sky tree road king view mind fact
plan test code data file list case page card form note text open close
keep turn show move live stop call need help bring hold stand send read
pay lose meet lead grow draw walk win teach cut sit fall speak rise buy
sell build fill feel seem ask tell give find leave put mean let begin try
land cold warm hot dry wet soft hard fast slow deep wide far near full
empty early late young clear dark free true safe sure open best less`)

func init() {
	if len(vocab) < 256 {
		panic("text: vocabulary too small")
	}
	vocab = vocab[:256]
}

// AppendBlock appends the text of block id: exactly tokens words, each
// preceded by a space (so concatenated blocks stay word-separated).
func AppendBlock(dst []byte, id uint64, tokens int) []byte {
	state := scenarios.Mix64(id + 0x9e3779b97f4a7c15)
	var bits uint64
	for i := 0; i < tokens; i++ {
		if i%8 == 0 {
			state = scenarios.Mix64(state + 0x9e3779b97f4a7c15)
			bits = state
		}
		dst = append(dst, ' ')
		dst = append(dst, vocab[bits&0xff]...)
		bits >>= 8
	}
	return dst
}

// Block returns the text of block id (see AppendBlock).
func Block(id uint64, tokens int) string { return string(AppendBlock(nil, id, tokens)) }

// IsSpace reports whether c separates words: space, tab, newline or
// carriage return.
func IsSpace(c byte) bool { return c == ' ' || c == '\n' || c == '\t' || c == '\r' }

// Words yields the words of s (runs of bytes that are not IsSpace): the
// emulated tokenizer's tokens, one per word. serve splits prompts with it.
func Words(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		for i := 0; i < len(s); {
			for i < len(s) && IsSpace(s[i]) {
				i++
			}
			j := i
			for j < len(s) && !IsSpace(s[j]) {
				j++
			}
			if j > i && !yield(s[i:j]) {
				return
			}
			i = j
		}
	}
}

// CountTokens is the emulated tokenizer's count: the number of Words in s.
func CountTokens(s string) int {
	n := 0
	for range Words(s) {
		n++
	}
	return n
}

// Vocabulary returns a copy of the 256 words block text is made of, so a
// real tokenizer can check that each (after a space) is one token.
func Vocabulary() []string { return append([]string(nil), vocab...) }

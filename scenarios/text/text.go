// Package text turns content blocks into deterministic prompt text and
// back into token counts. It is the one convention shared by the endpoint
// runner (which renders scenario blocks into request text) and the
// emulated endpoint (which counts and hashes the text it receives): one
// token = one word of a fixed vocabulary, separated by single spaces.
// Equal block ids render to byte-identical text, different ids to
// different text (with overwhelming probability), so a real server's
// prefix cache sees exactly the scenario's sharing.
//
// The vocabulary holds short, common English words, each a single token
// for Llama-, Qwen- and DeepSeek-family tokenizers when preceded by a
// space, so real servers count close to one token per word; the runner
// still records the server's own counts from `usage`.
package text

import "strings"

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

// mix is splitmix64's finalizer: a fast, well-spread 64-bit mix.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// AppendBlock appends the text of block id: exactly tokens words, each
// preceded by a space (so concatenated blocks stay word-separated).
func AppendBlock(dst []byte, id uint64, tokens int) []byte {
	state := mix(id + 0x9e3779b97f4a7c15)
	var bits uint64
	for i := 0; i < tokens; i++ {
		if i%8 == 0 {
			state = mix(state + 0x9e3779b97f4a7c15)
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

// CountTokens is the emulated tokenizer: the number of words (runs of
// non-space bytes) in s.
func CountTokens(s string) int {
	n := 0
	in := false
	for i := 0; i < len(s); i++ {
		sp := s[i] == ' ' || s[i] == '\n' || s[i] == '\t' || s[i] == '\r'
		if !sp && !in {
			n++
		}
		in = !sp
	}
	return n
}

// Words appends the words of s to dst (the emulated tokenizer's tokens).
func Words(dst []string, s string) []string {
	return append(dst, strings.Fields(s)...)
}

// Vocabulary returns a copy of the 256 words block text is made of, so a
// real tokenizer can check that each (after a space) is one token.
func Vocabulary() []string { return append([]string(nil), vocab...) }

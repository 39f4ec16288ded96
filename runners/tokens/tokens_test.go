package tokens

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pkoukk/tiktoken-go"
	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios/text"
)

func TestBuiltinCounts(t *testing.T) {
	c, err := Get("")
	require.NoError(t, err)
	require.Equal(t, "cl100k_base", c.Name())
	// Reference counts from OpenAI's tiktoken for cl100k_base.
	require.Equal(t, 6, c.Count([]byte("tiktoken is great!")))
	require.Equal(t, 2, c.Count([]byte("hello world")))
	require.Equal(t, 0, c.Count(nil))
	o, err := Get("o200k_base")
	require.NoError(t, err)
	require.Equal(t, 2, o.Count([]byte("hello world")))
	again, err := Get("cl100k_base")
	require.NoError(t, err)
	require.Same(t, c, again, "loaded once per process")
}

// The scenario vocabulary is one token per word in both embedded
// encodings, so rendered prompts and serve's replies count exactly their
// words: run -> serve agreement holds with counting on.
func TestScenarioTextCountsItsWords(t *testing.T) {
	for _, name := range Builtin {
		c, err := Get(name)
		require.NoError(t, err)
		require.True(t, c.WordExact(), name)
		for id := range uint64(50) {
			n := int(id*37%400) + 1
			require.Equal(t, n, c.Count([]byte(text.Block(id, n))), "%s block %d", name, id)
		}
	}
}

// The cached piece-by-piece path gives the encoder's own count.
func TestFastPathMatchesEncoder(t *testing.T) {
	c, err := Get("cl100k_base")
	require.NoError(t, err)
	r := rand.New(rand.NewPCG(1, 2))
	words := text.Vocabulary()
	for range 200 {
		var b strings.Builder
		for i := range r.IntN(40) + 1 {
			if i > 0 || r.IntN(2) == 0 {
				b.WriteByte(' ')
			}
			if r.IntN(4) == 0 { // random lowercase strings, not only vocabulary words
				for range r.IntN(12) + 1 {
					b.WriteByte(byte('a' + r.IntN(26)))
				}
			} else {
				b.WriteString(words[r.IntN(len(words))])
			}
		}
		s := b.String()
		n, ok := c.countFast([]byte(s))
		require.True(t, ok, s)
		require.Equal(t, len(c.enc().EncodeOrdinary(s)), n, s)
	}
	for _, s := range []string{"Hello world", "a  b", "x\n", "don't", " 123", "é"} {
		_, ok := c.countFast([]byte(s))
		require.False(t, ok, s)
	}
}

func FuzzCount(f *testing.F) {
	c, err := Get("cl100k_base")
	require.NoError(f, err)
	for _, s := range []string{"hello world", " the of and", "Hello, World!", "a  b", "\xff\xfe", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		require.Equal(t, len(c.enc().EncodeOrdinary(s)), c.Count([]byte(s)))
	})
}

// byteEncoder is bytes_to_unicode (the inverse of byteDecoder).
func byteEncoder() map[byte]string {
	enc := map[byte]string{}
	for r, b := range byteDecoder() {
		enc[b] = string(r)
	}
	return enc
}

// A small byte-level BPE tokenizer.json (GPT-2 shape) whose merges build
// " hello" and "world" as single tokens.
func writeHF(t *testing.T, pre any, modelType string) string {
	enc := byteEncoder()
	vocab := map[string]int{}
	for b := range 256 {
		vocab[enc[byte(b)]] = b
	}
	sp := enc[' ']
	merges := []string{sp + " h", "e l", sp + "h el", "l o", sp + "hel lo", "w o", "r l", "wo rl", "worl d"}
	for i, m := range merges {
		vocab[strings.ReplaceAll(m, " ", "")] = 256 + i
	}
	f := map[string]any{"model": map[string]any{"type": modelType, "vocab": vocab, "merges": merges}, "pre_tokenizer": pre}
	data, err := json.Marshal(f)
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "tokenizer.json")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

func TestLoadHuggingFace(t *testing.T) {
	p := writeHF(t, map[string]any{"type": "ByteLevel", "add_prefix_space": false}, "BPE")
	c, err := Get(p)
	require.NoError(t, err)
	require.Equal(t, p, c.Name())
	require.Equal(t, 1, c.Count([]byte(" hello")))
	require.Equal(t, 1, c.Count([]byte("world")))
	require.Equal(t, 3, c.Count([]byte(" hello world")), "' hello' + ' ' + 'world' (no ' world' merge)")
	require.Equal(t, 2, c.Count([]byte("hi")))
	require.False(t, c.WordExact())

	// Llama 3 / Qwen 2 shape: Sequence[Split(regex), ByteLevel(use_regex false)].
	seq := map[string]any{"type": "Sequence", "pretokenizers": []any{
		map[string]any{"type": "Split", "pattern": map[string]any{"Regex": cl100kPattern}, "behavior": "Isolated"},
		map[string]any{"type": "ByteLevel", "use_regex": false},
	}}
	c, err = Load(writeHF(t, seq, "BPE"))
	require.NoError(t, err)
	require.Equal(t, 1, c.Count([]byte(" hello")))

	_, err = Load(writeHF(t, seq, "Unigram"))
	require.ErrorContains(t, err, "only byte-level BPE")
	_, err = Load(writeHF(t, map[string]any{"type": "Metaspace"}, "BPE"))
	require.ErrorContains(t, err, "SentencePiece")
}

// tiktokenFile writes a .tiktoken file of the 256 bytes and "ab" at rank
// abRank, and returns its path.
func tiktokenFile(t *testing.T, abRank int) string {
	var b strings.Builder
	for i := range 256 {
		fmt.Fprintf(&b, "%s %d\n", base64.StdEncoding.EncodeToString([]byte{byte(i)}), i)
	}
	fmt.Fprintf(&b, "%s %d\n", base64.StdEncoding.EncodeToString([]byte("ab")), abRank)
	p := filepath.Join(t.TempDir(), "x.tiktoken")
	require.NoError(t, os.WriteFile(p, []byte(b.String()), 0o644))
	return p
}

func TestLoadTiktokenFile(t *testing.T) {
	c, err := Load(tiktokenFile(t, 256))
	require.NoError(t, err)
	require.Equal(t, 2, c.Count([]byte("abc")))
}

func TestLoadErrors(t *testing.T) {
	_, err := Get("no-such-encoding")
	require.ErrorContains(t, err, "not a built-in encoding")
	dir := t.TempDir()
	garbage := filepath.Join(dir, "g")
	require.NoError(t, os.WriteFile(garbage, []byte("not a tokenizer\n"), 0o644))
	_, err = Load(garbage)
	require.ErrorContains(t, err, "line 1")
	bad := filepath.Join(dir, "b.json")
	require.NoError(t, os.WriteFile(bad, []byte("{not json"), 0o644))
	_, err = Load(bad)
	require.ErrorContains(t, err, "not a tokenizer.json")
}

func BenchmarkCountScenarioText(b *testing.B) {
	c, _ := Get("cl100k_base")
	s := []byte(text.Block(7, 1000))
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		c.Count(s)
	}
}

func BenchmarkCountProse(b *testing.B) {
	c, _ := Get("cl100k_base")
	s := []byte(strings.Repeat("Hello, world! Here's some code: func main() { x := 42 }\n", 20))
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		c.Count(s)
	}
}

// The embedded encodings are made word-exact with a seeded cache before
// their ranks load; the loaded encoder must agree, and vocabulary text
// must not load the ranks at all.
func TestBuiltinWordExact(t *testing.T) {
	for _, name := range Builtin {
		lazy := lazyBuiltin(name)
		require.Equal(t, 12, lazy.Count([]byte(text.Block(3, 12))))
		require.Nil(t, lazy.tk, "%s: vocabulary text loaded the ranks", name)
		tk, err := tiktoken.GetEncoding(name)
		require.NoError(t, err)
		require.True(t, vocabularyExact(tk), "%s: a vocabulary word is not one token; lazyBuiltin must not assume it", name)
		for piece, n := range lazy.cache {
			require.Equal(t, len(tk.EncodeOrdinary(piece)), int(n), "%s %q", name, piece)
		}
		require.Equal(t, len(tk.EncodeOrdinary("tiktoken is great!")), lazy.Count([]byte("tiktoken is great!")))
		require.NotNil(t, lazy.tk, "other text loads them")
	}
}

// TestLoadTokenLimit: a tokenizer file's token ids are held to the 10M-token
// limit (docs/scenarios.md#limits) with the file's line:col. Before, a
// .tiktoken rank of 2^40 was accepted as a vocabulary of a trillion tokens.
func TestLoadTokenLimit(t *testing.T) {
	p := tiktokenFile(t, 1<<40)
	_, err := Load(p)
	require.ErrorContains(t, err, p+":257:6: rank 1099511627776 is above the limit of 10000000 tokens")
}

// Package tokens counts the tokens of text the way a model's tokenizer
// does, so the endpoint runner can count what it received instead of
// trusting the server's usage blindly. Built-in encodings are OpenAI's
// byte-level BPE ranks (cl100k_base, o200k_base) embedded in the binary
// through github.com/pkoukk/tiktoken-go-loader (MIT): nothing is
// downloaded at run or test time. A HuggingFace tokenizer.json (byte-level
// BPE: Llama 3, Qwen 2, DeepSeek) or a .tiktoken ranks file can be loaded
// from disk instead (--tokenizer FILE).
package tokens

import (
	"fmt"
	"strings"
	"sync"

	"github.com/pkoukk/tiktoken-go"
	loader "github.com/pkoukk/tiktoken-go-loader"

	"github.com/fleetbench/fleetbench/scenarios/text"
)

// Default is the encoding used when none is given. Llama 3's tokenizer
// extends cl100k_base (its first 100k ranks are cl100k's), so for the
// open-weight models fleetbench mostly drives it counts close to the
// server; o200k_base is the GPT-4o family's.
const Default = "cl100k_base"

// Builtin lists the embedded encodings.
var Builtin = []string{"cl100k_base", "o200k_base"}

func init() {
	// Package-level, once: tiktoken-go would otherwise fetch the ranks
	// over the network; the offline loader reads them from embedded files.
	tiktoken.SetBpeLoader(loader.NewOfflineLoader())
}

// Counter counts tokens. It is safe for concurrent use.
type Counter struct {
	name string
	once sync.Once
	load func() (*tiktoken.Tiktoken, error) // set when tk is loaded on first use (enc)
	tk   *tiktoken.Tiktoken
	// fast: the pre-tokenizer splits lowercase ASCII words with one
	// leading space into separate pieces (true of cl100k/o200k and of
	// Llama 3's pattern), so such text can be counted piece by piece from
	// a cache; see countFast.
	fast bool
	// wordExact: every word of the scenario vocabulary, after a space, is
	// exactly one token, so rendered scenario text counts as many tokens as
	// it has words (checked when the counter is built).
	wordExact bool

	mu    sync.RWMutex
	cache map[string]int32
}

// maxCache bounds the piece cache (entries); past it pieces are encoded
// every time, so a hostile server cannot grow memory without bound.
const maxCache = 1 << 16

var (
	builtinMu sync.Mutex
	builtins  = map[string]*Counter{}
)

// Get returns the built-in encoding name (made once per process; its ranks
// load on first need, about 0.1 s for cl100k_base), or loads a tokenizer file (see Load) when name is
// not a built-in.
func Get(name string) (*Counter, error) {
	if name == "" {
		name = Default
	}
	builtinMu.Lock()
	defer builtinMu.Unlock()
	if c, ok := builtins[name]; ok {
		return c, nil
	}
	known := false
	for _, b := range Builtin {
		known = known || b == name
	}
	if !known {
		return Load(name)
	}
	c := lazyBuiltin(name)
	builtins[name] = c
	return c, nil
}

// lazyBuiltin is an embedded encoding whose ranks are loaded on the first
// text that needs them (~0.1 s of CPU and ~30 MB). Both embedded encodings
// count every scenario-vocabulary word, after a space, as one token
// (TestBuiltinWordExact checks it against the loaded encoder), so text made
// of those words, which scenario prompts and loopback test servers send,
// is counted from the seeded cache and never loads them.
func lazyBuiltin(name string) *Counter {
	c := &Counter{name: name, fast: true, wordExact: true, cache: map[string]int32{}}
	for _, w := range text.Vocabulary() {
		c.cache[" "+w] = 1
	}
	c.load = func() (*tiktoken.Tiktoken, error) { return tiktoken.GetEncoding(name) }
	return c
}

func newCounter(name string, tk *tiktoken.Tiktoken, fast bool) *Counter {
	c := &Counter{name: name, tk: tk, fast: fast, cache: map[string]int32{}}
	c.wordExact = vocabularyExact(tk)
	return c
}

// vocabularyExact reports whether every vocabulary word after a space is
// one token.
func vocabularyExact(tk *tiktoken.Tiktoken) bool {
	for _, w := range text.Vocabulary() {
		if len(tk.EncodeOrdinary(" "+w)) != 1 {
			return false
		}
	}
	return true
}

// enc is the encoder, loaded on first use for the embedded encodings.
func (c *Counter) enc() *tiktoken.Tiktoken {
	c.once.Do(func() {
		if c.tk != nil {
			return
		}
		tk, err := c.load()
		if err != nil { // embedded ranks: cannot fail short of a broken build
			panic(fmt.Sprintf("tokenizer %s: embedded ranks do not load: %v", c.name, err))
		}
		c.tk = tk
	})
	return c.tk
}

// Name is the encoding's name (or the file it was loaded from).
func (c *Counter) Name() string { return c.name }

// WordExact reports whether text made of the scenario vocabulary
// (scenarios/text) counts exactly one token per word with this tokenizer.
func (c *Counter) WordExact() bool { return c.wordExact }

// Count returns the number of tokens in s (special-token markers are
// counted as ordinary text, as a server counts generated text).
func (c *Counter) Count(s []byte) int {
	if len(s) == 0 {
		return 0
	}
	if c.fast {
		if n, ok := c.countFast(s); ok {
			return n
		}
	}
	return len(c.enc().EncodeOrdinary(string(s)))
}

// countFast counts text that is only lowercase ASCII words separated by
// single spaces (optionally one leading space): the pre-tokenizer splits it
// into " word" pieces, and BPE never merges across pieces, so the count is
// the sum of the pieces' counts, which are cached. Anything else returns
// false and is encoded whole.
func (c *Counter) countFast(s []byte) (int, bool) {
	n := 0
	for i := 0; i < len(s); {
		j := i
		if s[j] == ' ' {
			j++
		}
		k := j
		for k < len(s) && s[k] >= 'a' && s[k] <= 'z' {
			k++
		}
		if k == j || (k < len(s) && s[k] != ' ') {
			return 0, false
		}
		n += c.piece(s[i:k])
		i = k
	}
	return n, true
}

func (c *Counter) piece(p []byte) int {
	c.mu.RLock()
	v, ok := c.cache[string(p)]
	c.mu.RUnlock()
	if ok {
		return int(v)
	}
	n := len(c.enc().EncodeOrdinary(string(p)))
	c.mu.Lock()
	if len(c.cache) < maxCache && len(p) <= 64 {
		c.cache[string(p)] = int32(n)
	}
	c.mu.Unlock()
	return n
}

// Describe is the list of accepted --tokenizer values, for help texts.
func Describe() string {
	return strings.Join(Builtin, ", ") + " (embedded), or a tokenizer.json / .tiktoken file"
}

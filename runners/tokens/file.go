package tokens

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/pkoukk/tiktoken-go"

	"github.com/fleetbench/fleetbench/scenarios/dist"
)

// maxFile bounds a tokenizer file (the largest public tokenizer.json files
// are ~20 MB; o200k_base.tiktoken is 3.6 MB).
const maxFile = 64 << 20

// cl100kPattern is cl100k_base's pre-tokenizer (also Llama 3's); used for
// .tiktoken files, which carry ranks only.
const cl100kPattern = `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+`

// gpt2Pattern is the byte-level pre-tokenizer of GPT-2 style tokenizers
// (HuggingFace ByteLevel with use_regex).
const gpt2Pattern = `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+`

// Load reads a tokenizer from a file: a HuggingFace tokenizer.json whose
// model is byte-level BPE (Llama 3, Qwen 2/2.5/3, DeepSeek V3, GPT-2
// style), or a .tiktoken ranks file (base64 token, space, rank per line;
// cl100k's pre-tokenizer). The file is read through a bounded reader.
func Load(path string) (*Counter, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("--tokenizer %s: not a built-in encoding (%s) and not a readable file: %v", path, Describe(), err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, fmt.Errorf("--tokenizer %s: %v", path, err)
	}
	if len(data) > maxFile {
		return nil, fmt.Errorf("--tokenizer %s: larger than %d MiB; is it a tokenizer file?", path, maxFile>>20)
	}
	var ranks map[string]int
	pattern := cl100kPattern
	if t := bytes.TrimSpace(data); len(t) > 0 && t[0] == '{' {
		ranks, pattern, err = parseHF(t)
	} else {
		ranks, err = parseTiktoken(data)
	}
	var pe *posError
	if errors.As(err, &pe) {
		return nil, fmt.Errorf("--tokenizer %s:%d:%d: %s", path, pe.line, pe.col, pe.msg)
	}
	if err != nil {
		return nil, fmt.Errorf("--tokenizer %s: %v", path, err)
	}
	bpe, err := tiktoken.NewCoreBPE(ranks, map[string]int{}, pattern)
	if err != nil {
		return nil, fmt.Errorf("--tokenizer %s: %v", path, err)
	}
	fast := pattern == cl100kPattern || pattern == gpt2Pattern
	return newCounter(path, tiktoken.NewTiktoken(bpe, nil, map[string]any{}), fast), nil
}

// posError is a tokenizer file error at a 1-based line and column.
type posError struct {
	line, col int
	msg       string
}

func (e *posError) Error() string { return fmt.Sprintf("%d:%d: %s", e.line, e.col, e.msg) }

// tokenLimit is the vocabulary bound: token ids (ranks) below the 10M-token
// limit of every token count (docs/scenarios.md#limits); real vocabularies
// are under 300k.
const tokenLimit = dist.MaxTokens

func tooBig(what string, n int) string {
	return fmt.Sprintf("%s %d is above the limit of %d tokens (docs/scenarios.md#limits); is this a tokenizer file?", what, n, tokenLimit)
}

func parseTiktoken(data []byte) (map[string]int, error) {
	ranks := map[string]int{}
	for i, raw := range bytes.Split(data, []byte{'\n'}) {
		line := bytes.TrimSpace(raw)
		if len(line) == 0 {
			continue
		}
		tok, rank, ok := bytes.Cut(line, []byte{' '})
		b, err := base64.StdEncoding.DecodeString(string(tok))
		r, rerr := strconv.Atoi(string(rank))
		if !ok || err != nil || rerr != nil || r < 0 {
			return nil, fmt.Errorf("line %d: want \"<base64 token> <rank>\" (a .tiktoken file) or a tokenizer.json", i+1)
		}
		if r >= tokenLimit {
			lead := len(raw) - len(bytes.TrimLeft(raw, " \t\r"))
			return nil, &posError{i + 1, lead + len(tok) + 2, tooBig("rank", r)}
		}
		ranks[string(b)] = r
	}
	if len(ranks) < 256 {
		return nil, fmt.Errorf("only %d ranks: a byte-level BPE has at least the 256 bytes", len(ranks))
	}
	return ranks, nil
}

// hfFile is the part of a HuggingFace tokenizer.json the counter needs.
type hfFile struct {
	Model struct {
		Type   string          `json:"type"`
		Vocab  map[string]int  `json:"vocab"`
		Merges json.RawMessage `json:"merges"`
	} `json:"model"`
	PreTokenizer *hfPre `json:"pre_tokenizer"`
}

type hfPre struct {
	Type          string  `json:"type"`
	Pretokenizers []hfPre `json:"pretokenizers"`
	Pattern       *struct {
		Regex string `json:"Regex"`
	} `json:"pattern"`
	UseRegex *bool `json:"use_regex"`
}

// pattern finds the split regex of a byte-level pre-tokenizer: a Split
// with a Regex pattern (Llama 3, Qwen 2) or ByteLevel with use_regex (GPT-2).
func (p *hfPre) pattern() (string, bool) {
	if p == nil {
		return "", false
	}
	switch p.Type {
	case "Split":
		if p.Pattern != nil && p.Pattern.Regex != "" {
			return p.Pattern.Regex, true
		}
	case "ByteLevel":
		if p.UseRegex == nil || *p.UseRegex {
			return gpt2Pattern, true
		}
	case "Sequence":
		for i := range p.Pretokenizers {
			if s, ok := p.Pretokenizers[i].pattern(); ok {
				return s, true
			}
		}
	}
	return "", false
}

// parseHF turns a byte-level BPE tokenizer.json into tiktoken ranks: each
// merge's result ranks by the merge's position (BPE applies the earliest
// merge first), single bytes below every merge.
func parseHF(data []byte) (map[string]int, string, error) {
	var f hfFile
	if err := json.Unmarshal(data, &f); err != nil {
		return nil, "", fmt.Errorf("not a tokenizer.json: %v", err)
	}
	if f.Model.Type != "BPE" {
		return nil, "", fmt.Errorf("model type %q: only byte-level BPE tokenizers (Llama 3, Qwen 2, DeepSeek) are supported; use %s otherwise", f.Model.Type, Default)
	}
	pattern, ok := f.PreTokenizer.pattern()
	if !ok {
		return nil, "", errors.New("no byte-level pre-tokenizer (Split regex or ByteLevel): SentencePiece-style tokenizers are not supported")
	}
	merges, err := hfMerges(f.Model.Merges)
	if err != nil {
		return nil, "", err
	}
	if n := 256 + len(merges); n > tokenLimit {
		line, col := 1, 1
		if at := bytes.Index(data, []byte(`"merges"`)); at >= 0 {
			line = 1 + bytes.Count(data[:at], []byte{'\n'})
			col = at - bytes.LastIndexByte(data[:at], '\n')
		}
		return nil, "", &posError{line, col, "model.merges: " + tooBig("a vocabulary of", n)}
	}
	dec := byteDecoder()
	raw := func(s string) (string, bool) {
		var b []byte
		for _, r := range s {
			c, ok := dec[r]
			if !ok {
				return "", false
			}
			b = append(b, c)
		}
		return string(b), true
	}
	ranks := make(map[string]int, len(merges)+256)
	for i := range 256 {
		ranks[string([]byte{byte(i)})] = i
	}
	for i, m := range merges {
		a, aok := raw(m[0])
		b, bok := raw(m[1])
		if !aok || !bok {
			return nil, "", fmt.Errorf("merge %d (%q %q) is not byte-level", i+1, m[0], m[1])
		}
		if _, dup := ranks[a+b]; !dup {
			ranks[a+b] = 256 + i
		}
	}
	return ranks, pattern, nil
}

// hfMerges reads merges in either form: ["a b", ...] or [["a","b"], ...].
func hfMerges(raw json.RawMessage) ([][2]string, error) {
	var pairs [][2]string
	if err := json.Unmarshal(raw, &pairs); err == nil {
		return pairs, nil
	}
	var lines []string
	if err := json.Unmarshal(raw, &lines); err != nil {
		return nil, errors.New("model.merges: want a list of \"a b\" strings or [a, b] pairs")
	}
	out := make([][2]string, len(lines))
	for i, l := range lines {
		a, b, ok := bytes.Cut([]byte(l), []byte{' '})
		if !ok {
			return nil, fmt.Errorf("model.merges[%d] %q: want \"a b\"", i, l)
		}
		out[i] = [2]string{string(a), string(b)}
	}
	return out, nil
}

// byteDecoder inverts GPT-2's bytes_to_unicode: printable bytes map to
// themselves, the others to code points from U+0100 up.
func byteDecoder() map[rune]byte {
	dec := make(map[rune]byte, 256)
	n := 0
	for b := range 256 {
		if (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF) {
			dec[rune(b)] = byte(b)
		} else {
			dec[rune(256+n)] = byte(b)
			n++
		}
	}
	return dec
}

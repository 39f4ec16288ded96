package tokens

import "testing"

// FuzzParseTokenizerFile: a --tokenizer file (tokenizer.json or
// .tiktoken ranks) is parsed from any bytes without panicking.
func FuzzParseTokenizerFile(f *testing.F) {
	f.Add([]byte("IQ== 0\nIg== 1\n"))
	f.Add([]byte(`{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b"]}}`))
	f.Add([]byte("not base64 x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = parseTiktoken(data)
		_, _, _ = parseHF(data)
	})
}

package kvcache

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Span is one content block of a test prompt: content id and tokens.
type Span struct {
	ID     uint64
	Tokens int32
}

// HashPrompt appends the KV block hashes of a test prompt to dst, through
// a Hasher as the simulator does.
func HashPrompt(prompt []Span, blockTokens int, dst []uint64) []uint64 {
	hs := NewHasher(blockTokens)
	for _, b := range prompt {
		dst = hs.Add(dst, b.ID, int(b.Tokens))
	}
	return dst
}

func TestHashPromptCountsAndSharing(t *testing.T) {
	base := prompt(1, 40, 2, 40) // 80 tokens: 5 blocks of 16
	tests := []struct {
		name       string
		other      []Span
		wantLen    int // blocks of other
		wantShared int // leading hashes equal to base's
	}{
		{"identical", prompt(1, 40, 2, 40), 5, 5},
		{"extra tokens after", prompt(1, 40, 2, 40, 3, 16), 6, 5},
		{"partial last block unhashed", prompt(1, 40, 2, 50), 5, 5},
		{"tail content differs", prompt(1, 40, 4, 40), 5, 2},
		{"tail starts later", prompt(1, 41, 2, 39), 5, 2},
		{"first block differs", prompt(9, 40, 2, 40), 5, 0},
		{"same tokens, longer content block", prompt(1, 50, 2, 30), 5, 2},
		{"zero-length blocks are no tokens", prompt(7, 0, 1, 40, 8, 0, 2, 40, 5, -3), 5, 5},
		{"short", prompt(1, 15), 0, 0},
		{"empty", nil, 0, 0},
	}
	hb := hashes(base, 16)
	require.Len(t, hb, 5)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ho := hashes(tc.other, 16)
			require.Len(t, ho, tc.wantLen)
			shared := 0
			for shared < min(len(hb), len(ho)) && hb[shared] == ho[shared] {
				shared++
			}
			require.Equal(t, tc.wantShared, shared)
			// Once different, every later hash differs too (chaining).
			for i := shared; i < min(len(hb), len(ho)); i++ {
				require.NotEqual(t, hb[i], ho[i], "block %d", i)
			}
		})
	}
}

func TestHashPromptAppendsAndRejectsBadBlockSize(t *testing.T) {
	dst := []uint64{42}
	dst = HashPrompt(prompt(1, 32), 16, dst)
	require.Len(t, dst, 3)
	require.Equal(t, uint64(42), dst[0])
	require.Equal(t, []uint64{42}, HashPrompt(prompt(1, 32), 0, []uint64{42}))
	require.Equal(t, []uint64{42}, HashPrompt(prompt(1, 32), -5, []uint64{42}))
	// Hashes depend on the block size.
	require.NotEqual(t, HashPrompt(prompt(1, 32), 16, nil)[0], HashPrompt(prompt(1, 32), 32, nil)[0])
}

func TestHashPromptDistinctAcrossPositions(t *testing.T) {
	// One long content block: every block hash distinct (no period in the chain).
	h := hashes(prompt(1, 16*4096), 16)
	seen := make(map[uint64]int, len(h))
	for i, x := range h {
		j, dup := seen[x]
		require.False(t, dup, "blocks %d and %d collide", j, i)
		seen[x] = i
	}
}

// tokenIdentity expands a prompt into (content id, offset) per token: the
// definition of "same tokens" that HashPrompt must respect.
func tokenIdentity(p []Span) [][2]uint64 {
	var out [][2]uint64
	for _, b := range p {
		for off := int32(0); off < b.Tokens; off++ {
			out = append(out, [2]uint64{b.ID, uint64(off)})
		}
	}
	return out
}

// fuzzPrompt decodes bytes into a prompt of small content blocks.
func fuzzPrompt(data []byte) []Span {
	var p []Span
	for i := 0; i+1 < len(data) && len(p) < 32; i += 2 {
		p = append(p, Span{ID: uint64(data[i] % 4), Tokens: int32(data[i+1]%40) - 2})
	}
	return p
}

func FuzzHashPrompt(f *testing.F) {
	f.Add([]byte{1, 20, 2, 20}, []byte{1, 20, 3, 20}, uint8(8))
	f.Add([]byte{1, 35}, []byte{1, 20, 1, 15}, uint8(16))
	f.Add([]byte{}, []byte{0, 1}, uint8(1))
	f.Fuzz(func(t *testing.T, a, b []byte, bt uint8) {
		blockTokens := int(bt%32) + 1
		pa, pb := fuzzPrompt(a), fuzzPrompt(b)
		ha, hb := HashPrompt(pa, blockTokens, nil), HashPrompt(pb, blockTokens, nil)
		ta, tb := tokenIdentity(pa), tokenIdentity(pb)
		require.Len(t, ha, len(ta)/blockTokens)
		require.Len(t, hb, len(tb)/blockTokens)
		same := 0 // leading identical tokens
		for same < min(len(ta), len(tb)) && ta[same] == tb[same] {
			same++
		}
		sharedBlocks := same / blockTokens
		for i := range min(len(ha), len(hb)) {
			if i < sharedBlocks {
				require.Equal(t, ha[i], hb[i], "block %d lies in the %d shared tokens", i, same)
			} else {
				require.NotEqual(t, ha[i], hb[i], "block %d differs in content", i)
			}
		}
	})
}

package text

import (
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBlockDeterministicAndCounted(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 512, 4000} {
		a := Block(42, n)
		require.Equal(t, a, Block(42, n))
		require.Equal(t, n, CountTokens(a))
		require.Len(t, slices.Collect(Words(a)), n)
	}
	require.NotEqual(t, Block(1, 64), Block(2, 64))
	// A block is a prefix of a longer block with the same id.
	require.Equal(t, Block(9, 100), Block(9, 300)[:len(Block(9, 100))])
}

func TestConcatenationKeepsCounts(t *testing.T) {
	b := AppendBlock(nil, 1, 30)
	b = AppendBlock(b, 2, 45)
	require.Equal(t, 75, CountTokens(string(b)))
	require.Equal(t, 3, CountTokens(" a\tb\n c "))
}

func FuzzCountTokens(f *testing.F) {
	f.Add("hello world")
	f.Add(" a\tb\n c ")
	f.Fuzz(func(t *testing.T, s string) {
		ascii := true
		for i := 0; i < len(s); i++ {
			ascii = ascii && s[i] < 0x80 && s[i] != '\v' && s[i] != '\f'
		}
		if ascii { // strings.Fields also splits on Unicode spaces, \v and \f
			want := strings.Fields(s)
			got := slices.Collect(Words(s))
			require.Len(t, got, len(want))
			for i := range want {
				require.Equal(t, want[i], got[i])
			}
			require.Equal(t, len(want), CountTokens(s))
		}
		require.GreaterOrEqual(t, CountTokens(s), 0)
	})
}

func BenchmarkAppendBlock(b *testing.B) {
	buf := make([]byte, 0, 8192)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf = AppendBlock(buf[:0], uint64(i), 1000)
	}
}

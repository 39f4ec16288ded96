package shard

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		set  []int
		n    int
		err  string
		back string
	}{
		{"0/4", []int{0}, 4, "", "0/4"},
		{"3+1/4", []int{1, 3}, 4, "", "1+3/4"},
		{"0+1/2", []int{0, 1}, 2, "", ""},
		{"4/4", nil, 0, "from 0 to 3", ""},
		{"1/0", nil, 0, "from 1 to", ""},
		{"01/4", nil, 0, "from 0 to 3", ""},
		{"-0/4", nil, 0, "from 0 to 3", ""},
		{"0/+4", nil, 0, "want i/n", ""},
		{"1", nil, 0, "want i/n", ""},
		{"1+1/3", nil, 0, "twice", ""},
		{"a/3", nil, 0, "from 0 to 2", ""},
	} {
		t.Run(tc.in, func(t *testing.T) {
			set, n, err := Parse(tc.in, true)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.set, set)
			require.Equal(t, tc.n, n)
			require.Equal(t, tc.back, Format(set, n))
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"0/4", "1+2/3", "/", "9999999999/1", "-1/2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		set, n, err := Parse(s, true)
		if err != nil {
			return
		}
		require.NotEmpty(t, set)
		for i, v := range set {
			require.True(t, v >= 0 && v < n)
			if i > 0 {
				require.Greater(t, v, set[i-1])
			}
		}
		back := Format(set, n)
		if back != "" {
			s2, n2, err := Parse(back, true)
			require.NoError(t, err)
			require.Equal(t, set, s2)
			require.Equal(t, n, n2)
		}
	})
}

// TestSingle: without merged, only one shard is accepted (run --shard and
// sweep --shard); the runners' old parser's cases keep their answers.
func TestSingle(t *testing.T) {
	for _, s := range []string{"0/1", "2/4"} {
		_, _, err := Parse(s, false)
		require.NoError(t, err, s)
	}
	for _, s := range []string{"4/4", "1", "-1/2", "a/b", "1/2x", "0+1/4", " 0/4"} {
		_, _, err := Parse(s, false)
		require.Error(t, err, s)
	}
	_, _, err := Parse("0+1/4", false)
	require.ErrorContains(t, err, "give one shard")
}

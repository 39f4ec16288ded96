package scenarios

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzWorkload: any scenario that validates generates without panicking,
// in nondecreasing arrival order, with prompts whose lengths add up.
func FuzzWorkload(f *testing.F) {
	for _, name := range BuiltinNames() {
		data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
		require.NoError(f, err)
		f.Add(data, uint64(1))
	}
	f.Add([]byte(agentSrc), uint64(7))
	f.Add([]byte(closedSrc), uint64(3))
	f.Add([]byte(videoMix), uint64(5))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, seed uint64) {
		s, err := Parse("fuzz.yaml", data, dir)
		if err != nil {
			return
		}
		w, err := s.NewWorkload(WorkloadOptions{Seed: &seed})
		if err != nil {
			return
		}
		defer w.Close()
		var last int64
		for range 300 {
			r, ok := w.Next()
			if !ok {
				break
			}
			require.GreaterOrEqual(t, r.Arrival, last)
			last = r.Arrival
			sum := 0
			for _, b := range r.Prompt {
				require.Positive(t, b.Tokens)
				sum += int(b.Tokens)
			}
			require.Equal(t, sum, r.InputTokens)
			if r.Task != nil {
				next, _ := r.Task.Complete(r, r.Arrival, r.OutputTokens)
				for _, n := range next {
					require.GreaterOrEqual(t, n.Arrival, r.Arrival)
				}
			}
		}
	})
}

package scenarios

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios/dist"
)

// A class whose every request must exceed the context of the scenario's
// model (a 300k-token prompt on llama-3.1-8b, 131,072 tokens) was served
// by sim as completed requests; it is refused at validation, at the
// class's input. A class only some of whose requests are over loads (the
// result counts them).
func TestClassOverContextRefused(t *testing.T) {
	const head = "name: long\nduration: 60s\nclasses:\n  - name: long\n    kind: chat\n    arrival: {process: poisson, rate: 1}\n"
	const fleet = "fleet:\n  spec: 1C\n  model: llama-3.1-8b\n"
	_, err := Parse("long.yaml", []byte(head+"    input: 300000\n    output: 100\n"+fleet), ".")
	require.ErrorContains(t, err, `long.yaml:7:5: classes[0].input: every request of class "long" has at least 300100 tokens (prompt + output), over the 131072-token context of model llama-3.1-8b`)

	_, err = Parse("some.yaml", []byte(head+"    input: {dist: uniform, min: 1000, max: 300000}\n    output: 100\n"+fleet), ".")
	require.NoError(t, err)

	// The system prompts count: 131,000 + 100 + 1,000 > 131,072.
	_, err = Parse("sys.yaml", []byte(head+"    input: 131000\n    output: 100\n    system_prompts: {count: 2, tokens: 1000}\n"+fleet), ".")
	require.ErrorContains(t, err, "at least 132100 tokens")

	// No model in the scenario: left to the simulator (--model).
	_, err = Parse("nomodel.yaml", []byte(head+"    input: 300000\n    output: 100\n"), ".")
	require.NoError(t, err)
}

func TestFloor(t *testing.T) {
	for _, c := range []struct {
		s    dist.Spec
		want int
	}{
		{dist.Fixed(512), 512},
		{dist.Spec{Dist: "uniform", Min: 100, Max: 900}, 100},
		{dist.Spec{Dist: "lognormal", Mean: 1000, Median: 800}, 1},
		{dist.Spec{Dist: "lognormal", Mean: 1000, Median: 800, Min: 64}, 64},
		{dist.Spec{Dist: "empirical", Values: []float64{2048, 128, 512}}, 128},
		{dist.Spec{Dist: "fixed", Value: 5000, Max: 4096}, 4096},
	} {
		require.Equal(t, c.want, c.s.Floor(), "%+v", c.s)
	}
}

// scenario stats showed agent-coding's input p99 197,564 tokens without a
// word that its model (llama-3.1-70b) serves 131,072: it now counts the
// requests over the scenario model's context and says so under the table
// (and labels its per-task arrival rate tasks/s, not rate/s beside the
// request count).
func TestStatsCountOverContext(t *testing.T) {
	s, err := Resolve("agent-coding")
	require.NoError(t, err)
	w := mustWorkload(t, s, WorkloadOptions{})
	st, err := ComputeStats(s, w, 3000)
	require.NoError(t, err)
	require.Equal(t, 131072, st.ContextTokens)
	c := st.Classes[0]
	require.Positive(t, c.OverContext)
	var b strings.Builder
	require.NoError(t, st.WriteTable(&b))
	require.Contains(t, b.String(), "tasks/s")
	require.Contains(t, b.String(), fmt.Sprintf("over the 131072-token context of llama-3.1-70b (fleet.model), prompt + output: coding %d of %d requests", c.OverContext, c.Requests))
}

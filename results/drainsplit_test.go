package results

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// Each pool's cost is shared by the GPU time the classes' measured tasks
// used on it, in the window or after it (the simulator's attribution).
// After the window, tasks still running (agent sessions of minutes) run
// alone in small batches and are charged the whole pool's time:
// `sim moe-platform` (3m: window 150 s, drain to 1118.9 s) gave coding
// 83% of the decode pool while chat made 89% of its output tokens ($/Mtok
// output 2.769 against chat's 0.072), and the split moved with --duration
// (6m: 70%; chat's $/task +32%) while the fleet's totals did not. Until
// the simulator charges only the window's time, a result whose drain is
// longer than its window and whose pools serve several classes says so.
func TestApplyCostWarnsOfADrainLongerThanTheWindow(t *testing.T) {
	has := func(r *Result) int {
		n := 0
		for _, w := range r.Warnings {
			if strings.HasPrefix(w, DrainSplitWarn) {
				n++
			}
		}
		return n
	}
	r := pdResult()
	r.Window = Window{StartS: 30, EndS: 180, DurationS: 150, DrainEndS: 1118.9}
	require.NoError(t, ApplyCost(r, CostInputs{}))
	require.Equal(t, 1, has(r))
	w := r.Warnings[len(r.Warnings)-1]
	require.Contains(t, w, "938.9 s after the 150 s window")
	require.Contains(t, w, "decode (agent 50%, chat 50%)")
	require.NoError(t, ApplyCost(r, CostInputs{}), "re-pricing")
	require.Equal(t, 1, has(r), "said once")

	short := pdResult()
	short.Window = Window{StartS: 30, EndS: 180, DurationS: 150, DrainEndS: 250}
	require.NoError(t, ApplyCost(short, CostInputs{}))
	require.Zero(t, has(short), "a drain shorter than the window")

	one := pdResult()
	one.Window = r.Window
	one.Attribution = map[string]map[string]float64{"chat": {"prefill": 1, "decode": 1}}
	require.NoError(t, ApplyCost(one, CostInputs{}))
	require.Zero(t, has(one), "one class takes every pool's cost whatever the split")
}

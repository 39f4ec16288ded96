package scale

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/require"
)

// scale's JSON wrote a level's change (and overall) with Go's field
// names for its traffic multipliers ("From": 1, "To": 2) beside
// snake_case keys ("total_pct"). They are from_traffic and to_traffic
// now; files written before read the same.
func TestChangeJSONKeys(t *testing.T) {
	c := Change{From: 1, To: 2, Total: 10.5}
	raw, err := json.Marshal(c)
	require.NoError(t, err)
	var m map[string]any
	require.NoError(t, json.Unmarshal(raw, &m))
	require.Equal(t, 1.0, m["from_traffic"])
	require.Equal(t, 2.0, m["to_traffic"])
	for k := range m {
		require.NotContains(t, []string{"From", "To"}, k)
	}
	var back Change
	require.NoError(t, json.Unmarshal(raw, &back))
	require.Equal(t, c, back)

	var old Change
	require.NoError(t, json.Unmarshal([]byte(`{"From": 1, "To": 4, "total_pct": 3}`), &old))
	require.Equal(t, Change{From: 1, To: 4, Total: 3}, old)
}

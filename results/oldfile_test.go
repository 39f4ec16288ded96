package results

import (
	"bytes"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// testdata/old-mixed-platform.json was written by fleetbench at cb700f2
// (before fc65321), `fleetbench sim mixed-platform --requests 500`, its
// timeline section removed to keep it small. Its totals' J per output
// token divides the video pool's energy by the LLM classes' tokens
// (10.5143); the same run written now says 10.3752.
const oldMixed = "testdata/old-mixed-platform.json"

func TestDecodeRecomputesOldTotalsJPerToken(t *testing.T) {
	res, err := ReadFile(oldMixed)
	require.NoError(t, err)
	require.Equal(t, 10.3752, res.Totals.Cost.JPerOutTok, "the totals leave out the video pool's energy")
	require.Equal(t, 6.40655, res.Classes["chat"].Cost.JPerOutTok, "class figures were right")
	require.Equal(t, 15.3949, res.Classes["coding"].Cost.JPerOutTok)

	// A file written now reads back unchanged.
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, res))
	again, err := Decode(bytes.NewReader(buf.Bytes()), "new.json")
	require.NoError(t, err)
	require.Equal(t, 10.3752, again.Totals.Cost.JPerOutTok)
}

// oldFile reads testdata name as raw JSON text (for tests that check what
// an older file carried before decoding).
func oldFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

func TestOldFixtureIsOld(t *testing.T) {
	s := oldFile(t, oldMixed)
	require.Contains(t, s, `"j_per_output_token": 10.5143`)
}

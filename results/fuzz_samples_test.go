package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzReadSamples: compare's --records-base/--records-new reader takes any
// bytes without panicking, and names the file in every error.
func FuzzReadSamples(f *testing.F) {
	var buf bytes.Buffer
	w := NewRecordWriter(&buf)
	recs := synthRecords(5, 1)
	for i := range recs {
		require.NoError(f, w.Write(&recs[i]))
	}
	require.NoError(f, w.Flush())
	f.Add(buf.Bytes())
	f.Add([]byte("{bad"))
	f.Add([]byte("\n\n{}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, err := ReadSamples(bytes.NewReader(data), "r.jsonl", 0)
		if err != nil {
			require.True(t, strings.Contains(err.Error(), "r.jsonl"), err.Error())
		}
	})
}

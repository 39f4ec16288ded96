package scale

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// FuzzReadFile: a scale curve file read back (merge, compare) takes any
// bytes without panicking, and names the file in every error.
func FuzzReadFile(f *testing.F) {
	f.Add([]byte(`{"schema": "fleetbench.scale/v1", "levels": []}`))
	f.Add([]byte(`{"schema": "fleetbench.sweep/v1"}`))
	f.Add([]byte(`{"schema": `))
	f.Add([]byte(`[]`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "c.json")
		require.NoError(t, os.WriteFile(path, data, 0o644))
		c, err := ReadFile(path)
		if err != nil {
			require.True(t, strings.Contains(err.Error(), "c.json"), err.Error())
			return
		}
		require.Equal(t, Schema, c.Schema)
	})
}

package main

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// A --price-file list for a class the run does not have (a typo: chatt
// for chat) priced nothing and said nothing: chat was priced with the
// default list instead, exit 0. It is refused, naming the classes there
// are (exit 2), for a scenario and for a result file.
func TestPriceFileUnknownClassRefused(t *testing.T) {
	dir := t.TempDir()
	pf := filepath.Join(dir, "p.yaml")
	require.NoError(t, os.WriteFile(pf, []byte("default: {output_per_mtok: 1}\nclasses: {chatt: {output_per_mtok: 2}}\n"), 0o644))
	res := filepath.Join(dir, "r.json")
	code, _, stderr := runCLI("sim", "chat", "--duration", "5s", "-o", res)
	require.Equal(t, 0, code, stderr)
	for _, args := range [][]string{
		{"sim", "chat", "--duration", "5s", "--price-file", pf},
		{"price", "chat", "--duration", "5s", "--price-file", pf},
		{"price", res, "--price-file", pf},
		{"report", res, "--price-file", pf},
	} {
		code, _, stderr := runCLI(args...)
		require.Equal(t, 2, code, "%v: %s", args, stderr)
		require.Contains(t, stderr, `--price-file: classes.chatt: no class "chatt"`, args)
		require.Contains(t, stderr, "(its classes: chat)", args)
	}
}

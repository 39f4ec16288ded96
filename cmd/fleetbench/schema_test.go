package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	js "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"
)

// fleetbench schema prints the schemas, and what sim (chat, mixed video
// and agents, repeats) and sweep write validates against them.
func TestSchemaValidatesOutputs(t *testing.T) {
	dir := t.TempDir()
	compile := func(name string) *js.Schema {
		code, out, stderr := runCLI("schema", name)
		require.Equal(t, 0, code, stderr)
		doc, err := js.UnmarshalJSON(strings.NewReader(out))
		require.NoError(t, err)
		c := js.NewCompiler()
		require.NoError(t, c.AddResource("mem://"+name, doc))
		s, err := c.Compile("mem://" + name)
		require.NoError(t, err)
		return s
	}
	result, sweep := compile("result"), compile("sweep")
	check := func(s *js.Schema, path string) {
		f, err := os.Open(path)
		require.NoError(t, err)
		defer f.Close()
		doc, err := js.UnmarshalJSON(f)
		require.NoError(t, err)
		require.NoError(t, s.Validate(doc), path)
	}
	for i, args := range [][]string{
		{"sim", "chat", "--requests", "300"},
		{"sim", "chat", "--requests", "300", "--repeat", "2"},
		{"sim", "mixed-platform", "--requests", "300"},
	} {
		p := filepath.Join(dir, "r"+string(rune('0'+i))+".json")
		code, _, stderr := runCLI(append(args, "-o", p, "--format", "json")...)
		require.Equal(t, 0, code, stderr)
		check(result, p)
	}
	p := filepath.Join(dir, "sweep.json")
	code, _, stderr := runCLI(sweepArgs("--fleet", "1P1D,2P1D", "-o", p, "-j", "2")...)
	require.Equal(t, 0, code, stderr)
	check(sweep, p)

	code, _, _ = runCLI("schema", "nope")
	require.Equal(t, 2, code)
}

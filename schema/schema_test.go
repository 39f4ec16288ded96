package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	js "github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

var update = flag.Bool("update", false, "rewrite docs/schema/*.schema.json")

func docPath(name string) string { return filepath.Join("..", "docs", "schema", name+".schema.json") }

// The checked-in schemas are the generated ones.
func TestCheckedInSchemasAreGenerated(t *testing.T) {
	for _, name := range Names {
		got, err := Generate(name)
		require.NoError(t, err)
		if *update {
			require.NoError(t, os.MkdirAll(filepath.Dir(docPath(name)), 0o755))
			require.NoError(t, os.WriteFile(docPath(name), got, 0o644))
		}
		want, err := os.ReadFile(docPath(name))
		require.NoError(t, err, "run go test ./schema -update")
		require.Equal(t, string(want), string(got), "docs/schema/%s.schema.json is stale: run go test ./schema -update", name)
	}
	_, err := Generate("nope")
	require.Error(t, err)
}

// Every result and sweep file in the repository (goldens, fixtures, the CI
// baseline) validates against its schema.
func TestGoldenFilesValidate(t *testing.T) {
	c := js.NewCompiler()
	schemas := map[string]*js.Schema{}
	for name, id := range map[string]string{"result": results.Schema, "sweep": sweepfile.Schema} {
		raw, err := Generate(name)
		require.NoError(t, err)
		doc, err := js.UnmarshalJSON(bytes.NewReader(raw))
		require.NoError(t, err)
		require.NoError(t, c.AddResource(ID(name), doc))
		s, err := c.Compile(ID(name))
		require.NoError(t, err)
		schemas[id] = s
	}
	counts := map[string]int{}
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".json") || strings.HasSuffix(path, ".schema.json") {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		var head struct {
			Schema string `json:"schema"`
		}
		if json.Unmarshal(raw, &head) != nil {
			return nil // not an object, or not JSON: not a result file
		}
		s := schemas[head.Schema]
		if s == nil {
			return nil
		}
		doc, err := js.UnmarshalJSON(bytes.NewReader(raw))
		require.NoError(t, err, path)
		require.NoError(t, s.Validate(doc), path)
		counts[head.Schema]++
		return nil
	})
	require.NoError(t, err)
	t.Logf("validated: %v", counts)
	require.Positive(t, counts[results.Schema])
}

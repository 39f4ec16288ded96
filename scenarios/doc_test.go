package scenarios

import (
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDocExamples parses the YAML examples of docs/scenarios.md: full
// scenarios must load, class snippets must load inside a minimal scenario.
func TestDocExamples(t *testing.T) {
	data, err := os.ReadFile("../docs/scenarios.md")
	require.NoError(t, err)
	blocks := strings.Split(string(data), "```yaml\n")[1:]
	require.NotEmpty(t, blocks)
	checked := 0
	for _, b := range blocks {
		src := b[:strings.Index(b, "```")]
		switch {
		case strings.HasPrefix(src, "name:"):
			_, err = Parse("doc.yaml", []byte(src), "")
		case strings.HasPrefix(src, "- name:"):
			_, err = Parse("doc.yaml", []byte("name: doc\nduration: 60\nclasses:\n"+indent(src, "  ")), "")
		case strings.HasPrefix(src, "slo:"):
			cls := "  - kind: chat\n    arrival: {process: poisson, rate: 1}\n    input: 10\n    output: 10\n" + indent(src, "    ")
			_, err = Parse("doc.yaml", []byte("name: doc\nduration: 60\nclasses:\n"+cls), "")
		case strings.HasPrefix(src, "fleet:"):
			_, err = Parse("doc.yaml", []byte(minimal+src), "")
		default:
			t.Fatalf("unclassified example:\n%s", src)
		}
		require.NoError(t, err, src)
		checked++
	}
	require.Equal(t, len(blocks), checked, "every example is checked")
}

func indent(s, pre string) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	for i, l := range lines {
		lines[i] = pre + l
	}
	return strings.Join(lines, "\n") + "\n"
}

// Package docs holds the repository's documentation; its test keeps the
// docs standing alone.
package docs

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// outside matches citations of files that are not in the repository: the
// team's design, catalog and calibration notes and the folder they came
// from. What they said lives in design.md, catalog.md and calibration.md.
var outside = regexp.MustCompile(`\b(DESIGN|CALIBRATION|CATALOG)\.md\b|\.\./shared\b|/work/shared\b`)

// TestNoCitationsOutsideTheRepo: no source, script, scenario or doc cites a
// file the repository does not carry.
func TestNoCitationsOutsideTheRepo(t *testing.T) {
	self, err := filepath.Abs("docs_test.go")
	require.NoError(t, err)
	var bad []string
	err = filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); name == ".git" || name == "bin" || name == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(path) {
		case ".go", ".md", ".yaml", ".yml", ".sh", ".txt", ".json":
		default:
			if d.Name() != "Makefile" && d.Name() != "Dockerfile" {
				return nil
			}
		}
		if abs, _ := filepath.Abs(path); abs == self {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if outside.MatchString(line) {
				bad = append(bad, path+":"+strconv.Itoa(i+1)+": "+strings.TrimSpace(line))
			}
		}
		return nil
	})
	require.NoError(t, err)
	require.Empty(t, bad, "cite docs/design.md, docs/catalog.md or docs/calibration.md instead (copy the fact there with its source)")
}

// link matches a markdown link target; code (inline or fenced) is removed
// first, since `[a](b)` there is not a link.
var (
	link = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	code = regexp.MustCompile("(?s)```.*?```|`[^`\n]*`")
)

// readDocs reads the docs a newcomer reads: docs/*.md, the README and
// deploy/k8s's README, by path relative to this folder.
func readDocs(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("*.md")
	require.NoError(t, err)
	docs := map[string]string{}
	for _, f := range append(files, "../README.md", "../deploy/k8s/README.md") {
		b, err := os.ReadFile(f)
		require.NoError(t, err)
		docs[f] = string(b)
	}
	return docs
}

// TestRelativeLinksResolve: every relative link in docs/ and the READMEs
// names a file that exists, and a heading of it when it names one.
func TestRelativeLinksResolve(t *testing.T) {
	for f, text := range readDocs(t) {
		for _, m := range link.FindAllStringSubmatch(code.ReplaceAllString(text, ""), -1) {
			target := m[1]
			if strings.Contains(target, "://") || strings.HasPrefix(target, "mailto:") {
				continue
			}
			target, frag, _ := strings.Cut(target, "#")
			path := filepath.Join(filepath.Dir(f), target)
			if target == "" { // a heading of this file
				path = f
			}
			_, err := os.Stat(path)
			require.NoError(t, err, "%s links to %s", f, m[1])
			if frag != "" && strings.HasSuffix(path, ".md") {
				b, err := os.ReadFile(path)
				require.NoError(t, err)
				require.Contains(t, anchors(string(b)), frag, "%s links to %s: no such heading", f, m[1])
			}
		}
	}
}

var (
	heading  = regexp.MustCompile(`(?m)^#{1,6}\s+(.*)$`)
	mdLink   = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	notInTag = regexp.MustCompile(`[^\p{L}\p{N}\- _]`)
)

// anchors lists a markdown file's heading anchors as GitHub writes them:
// lower case, punctuation dropped, spaces to hyphens, -1, -2 on repeats.
func anchors(md string) map[string]bool {
	out := map[string]bool{}
	seen := map[string]int{}
	fenced := regexp.MustCompile("(?s)```.*?```")
	for _, m := range heading.FindAllStringSubmatch(fenced.ReplaceAllString(md, ""), -1) {
		text := mdLink.ReplaceAllString(strings.ReplaceAll(m[1], "`", ""), "$1")
		a := strings.ReplaceAll(notInTag.ReplaceAllString(strings.ToLower(strings.TrimSpace(text)), ""), " ", "-")
		if n := seen[a]; n > 0 {
			out[a+"-"+strconv.Itoa(n)] = true
		} else {
			out[a] = true
		}
		seen[a]++
	}
	return out
}

// priceFileArg matches a command's price list argument in the docs.
var priceFileArg = regexp.MustCompile(`--price-file[ =]([^\s` + "`" + `]+)`)

// TestDocCommandsPriceFilesExist: a command the README or a doc shows with
// --price-file names a file the repository carries (run from its root), so
// it runs as written; FILE, F and other capitals are placeholders. The
// README's `sim --price-file prices.yaml` and `cost ... --price-file p.yaml`
// stopped at "open prices.yaml: no such file or directory".
func TestDocCommandsPriceFilesExist(t *testing.T) {
	for f, text := range readDocs(t) {
		for _, m := range priceFileArg.FindAllStringSubmatch(text, -1) {
			if strings.ToUpper(m[1]) == m[1] {
				continue
			}
			_, err := os.Stat(filepath.Join("..", m[1]))
			require.NoError(t, err, "%s: --price-file %s: no such file in the repository", f, m[1])
		}
	}
}

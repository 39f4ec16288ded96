package deploy

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/stretchr/testify/require"
)

// TestCIRecipe runs scripts/ci-recipe.sh (docs/ci.md's steps) with the
// static image binary against `fleetbench serve` on loopback: serve, run
// the CI scenario (~4 s), gate against the stored baseline. Then the same
// compare with a gate the run cannot meet exits 1, which is what fails a
// CI job.
func TestCIRecipe(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a 4 s scenario against serve")
	}
	bin := build(t, "0")
	out := t.TempDir()
	cmd := exec.Command("bash", "../scripts/ci-recipe.sh")
	// The recipe's own gates (±25% on medians) hold on a quiet machine;
	// `make test` also runs on a loaded two-core box, where this test
	// checks the wiring, so its latency gates leave room for the host.
	gates := "error_rate>+0.01,cache_hit_rate<-0.05,requests<-0%,ttft.p50>+100%,tpot.p50>+100%"
	cmd.Env = append(os.Environ(), "FLEETBENCH="+bin, "OUT="+out, "GATES="+gates)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "ci-recipe.sh:\n%s", b)
	require.Contains(t, string(b), "PASS")
	for _, f := range []string{"current.json", "current.jsonl", "compare.md"} {
		require.FileExists(t, filepath.Join(out, f))
	}

	gate := exec.Command(bin, "compare", "ci/baseline.json", filepath.Join(out, "current.json"), "--fail-on", "ttft.p50>-50%")
	b, err = gate.CombinedOutput()
	var exit *exec.ExitError
	require.ErrorAs(t, err, &exit, "%s", b)
	require.Equal(t, 1, exit.ExitCode(), "a failed gate exits 1:\n%s", b)
}

// fence matches a fenced yaml block of docs/ci.md.
var fence = regexp.MustCompile("(?s)```yaml\n(.*?)```")

// TestCIDocs: the GitHub Actions workflow and the GitLab job in docs/ci.md
// are valid YAML, do the recipe's three steps (serve, run, compare with
// gates), and use only flags the commands have.
func TestCIDocs(t *testing.T) {
	doc, err := os.ReadFile("../docs/ci.md")
	require.NoError(t, err)
	blocks := fence.FindAllStringSubmatch(string(doc), -1)
	require.Len(t, blocks, 2, "a GitHub Actions workflow and a GitLab job")
	bin := build(t, "1")
	helps := map[string]string{}
	for i, blk := range blocks {
		var v map[string]any
		require.NoError(t, yaml.Unmarshal([]byte(blk[1]), &v), "block %d", i+1)
		for _, step := range []string{"fleetbench serve ", "fleetbench run ", "fleetbench compare ", "--fail-on"} {
			require.Contains(t, blk[1], step, "block %d", i+1)
		}
		for _, line := range strings.Split(blk[1], "\n") {
			_, cmdline, ok := strings.Cut(line, "fleetbench ")
			if !ok {
				continue
			}
			fields := strings.Fields(cmdline)
			sub := fields[0]
			if sub != "serve" && sub != "run" && sub != "compare" {
				continue
			}
			if helps[sub] == "" {
				b, err := exec.Command(bin, sub, "--help").CombinedOutput()
				require.NoError(t, err, "%s", b)
				helps[sub] = string(b)
			}
			for _, f := range fields[1:] {
				if name, ok := strings.CutPrefix(f, "--"); ok {
					name, _, _ = strings.Cut(name, "=")
					require.Contains(t, helps[sub], "--"+name+" ", "docs/ci.md block %d: fleetbench %s has no flag --%s", i+1, sub, name)
				}
			}
		}
	}
}

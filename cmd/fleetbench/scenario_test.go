package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// The -update flag is shared with other golden tests of this package.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "regenerate golden files")
	}
}

func scenarioGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "scenario", name)
	if f := flag.Lookup("update"); f != nil && f.Value.String() == "true" {
		require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./cmd/fleetbench -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

func scenarioCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = execute(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestScenarioGolden(t *testing.T) {
	for _, tc := range []struct {
		golden string
		args   []string
	}{
		{"list.txt", []string{"scenario", "list"}},
		{"show-chat.yaml", []string{"scenario", "show", "chat"}},
		{"show-video-burst.yaml", []string{"scenario", "show", "video-burst"}},
		{"sample-chat.jsonl", []string{"scenario", "sample", "chat", "-n", "5"}},
		{"sample-agent-research.txt", []string{"scenario", "sample", "agent-research", "-n", "25", "--format", "table"}},
		{"sample-video-seed7.jsonl", []string{"scenario", "sample", "video-burst", "-n", "3", "--seed", "7"}},
		{"sample-mooncake.txt", []string{"scenario", "sample", "mooncake-conversation", "-n", "5", "--format", "table"}},
		{"stats-mixed.txt", []string{"scenario", "stats", "mixed-platform", "-n", "5000"}},
	} {
		t.Run(tc.golden, func(t *testing.T) {
			code, out, errs := scenarioCLI(t, tc.args...)
			require.Equal(t, 0, code, errs)
			scenarioGolden(t, tc.golden, []byte(out))
		})
	}
}

func TestScenarioListShowsEveryBuiltin(t *testing.T) {
	_, out, _ := scenarioCLI(t, "scenario", "list")
	for _, name := range []string{"chat", "agent-coding", "agent-research", "video-burst", "mixed-platform", "mooncake-conversation"} {
		require.Contains(t, out, name+" ")
		code, vout, verr := scenarioCLI(t, "scenario", "validate", name)
		require.Equal(t, 0, code, verr)
		require.True(t, strings.HasPrefix(vout, "ok "+name))
	}
}

func TestScenarioSampleDeterministic(t *testing.T) {
	for _, name := range []string{"chat", "agent-research", "mixed-platform"} {
		_, a, _ := scenarioCLI(t, "scenario", "sample", name, "-n", "300", "--seed", "42")
		_, b, _ := scenarioCLI(t, "scenario", "sample", name, "-n", "300", "--seed", "42")
		_, c, _ := scenarioCLI(t, "scenario", "sample", name, "-n", "300", "--seed", "43")
		require.Equal(t, a, b, "%s: same seed, same bytes", name)
		require.NotEqual(t, a, c, "%s: another seed, other requests", name)
		require.Equal(t, 300, strings.Count(a, "\n"))
	}
}

const goodScenario = `name: t
duration: 60
classes:
  - kind: chat
    arrival: {process: poisson, rate: 2}
    input: 100
    output: 20
`

// TestScenarioValidateBadInput: a misspelled key, a negative rate and a
// wrong type each exit 2 with file:line:col.
func TestScenarioValidateBadInput(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	require.NoError(t, os.WriteFile(good, []byte(goodScenario), 0o644))
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"misspelled key", "arrival:", "arrivl:", `:5:5: unknown key "arrivl" in classes[0] (did you mean "arrival"?)`},
		{"negative rate", "rate: 2", "rate: -2", `:5:33: classes[0].arrival.rate: rate is negative (-2)`},
		{"wrong type", "output: 20", "output: [20]", `:7:13: output: expected a mapping (key: value pairs), got a list`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bad := filepath.Join(dir, strings.ReplaceAll(tc.name, " ", "-")+".yaml")
			require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(goodScenario, tc.old, tc.new, 1)), 0o644))
			code, out, errs := scenarioCLI(t, "scenario", "validate", good, bad)
			require.Equal(t, 2, code)
			require.Contains(t, out, "ok "+good)
			require.Contains(t, errs, bad+tc.want)
			require.Contains(t, errs, "1 of 2 scenario files are invalid")
			// Every command that reads a scenario reports the same way.
			for _, cmd := range []string{"show", "sample", "stats"} {
				code, _, errs := scenarioCLI(t, "scenario", cmd, bad)
				require.Equal(t, 2, code, cmd)
				require.Contains(t, errs, bad+tc.want, cmd)
			}
		})
	}
}

func TestScenarioUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"scenario", "show", "no-such-scenario"},
		{"scenario", "sample", "chat", "--format", "xml"},
		{"scenario", "sample", "chat", "-n", "0"},
		{"scenario", "stats"},
		{"scenario", "validate"},
	} {
		code, _, errs := scenarioCLI(t, args...)
		require.Equal(t, 2, code, "%v: %s", args, errs)
		require.NotEmpty(t, errs)
	}
}

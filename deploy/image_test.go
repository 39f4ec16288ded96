// Package deploy holds the deployment recipes: the container image
// (../Dockerfile, built by ../scripts/build.sh), the CI recipe
// (../docs/ci.md, ../scripts/ci-recipe.sh, ci/) and the Kubernetes example
// (k8s/). Its tests build the binary exactly as the image does, in both
// variants, and run the CI recipe against `fleetbench serve` on loopback.
package deploy

import (
	"bufio"
	"debug/elf"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
)

// binaries caches the binaries built by scripts/build.sh, by NVML value.
var (
	binMu    sync.Mutex
	binaries = map[string]string{}
	binDir   string
)

func TestMain(m *testing.M) {
	var err error
	binDir, err = os.MkdirTemp("", "fleetbench-deploy-")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(binDir)
	os.Exit(code)
}

// build runs scripts/build.sh (what the Dockerfile runs) with NVML=nvml and
// returns the binary.
func build(t *testing.T, nvml string) string {
	t.Helper()
	binMu.Lock()
	defer binMu.Unlock()
	if b, ok := binaries[nvml]; ok {
		return b
	}
	out := filepath.Join(binDir, "fleetbench-nvml"+nvml)
	cmd := exec.Command("sh", "../scripts/build.sh", out)
	cmd.Env = append(os.Environ(), "NVML="+nvml, "VERSION=test-"+nvml)
	b, err := cmd.CombinedOutput()
	require.NoError(t, err, "scripts/build.sh with NVML=%s:\n%s", nvml, b)
	binaries[nvml] = out
	return out
}

// TestImageBinaryVariants builds both image variants the Dockerfile's way:
// NVML=0 is a static binary (no ELF interpreter, so it runs on a scratch
// image) whose GPU telemetry says it was built without cgo; NVML=1 links
// through cgo and reaches NVML (which is absent here, and says so).
func TestImageBinaryVariants(t *testing.T) {
	for _, tc := range []struct {
		nvml   string
		static bool
		gpu    string
	}{
		{"0", true, "built without cgo"},
		{"1", false, "NVML"},
	} {
		t.Run("NVML="+tc.nvml, func(t *testing.T) {
			bin := build(t, tc.nvml)
			f, err := elf.Open(bin)
			require.NoError(t, err)
			interp := false
			for _, p := range f.Progs {
				interp = interp || p.Type == elf.PT_INTERP
			}
			f.Close()
			require.Equal(t, !tc.static, interp, "dynamically linked (has an ELF interpreter)")

			out, err := exec.Command(bin, "version").CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Contains(t, string(out), "test-"+tc.nvml, "VERSION is stamped")

			out, _ = exec.Command(bin, "gpu", "info").CombinedOutput()
			require.Contains(t, string(out), tc.gpu)
			if tc.static {
				return
			}
			require.NotContains(t, string(out), "built without cgo")
		})
	}
}

// TestDockerfile: the image builds the binary with scripts/build.sh (so the
// test above covers it), defaults to the static variant, picks its runtime
// base by the NVML argument, and runs as a non-root user.
func TestDockerfile(t *testing.T) {
	f, err := os.Open("../Dockerfile")
	require.NoError(t, err)
	defer f.Close()
	var froms, users, runs []string
	args := map[string]string{}
	sc := bufio.NewScanner(f)
	var cont strings.Builder
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if l, ok := strings.CutSuffix(line, "\\"); ok {
			cont.WriteString(l + " ")
			continue
		}
		line = cont.String() + line
		cont.Reset()
		instr, rest, _ := strings.Cut(line, " ")
		switch strings.ToUpper(instr) {
		case "FROM":
			froms = append(froms, rest)
		case "USER":
			users = append(users, rest)
		case "RUN":
			runs = append(runs, rest)
		case "ARG":
			k, v, _ := strings.Cut(rest, "=")
			if _, seen := args[k]; !seen || v != "" {
				args[k] = v
			}
		}
	}
	require.NoError(t, sc.Err())
	require.GreaterOrEqual(t, len(froms), 3, "multi-stage: a build stage and runtime stages")
	require.Equal(t, "runtime-${NVML}", froms[len(froms)-1], "the final stage is chosen by the NVML build argument")
	require.Contains(t, froms, "scratch AS runtime-0", "NVML=0 runs the static binary on an empty base")
	require.Contains(t, froms, "debian:bookworm-slim AS runtime-1", "NVML=1 needs glibc for cgo")
	require.Equal(t, "0", args["NVML"], "the default image is the static one")
	built := false
	for _, r := range runs {
		built = built || regexp.MustCompile(`NVML=\$\{NVML\} .*sh scripts/build\.sh /out/fleetbench`).MatchString(r)
	}
	require.True(t, built, "the binary is built by scripts/build.sh with the NVML argument: %q", runs)
	require.NotEmpty(t, users)
	require.Equal(t, "65532:65532", users[len(users)-1], "the image runs as a non-root user")
}

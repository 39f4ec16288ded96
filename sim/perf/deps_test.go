package perf

import (
	"os/exec"
	"strings"
	"testing"
)

// TestPureDeps keeps the roofline model a pure computation: it links the
// hardware and model catalogs only, never the NVML sampler, the HDR
// histograms of the results package or a YAML decoder (issue 10). It asks
// the go tool, so it sees the whole transitive closure.
func TestPureDeps(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool on PATH")
	}
	out, err := exec.Command("go", "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	const mod = "github.com/fleetbench/fleetbench/"
	allowed := map[string]bool{mod + "hardware": true, mod + "sim/models": true, mod + "sim/perf": true}
	for _, p := range strings.Fields(string(out)) {
		if !strings.Contains(p, ".") {
			continue // standard library
		}
		if !allowed[p] {
			t.Errorf("sim/perf depends on %s: keep it to the standard library, hardware and sim/models", p)
		}
	}
}

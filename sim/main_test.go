package sim

import (
	"os"
	"testing"

	"github.com/fleetbench/fleetbench/internal/thp"
)

// TestMain runs the package's tests and benchmarks with the huge-page
// collapser on, as the fleetbench command runs the simulator (main.go):
// the benchmarks' figures (make bench-sim, make bench-scale) are the
// command's. FLEETBENCH_HUGEPAGES=off measures without it.
func TestMain(m *testing.M) {
	stop := thp.Start()
	code := m.Run()
	stop()
	os.Exit(code)
}

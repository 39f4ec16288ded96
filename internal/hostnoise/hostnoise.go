// Package hostnoise lets wall-clock tests tell a busy host from slow code.
// The machine that runs `make test` is shared (two cores, other jobs, the
// race detector): a process descheduled for milliseconds shows up as
// latency that is not the program's. Tests that hold wall-clock timings to
// a bound measure the host with Probe and widen the bound by what it
// demonstrably adds, or, on a busy host, log a miss instead of failing;
// `make test-realtime` (FLEETBENCH_REALTIME set, Strict) gates them
// always. Tests import this package, and internal/cmd/agreement (make
// demo, make agreement) to call a miss on a busy host inconclusive.
package hostnoise

import (
	"os"
	"slices"
	"time"
)

// Quiet is the timer overshoot (p99) below which the host counts as quiet.
const Quiet = 500 * time.Microsecond

// Probe sleeps 200 µs a hundred times and returns the p99 overshoot, or 0
// when it is under Quiet. A process that is runnable but not running for
// 5 ms (a two-core machine at load 8) delays a client and a server alike.
func Probe() time.Duration {
	over := make([]time.Duration, 0, 100)
	for range 100 {
		t0 := time.Now()
		time.Sleep(200 * time.Microsecond)
		over = append(over, time.Since(t0)-200*time.Microsecond)
	}
	slices.Sort(over)
	p99 := over[98]
	if p99 < Quiet {
		return 0
	}
	return p99
}

// Strict reports whether wall-clock bounds are gated whatever the host's
// noise: FLEETBENCH_REALTIME is set (`make test-realtime`).
func Strict() bool { return os.Getenv("FLEETBENCH_REALTIME") != "" }

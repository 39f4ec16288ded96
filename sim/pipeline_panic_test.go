package sim

import (
	"runtime"
	"testing"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/stretchr/testify/require"
)

// A panic in a batch run, on the consumer's goroutine (the records sink
// here, or Summary) or on the loop's (Progress here, or an engine bug),
// reaches Run's caller on the caller's goroutine, pipelined as serial, and
// leaves no goroutine behind: sweep recovers a point's panic into the
// point's error and goes on with the others.
func TestPipelinePanicReachesCaller(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	sc := mustBuiltin(t, "chat")
	for _, where := range []string{"sink", "loop"} {
		for _, serial := range []bool{true, false} {
			before := runtime.NumGoroutine()
			cfg := Config{Fleet: "2C", Model: "llama-3.1-8b", Serial: serial}
			if where == "sink" {
				cfg.Records = func(*results.Record) error { panic("bug in " + where) }
			} else {
				cfg.Records = func(*results.Record) error { return nil }
				cfg.Progress = func(int64, uint64) { panic("bug in " + where) }
			}
			require.PanicsWithValue(t, "bug in "+where, func() {
				_, _, _ = Run(sc, cfg, scenarios.WorkloadOptions{Requests: 2000})
			}, "%s, serial=%v", where, serial)
			// Both goroutines are waited for; only their exit may lag.
			for end := time.Now().Add(5 * time.Second); runtime.NumGoroutine() > before && time.Now().Before(end); {
				time.Sleep(time.Millisecond)
			}
			require.LessOrEqual(t, runtime.NumGoroutine(), before, "%s, serial=%v: goroutines left running", where, serial)
		}
	}
}

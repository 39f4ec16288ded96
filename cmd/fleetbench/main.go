// Command fleetbench benchmarks and simulates LLM and video-generation
// serving fleets from one scenario file.
package main

import (
	"fmt"
	"os"

	"github.com/fleetbench/fleetbench/internal/thp"
)

func main() {
	// Huge pages for the simulator's heap: a large fleet's state is read
	// at random, and on 4 KB pages most of its cache misses are TLB
	// misses too (internal/thp).
	stopTHP := thp.Start()
	code := execute(os.Args[1:], os.Stdout, os.Stderr)
	stopTHP()
	os.Exit(code)
}

// exitCode carries a specific process exit status through cobra.
type exitCode struct {
	code int
	err  error
}

func (e *exitCode) Error() string { return e.err.Error() }
func (e *exitCode) Unwrap() error { return e.err }

// usageErr marks bad input from the user: exit status 2.
func usageErr(err error) error { return &exitCode{code: 2, err: err} }

func printErr(stderr interface{ Write([]byte) (int, error) }, err error) {
	fmt.Fprintln(stderr, "fleetbench:", err)
}

// failErr marks a runtime failure (I/O, a failed gate): exit status 1.
func failErr(err error) error { return &exitCode{code: 1, err: err} }

//go:build !cgo

package gpu

import "fmt"

// openNVML in a build without cgo: go-nvml needs cgo to call the driver,
// so telemetry reports itself unavailable and everything else works.
func openNVML() (session, error) {
	return nil, fmt.Errorf("%w: this fleetbench was built without cgo (CGO_ENABLED=0); rebuild with CGO_ENABLED=1 to record GPU telemetry", ErrNoNVML)
}

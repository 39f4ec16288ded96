//go:build !unix

package runners

import "time"

// processCPU is not measured here: the sender pool is never held back.
func processCPU() (time.Duration, bool) { return 0, false }

package scenarios

import (
	"fmt"
	"math/rand/v2"
)

// newTraceSource opens the class's trace file.
func newTraceSource(ci classInfo, t *TraceSpec, baseDir string, scale float64, rng *rand.Rand) (source, error) {
	rd, err := openTrace(t, baseDir)
	if err != nil {
		return nil, err
	}
	return newTraceSourceFrom(ci, t, rd, scale, rng), nil
}

// openTrace is wired to the trace package once its readers land.
func openTrace(t *TraceSpec, baseDir string) (traceReader, error) {
	return nil, fmt.Errorf("trace replay of %s is not available in this build yet", t.File)
}

package scenarios

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"

	"github.com/fleetbench/fleetbench/scenarios/trace"
)

// newTraceSource opens the class's trace file (embedded or on disk) and
// replays it incrementally.
func newTraceSource(ci classInfo, t *TraceSpec, baseDir string, scale float64, rng *rand.Rand) (source, error) {
	rd, err := openTrace(t, baseDir)
	if err != nil {
		return nil, err
	}
	return newTraceSourceFrom(ci, t, rd, scale, rng), nil
}

// entryReader adapts a trace.Reader to traceReader. Arrival times must be
// nondecreasing, so a line recorded out of order is sent at the latest
// earlier timestamp (and a negative time at 0).
type entryReader struct {
	r    trace.Reader
	c    io.Closer
	last int64
}

func (e *entryReader) next() (traceEntry, error) {
	en, err := e.r.Next()
	if err != nil {
		return traceEntry{}, err
	}
	e.last = max(e.last, en.Time)
	return traceEntry{at: e.last, input: en.Input, output: en.Output, hashIDs: en.HashIDs, line: en.Line}, nil
}

func (e *entryReader) Close() error { return e.c.Close() }

func openTrace(t *TraceSpec, baseDir string) (traceReader, error) {
	if name, ok := strings.CutPrefix(t.File, builtinTracePrefix); ok {
		f, err := builtinFS.Open("builtin/" + name)
		if err != nil {
			return nil, fmt.Errorf("no embedded trace %q (embedded traces: %s)", name, strings.Join(builtinTraces(), ", "))
		}
		br := bufio.NewReaderSize(f, 64<<10)
		var r trace.Reader
		switch t.Format {
		case "mooncake":
			r = trace.NewMooncakeReader(br, t.File)
		case "azure":
			r = trace.NewAzureReader(br, t.File)
		default:
			f.Close()
			return nil, fmt.Errorf("%s: unknown trace format %q", t.File, t.Format)
		}
		return &entryReader{r: r, c: f}, nil
	}
	r, c, err := trace.Open(resolvePath(t.File, baseDir), t.Format)
	if err != nil {
		return nil, err
	}
	return &entryReader{r: r, c: c}, nil
}

package sim

import (
	"errors"
	"fmt"
	"time"

	"github.com/fleetbench/fleetbench/results"
)

// errInterrupted ends the loop (through engine.err, which it already
// checks, so no event pays for the stop) once Config.Stop is closed;
// RunSource turns it into an interrupted result, never an error.
var errInterrupted = errors.New("sim: interrupted")

// stopRequested reports whether Config.Stop is closed and, if so, ends the
// loop after the current event. It runs at each timeline sample while
// anything remains to simulate (a run that is complete is not marked
// interrupted): once per SampleInterval of virtual time, never per event.
func (e *engine) stopRequested() bool {
	select {
	case <-e.cfg.Stop: // a nil Stop is never ready
		if e.err == nil {
			e.err = errInterrupted
		}
		return true
	default:
		return false
	}
}

// takeInterrupt reports whether the loop ended on Config.Stop; if so it
// clears the stop from e.err and ends the measurement window at the stop,
// as the last arrival would have (a window the last arrival already ended
// stays as it is: only the drain was cut short; a stop at or before the
// warm-up's end leaves no window: nothing was measured).
func (e *engine) takeInterrupt() bool {
	if e.err != errInterrupted {
		return false
	}
	e.err = nil
	e.stats.Interrupted = true
	if !e.marks.endTaken && e.now > int64(e.sc.Warmup) {
		e.markArrival(true)
	}
	return true
}

// markInterrupted marks an interrupted run's result as run marks its own
// (extra.interrupted and a warning), saying where the simulation stopped.
func (e *engine) markInterrupted(res *results.Result) {
	at := time.Duration(e.now)
	w := fmt.Sprintf("simulation interrupted at virtual time %s: the result covers the part simulated (the measurement window ends at the stop, or at the last arrival if every request had arrived); the %d requests started and not finished are not counted, so the latencies miss the slowest requests", at, e.inflight)
	if e.now <= int64(e.sc.Warmup) {
		w = fmt.Sprintf("simulation interrupted at virtual time %s, before the measurement window began (warm-up %s): nothing was measured", at, time.Duration(e.sc.Warmup))
	}
	res.MarkInterrupted(w)
}

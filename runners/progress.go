package runners

import (
	"fmt"
	"io"
	"time"

	"github.com/fleetbench/fleetbench/results"
)

// startProgress starts the live progress display and returns the function
// that stops it (after printing a final line). A simple in-place redraw
// ("\r" + clear line) on a terminal rather than a progress-bar library: an
// open-loop run has no known total to draw a bar against, and one line of
// counters needs no dependency. Not on a terminal, a plain line is written
// every ProgressInterval so CI logs stay readable.
func (x *run) startProgress() (stop func()) {
	w := x.cfg.Progress
	if w == nil {
		return func() {}
	}
	quit := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(x.cfg.ProgressInterval)
		defer t.Stop()
		var prevDone int64
		prevT := time.Now()
		for {
			select {
			case <-quit:
				s := x.sink.snapshot()
				x.printProgress(w, s, -1)
				if x.cfg.ProgressTTY {
					fmt.Fprintln(w)
				}
				return
			case now := <-t.C:
				s := x.sink.snapshot()
				rate := float64(s.done-prevDone) / now.Sub(prevT).Seconds()
				prevDone, prevT = s.done, now
				x.printProgress(w, s, rate)
			}
		}
	}()
	return func() {
		close(quit)
		<-finished
	}
}

// printProgress writes one progress line; rate < 0 means "final" (the
// overall rate is shown instead of the current one).
func (x *run) printProgress(w io.Writer, s snapshot, rate float64) {
	line := progressLine(time.Duration(x.caller.now()), s, rate)
	if x.cfg.ProgressTTY {
		fmt.Fprintf(w, "\r\033[K%s", line)
		return
	}
	fmt.Fprintln(w, line)
}

// progressLine is the progress line at elapsed time el; rate < 0 means
// "final" (the overall rate). Before any first token (none yet, every
// request failed, or --no-stream) the TTFT reads "-", not 0.
func progressLine(el time.Duration, s snapshot, rate float64) string {
	el = el.Truncate(100 * time.Millisecond)
	if rate < 0 && el > 0 {
		rate = float64(s.done) / el.Seconds()
	}
	line := fmt.Sprintf("%8s  done %d  in flight %d  errors %d", el, s.done, s.inflight, s.errors)
	if s.dropped > 0 {
		line += fmt.Sprintf(" (dropped %d)", s.dropped)
	}
	line += fmt.Sprintf("  %.1f req/s  TTFT p50 ", rate)
	if s.hasTTFT {
		line += fmt.Sprintf("%.1f ms", s.ttftP50Ms)
	} else {
		line += "-"
	}
	if s.delayP99Ms > results.ClientSaturatedP99Ms {
		line += fmt.Sprintf("  CLIENT SATURATED (schedule delay p99 %.0f ms)", s.delayP99Ms)
	}
	return line
}

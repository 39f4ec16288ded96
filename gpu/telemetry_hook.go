package gpu

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/fleetbench/fleetbench/results"
)

// Hook runs a Sampler around a benchmark run. It has the runner's hook
// shape (runners.Hook: Start before the first request with the run's time
// origin, Stop after the last with the result), without importing the
// runner, so `run` wires telemetry in with:
//
//	s, err := gpu.TelemetryFromFlag(flagValue) // bad value: exit 2
//	cfg.Hooks = append(cfg.Hooks, s.Hook(stderr))
type Hook struct {
	s      *Sampler
	status io.Writer
}

// Hook returns the run hook for s. status (may be nil) gets one line at
// Start saying whether telemetry is recorded and, if not, why, and one
// line at Stop with the summary.
func (s *Sampler) Hook(status io.Writer) *Hook { return &Hook{s: s, status: status} }

// Start starts sampling with the run's start as the timeline origin. It
// never returns an error: a machine without NVML or GPUs runs on.
func (h *Hook) Start(ctx context.Context, start time.Time) error {
	h.s.mu.Lock()
	if !h.s.started {
		h.s.opts.Epoch = start
	}
	off := h.s.opts.Disabled
	h.s.mu.Unlock()
	h.s.Start(ctx)
	if h.status != nil && !off {
		fmt.Fprintln(h.status, h.s.StatusLine())
	}
	return nil
}

// Stop stops sampling and stores the telemetry in res (nil when the run
// was aborted), with the energy per output token. With telemetry off
// (--gpu-telemetry off) res is left without a telemetry section.
func (h *Hook) Stop(res *results.Result) error {
	t := h.s.Stop()
	if t.Status == results.TelemetryOff || res == nil {
		return nil
	}
	t.Finish(RunOutputTokens(res))
	res.Telemetry = t
	if h.status != nil && t.Recorded() {
		fmt.Fprintln(h.status, t.StatusLine())
	}
	return nil
}

// RunOutputTokens is the output tokens generated over the whole run,
// warm-up included, to match the energy, which the sampler measures over
// the whole run too: the sum of the result timeline's output tokens, or
// the totals when there is no timeline.
func RunOutputTokens(res *results.Result) int64 {
	if res == nil {
		return 0
	}
	if res.Timeline != nil {
		var n int64
		for _, v := range res.Timeline.OutputTokens {
			n += v
		}
		if n > 0 {
			return n
		}
	}
	if res.Totals != nil {
		_, _, out := res.Totals.Tokens()
		return out
	}
	return 0
}

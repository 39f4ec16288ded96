package runners

import (
	"io"
	"sync"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/fleetbench/fleetbench/results"
)

// sink receives every finished record: it feeds the summary (which is not
// safe for concurrent use, hence the mutex), the optional records writer
// and the counters the progress display shows.
type sink struct {
	mu      sync.Mutex
	summary *results.Summary
	write   func(*results.Record) error
	werr    error
	tok     tokenTally
	warn    io.Writer // first token-count mismatch
	tkName  string
	redact  redactor // secrets of the target and credentials, cut from error messages

	done, errors, dropped, cancelled int64
	inflight                         int64
	ttft                             *hdr.Histogram // µs, for the live p50
	delay                            *hdr.Histogram // µs schedule delay, for the live saturation flag
}

func newSink(s *results.Summary, write func(*results.Record) error) *sink {
	return &sink{summary: s, write: write,
		ttft:  hdr.New(1, 3_600_000_000, 2),
		delay: hdr.New(1, 3_600_000_000, 2)}
}

// add records one finished request.
func (k *sink) add(r *results.Record) {
	if r.Error != "" {
		r.Error = k.redact.Apply(r.Error)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.summary.Add(r)
	k.tok.add(r, k.warn, k.tkName)
	if k.write != nil && k.werr == nil {
		k.werr = k.write(r)
	}
	k.done++
	switch {
	case r.ErrorClass == ClassDropped:
		k.dropped++
		k.errors++
	case r.ErrorClass == ClassCancelled:
		k.cancelled++
		k.errors++
	case !r.OK():
		k.errors++
	}
	if v, ok := r.TTFT(); ok {
		_ = k.ttft.RecordValue(max(v/1000, 1))
	}
	if v, ok := r.ScheduleDelay(); ok && r.ErrorClass != ClassDropped {
		_ = k.delay.RecordValue(max(v/1000, 1))
	}
}

// started and ended track requests on the wire.
func (k *sink) started() {
	k.mu.Lock()
	k.inflight++
	k.mu.Unlock()
}

func (k *sink) ended() {
	k.mu.Lock()
	k.inflight--
	k.mu.Unlock()
}

// snapshot is what the progress display shows.
type snapshot struct {
	done, inflight, errors, dropped, cancelled int64
	ttftP50Ms, delayP99Ms                      float64
}

func (k *sink) snapshot() snapshot {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := snapshot{done: k.done, inflight: k.inflight, errors: k.errors, dropped: k.dropped, cancelled: k.cancelled}
	if k.ttft.TotalCount() > 0 {
		s.ttftP50Ms = float64(k.ttft.ValueAtQuantile(50)) / 1000
	}
	if k.delay.TotalCount() > 0 {
		s.delayP99Ms = float64(k.delay.ValueAtQuantile(99)) / 1000
	}
	return s
}

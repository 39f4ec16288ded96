package runners

import (
	"io"
	"sync"
	"sync/atomic"

	hdr "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/fleetbench/fleetbench/results"
)

// sink receives every finished record: it feeds the summary (which is not
// safe for concurrent use, hence the mutex), the optional records writer
// and the counters the progress display shows.
//
// Once started, records are aggregated by a goroutine of the sink's own:
// senders hand them over a buffered channel and go back to sending. Were
// senders to aggregate under the lock themselves, one preempted while
// holding it (the OS takes the CPU away on a busy machine) would hold up
// every other sender, and requests would go out late for want of a lock.
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
	inflight                         atomic.Int64
	ttft                             *hdr.Histogram // µs, for the live p50
	delay                            *hdr.Histogram // µs schedule delay, for the live saturation flag

	q       chan *results.Record // records for the aggregator (nil: add aggregates at once)
	stopped chan struct{}        // closed when the aggregator has taken every record
}

// sinkQueue bounds the records handed over and not yet aggregated (a full
// queue makes senders wait, so memory stays bounded).
const sinkQueue = 4096

// sinkBatch is how many queued records the aggregator takes per lock.
const sinkBatch = 256

func newSink(s *results.Summary, write func(*results.Record) error) *sink {
	return &sink{summary: s, write: write,
		ttft:  hdr.New(1, 3_600_000_000, 2),
		delay: hdr.New(1, 3_600_000_000, 2)}
}

// start hands aggregation to a goroutine; stop waits for it to finish.
func (k *sink) start() {
	k.q = make(chan *results.Record, sinkQueue)
	k.stopped = make(chan struct{})
	go func() {
		defer close(k.stopped)
		for r := range k.q {
			k.mu.Lock()
			k.aggregate(r)
		more:
			for range sinkBatch - 1 {
				select {
				case r, ok := <-k.q:
					if !ok {
						break more
					}
					k.aggregate(r)
				default:
					break more
				}
			}
			k.mu.Unlock()
		}
	}()
}

// stop waits until every record added has been aggregated; call it once
// nothing adds any more.
func (k *sink) stop() {
	if k.q == nil {
		return
	}
	close(k.q)
	<-k.stopped
	k.q = nil
}

// add records one finished request.
func (k *sink) add(r *results.Record) {
	if k.q != nil {
		k.q <- r
		return
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	k.aggregate(r)
}

// aggregate adds r to the summary, the records file and the counters
// (k.mu held).
func (k *sink) aggregate(r *results.Record) {
	if r.Error != "" {
		r.Error = k.redact.Apply(r.Error)
	}
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
func (k *sink) started() { k.inflight.Add(1) }

func (k *sink) ended() { k.inflight.Add(-1) }

// snapshot is what the progress display shows.
type snapshot struct {
	done, inflight, errors, dropped, cancelled int64
	ttftP50Ms, delayP99Ms                      float64
	hasTTFT                                    bool // some first token was seen
}

func (k *sink) snapshot() snapshot {
	k.mu.Lock()
	defer k.mu.Unlock()
	s := snapshot{done: k.done, inflight: k.inflight.Load(), errors: k.errors, dropped: k.dropped, cancelled: k.cancelled}
	if k.ttft.TotalCount() > 0 {
		s.hasTTFT = true
		s.ttftP50Ms = float64(k.ttft.ValueAtQuantile(50)) / 1000
	}
	if k.delay.TotalCount() > 0 {
		s.delayP99Ms = float64(k.delay.ValueAtQuantile(99)) / 1000
	}
	return s
}

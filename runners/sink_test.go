package runners

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// Records handed to a started sink from many goroutines are all
// aggregated, in the summary and the records file, once stop returns.
func TestSinkAggregatesAfterStop(t *testing.T) {
	var mu sync.Mutex
	written := 0
	k := newSink(results.NewSummary(nil, 0), func(*results.Record) error {
		mu.Lock()
		written++
		mu.Unlock()
		return nil
	})
	k.start()
	var wg sync.WaitGroup
	const senders, each = 8, sinkQueue // more than the queue holds
	for g := range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				k.started()
				rec := &results.Record{ID: uint64(g*each + i), Class: "c", Kind: "chat", Sent: 1, LastToken: 2, OutputTokens: 1, Status: 200}
				if i%10 == 0 {
					rec.ErrorClass, rec.Error = ClassHTTP5xx, "HTTP 500"
				}
				k.ended()
				k.add(rec)
			}
		}()
	}
	wg.Wait()
	k.stop()
	s := k.snapshot()
	require.Equal(t, int64(senders*each), s.done)
	require.Equal(t, int64(senders*((each+9)/10)), s.errors) // i = 0, 10, 20, ...
	require.Zero(t, s.inflight)
	require.Equal(t, senders*each, written)
	k.add(&results.Record{ID: 1}) // stopped: aggregated at once
	require.Equal(t, int64(senders*each+1), k.snapshot().done)
}

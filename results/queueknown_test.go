package results

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// sim mixed-platform --requests 200: chat's 169 requests never waited
// (queue 0, measured by the simulator) and coding's 141 did. The table
// showed chat's queue as "-" (not measured) and the totals' queue over
// coding's 141 requests only. The simulator sees every wait: an all-zero
// queue there is "no wait", in the class and in the totals.
func TestSimQueueZeroIsMeasured(t *testing.T) {
	for _, tc := range []struct {
		backend string
		chat    bool  // chat's queue present
		total   int64 // requests in the totals' queue
	}{
		{"sim", true, 20},
		// A client cannot see a server's queue: zeros there are unknown.
		{"endpoint", false, 10},
	} {
		t.Run(tc.backend, func(t *testing.T) {
			s := NewSummary(nil, 0)
			for i := range int64(10) {
				at := i * 1e8
				s.Add(&Record{Class: "chat", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 5e7, LastToken: at + 6e7, OutputTokens: 2, TaskDone: true})
				s.Add(&Record{Class: "coding", Kind: "chat", Intended: at, Sent: at, QueueNs: (i + 1) * 1e6, FirstToken: at + 5e7, LastToken: at + 6e7, OutputTokens: 2, TaskDone: true})
			}
			res := s.Result(Meta{Backend: tc.backend})
			require.Equal(t, tc.chat, res.Classes["chat"].Queue != nil)
			require.Equal(t, tc.total, res.Totals.Queue.Count)
		})
	}
}

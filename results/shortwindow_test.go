package results

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// `sim platform-hour --requests 200` measured a 0.025 s window of requests
// that each took seconds: decode utilization 0.0% and 0.19 J per output
// token (chat's steady state: 8.2), figures of the window's first
// milliseconds of work read as the fleet's. Such a window is said loudly.
func TestShortWindowWarning(t *testing.T) {
	for _, tc := range []struct {
		name    string
		backend string
		spacing int64 // ns between arrivals
		warn    bool
	}{
		{"window 0.099 s, requests 2 s", "sim", 1e6, true},
		{"window 19.8 s, requests 2 s", "sim", 2e8, false},
		// A client measures no busy time, but its rates are the window's
		// offered work, not a sustained throughput: said so (run
		// --requests 1 printed "output tok/s 102" from a 0.128 s window).
		{"endpoint", "endpoint", 1e6, true},
		{"endpoint, window 19.8 s", "endpoint", 2e8, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := NewSummary(nil, 0)
			for i := range int64(100) {
				at := i * tc.spacing
				s.Add(&Record{Class: "c", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 100e6, LastToken: at + 2e9, OutputTokens: 20, TaskDone: true})
			}
			res := s.Result(Meta{Backend: tc.backend})
			var b strings.Builder
			require.NoError(t, RenderTable(&b, res))
			if !tc.warn {
				require.Empty(t, res.Warnings)
				require.NotContains(t, b.String(), "short window")
				return
			}
			require.Len(t, res.Warnings, 1)
			require.Contains(t, res.Warnings[0], "short window: the measured window (0.099 s) is shorter than the median request (E2E p50 2.00 s)")
			require.Contains(t, b.String(), "WARNING: short window")
			if tc.backend == "endpoint" {
				require.Contains(t, res.Warnings[0], "they are the offered load, not a throughput the endpoint sustained")
				require.NotContains(t, res.Warnings[0], "utilization", "an endpoint has none")
			}
		})
	}
}

// `sim platform-hour --requests 20000` measured a 2.7 s window; its video
// clips took 74 s each (video pool utilization 1.5%, 0.017 kWh) but the
// totals' median request (chat, 2.4 s) fit the window, so nothing was
// said. A class whose median request outlasts the window is named.
func TestShortWindowWarningPerClass(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat"}, {Name: "t2v", Kind: "video"}}, 0)
	for i := range int64(100) {
		at := i * 5e7 // 5 s of arrivals
		s.Add(&Record{Class: "chat", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 100e6, LastToken: at + 2e9, OutputTokens: 20, TaskDone: true})
		if i%25 == 0 {
			s.Add(&Record{Class: "t2v", Kind: "video", Intended: at, Sent: at, FirstToken: at, LastToken: at + 74e9, VideoSeconds: 5, TaskDone: true})
		}
	}
	res := s.Result(Meta{Backend: "sim"})
	require.Len(t, res.Warnings, 1)
	require.Equal(t, "short window: the measured window (4.95 s) is shorter than the median request of class t2v (E2E p50 74.06 s), so most of its work falls after it: the utilization and energy of the pools it runs on, and its share of their cost, count only the busy time inside the window (a class whose work is still building up there gets less than its steady-state share); lengthen --duration or --requests for steady-state figures", res.Warnings[0])
	res = s.Result(Meta{Backend: "endpoint"})
	require.Empty(t, res.Warnings, "a client measures no busy time")

	// Several such classes: one warning naming them all.
	s.Add(&Record{Class: "agent", Kind: "agent", Intended: 0, Sent: 0, FirstToken: 1e8, LastToken: 9e9, OutputTokens: 20, TaskDone: true})
	res = s.Result(Meta{Backend: "sim"})
	require.Len(t, res.Warnings, 1)
	require.Contains(t, res.Warnings[0], "shorter than the median request of classes agent (E2E p50 9.00 s), t2v (E2E p50 74.06 s), so most of their work falls after it: the utilization and energy of the pools they run on")
}

// `sim agent-coding --requests 1` measured a 7 s window while its one
// session ran 128 s (20 requests of ~4 s each): pools 0.0% utilized and
// the window's idle cost as the task's, with no warning, because each
// request's median fit the window. A class whose median task outlasts the
// window is named too.
func TestShortWindowWarningAgentTasks(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "coding", Kind: "agent"}}, 0)
	for task := range int64(2) {
		start := task * 7e9 // two sessions, 7 s apart: a 7 s window
		for turn := range int64(20) {
			at := start + turn*6e9
			s.Add(&Record{Class: "coding", Kind: "agent", TaskID: uint64(task + 1), Turn: int(turn), TaskStart: start,
				Intended: at, Sent: at, FirstToken: at + 1e8, LastToken: at + 4e9, OutputTokens: 20, TaskDone: turn == 19})
		}
	}
	res := s.Result(Meta{Backend: "sim"})
	require.Len(t, res.Warnings, 1, "%v", res.Warnings)
	require.Contains(t, res.Warnings[0], "shorter than the median request or task of class coding (task E2E p50 118.")
}

package results

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestFellBehind: the longest wait for service, as a share of the window,
// says whether the fleet kept up. The overloaded case is
// `sim mooncake-conversation --fleet 1C --requests 100` (queue max 126.9 s
// in a 33 s window), which used to report a positive margin and exit 0.
func TestFellBehind(t *testing.T) {
	p := func(maxMs float64) *Percentiles { return &Percentiles{Count: 10, P50: maxMs / 2, Max: maxMs} }
	for _, tc := range []struct {
		name   string
		window float64
		class  ClassResult
		maxLag float64
		behind bool
		lag    float64 // s; -1: not measured
		of     string
	}{
		{"overloaded colocated fleet (queue)", 33, ClassResult{Queue: p(126943), TTFT: p(128057), ITL: p(796)}, 0, true, 126.943, "queue"},
		{"healthy: short waits", 570, ClassResult{Queue: p(728), TTFT: p(1231), ITL: p(40)}, 0, false, 0.728, "queue"},
		{"decode pool behind: a stall between tokens", 162, ClassResult{Queue: p(70), TTFT: p(561), ITL: p(212729)}, 0, true, 212.729, "itl"},
		{"endpoint run: TTFT stands for the queue", 60, ClassResult{TTFT: p(9000), ITL: p(50)}, 0, true, 9, "ttft"},
		{"under 10% of the window", 330, ClassResult{Queue: p(2392), ITL: p(8847)}, 0, false, 8.847, "itl"},
		{"a looser --max-lag", 33, ClassResult{Queue: p(10000)}, 0.5, false, 10, "queue"},
		{"a stricter --max-lag", 33, ClassResult{Queue: p(3000)}, 0.05, true, 3, "queue"},
		{"under the 2 s floor in a short window", 5, ClassResult{Queue: p(1900)}, 0, false, 1.9, "queue"},
		{"nothing to judge (no-stream endpoint)", 60, ClassResult{E2E: p(90000)}, 0, false, -1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.class
			c.Requests, c.Completed = 10, 10
			r := &Result{Window: Window{StartS: 0, EndS: tc.window, DurationS: tc.window, DrainEndS: tc.window + 100},
				Classes: map[string]*ClassResult{"c": &c}, Totals: &ClassResult{Requests: 10, Completed: 10}}
			lag, of, ok := Lag(r)
			if tc.lag < 0 {
				require.False(t, ok)
			} else {
				require.True(t, ok)
				require.InDelta(t, tc.lag, lag, 1e-9)
				require.Equal(t, tc.of, of)
			}
			behind, why := FellBehind(r, tc.maxLag)
			require.Equal(t, tc.behind, behind, why)
			fails := Check(r, Limits{MaxErrorRate: 0.01, MaxLag: tc.maxLag})
			var names []string
			for _, f := range fails {
				names = append(names, f.Check)
			}
			if tc.behind {
				require.Equal(t, []string{CheckFellBehind}, names)
				require.Contains(t, fails[0].Message, "fell behind")
				require.Contains(t, fails[0].Message, "lower bound")
			} else {
				require.Empty(t, names)
			}
		})
	}
}

// TestLagLooksAtTheEndOfTheWindow: a burst the fleet cleared early in the
// window is not a backlog; the same wait for requests sent at the end of
// arrivals is. The waits come from the records through the timeline.
func TestLagLooksAtTheEndOfTheWindow(t *testing.T) {
	const s = int64(1e9)
	run := func(longWaitAt int64) *Result {
		sum := NewSummary([]ClassInfo{{Name: "c", Kind: "chat"}}, 0)
		for i := int64(0); i <= 100; i++ {
			q := int64(50e6) // 50 ms
			if i == longWaitAt {
				q = 30 * s
			}
			sent := i * s
			sum.Add(&Record{ID: uint64(i), Class: "c", Kind: "chat", Intended: sent, Sent: sent, QueueNs: q,
				FirstToken: sent + q + 100e6, LastToken: sent + q + 2*s, InputTokens: 10, OutputTokens: 20,
				ITL: []int64{100e6, 100e6}, TaskDone: true})
		}
		return sum.Result(Meta{Backend: "sim"})
	}
	early := run(20)
	lag, of, ok := Lag(early)
	require.True(t, ok)
	require.Equal(t, "itl", of, "the 100 ms gaps are the tail's longest wait")
	require.InDelta(t, 0.1, lag, 1e-9)
	behind, _ := FellBehind(early, 0)
	require.False(t, behind)
	require.InDelta(t, 30_000.0, early.Classes["c"].Queue.Max, 50, "the burst is still in the class's queue")

	late := run(95)
	lag, of, _ = Lag(late)
	require.Equal(t, "queue", of)
	require.InDelta(t, 30, lag, 0.05)
	require.InDelta(t, 30, *late.Window.LagS, 0.05)
	behind, why := FellBehind(late, 0)
	require.True(t, behind)
	require.Contains(t, why, "waited 30")
	require.Equal(t, CheckFellBehind, Check(late, DefaultLimits)[0].Check)
}

// TestTableSeparatesDrops: arrivals dropped at --max-inflight are not
// failures (Check judges them apart); the table's errors row counts the
// failures only and drops get their own row. Before, "errors 5" with
// "dropped 3" under it.
func TestTableSeparatesDrops(t *testing.T) {
	c := &ClassResult{Kind: "chat", Requests: 20, Completed: 15, Errors: 5, ErrorsByClass: map[string]int64{ErrorClassDropped: 3, "connect": 2}}
	r := &Result{Backend: "endpoint", Classes: map[string]*ClassResult{"chat": c}, Totals: c}
	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	require.Regexp(t, `(?m)^  errors +2 +2$`, b.String())
	require.Regexp(t, `(?m)^    connect +2 +2$`, b.String())
	require.Regexp(t, `(?m)^  dropped \(--max-inflight\) +3 +3$`, b.String())
	require.NotRegexp(t, `(?m)^    dropped`, b.String())
}

// TestDroppedTaskIsNotAFailedTask: an open-loop arrival dropped at
// --max-inflight was never sent, so its task neither completed nor failed
// (before, tasks_failed counted it: "tasks failed 35" for a run in which
// nothing failed).
func TestDroppedTaskIsNotAFailedTask(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "c", Kind: "chat"}}, 0)
	for i := range 4 {
		r := &Record{ID: uint64(i), Class: "c", Kind: "chat", Intended: int64(i) * 1e9, Sent: int64(i) * 1e9, TaskDone: true}
		switch i {
		case 0:
			r.FirstToken, r.LastToken, r.OutputTokens = r.Sent+1e6, r.Sent+2e6, 2
		case 1:
			r.ErrorClass = "http_5xx"
		default:
			r.ErrorClass = ErrorClassDropped
		}
		s.Add(r)
	}
	c := s.Result(Meta{Backend: "endpoint"}).Classes["c"]
	require.Equal(t, int64(1), c.Tasks)
	require.Equal(t, int64(1), c.TasksFailed, "the 5xx, not the two drops")
	require.Equal(t, int64(1), c.Failed())
}

// A video job's clip start is no first token: its wait is the queue wait
// (QueueNs = FirstToken - Sent), and the timeline's ttft wait series took
// a copy of it (video-burst: wait_max_ms.ttft equal to .queue; a mixed
// run's ttft buckets held clip waits of a minute beside chat's TTFTs).
func TestVideoWaitIsNoTTFTWait(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat"}, {Name: "t2v", Kind: "video"}}, 0)
	s.Add(&Record{Class: "chat", Kind: "chat", Intended: 1e8, Sent: 1e8, FirstToken: 2e8, LastToken: 3e9, OutputTokens: 20, TaskDone: true})
	s.Add(&Record{Class: "t2v", Kind: "video", Intended: 2e8, Sent: 2e8, QueueNs: 5e9, FirstToken: 52e8, LastToken: 80e9, VideoSeconds: 5, TaskDone: true})
	w := s.Result(Meta{Backend: "sim"}).Timeline.WaitMaxMs
	require.Equal(t, 100.0, *w.TTFT[0], "chat's TTFT, not the clip's wait")
	require.Equal(t, 5000.0, *w.Queue[0])

	v := NewSummary([]ClassInfo{{Name: "t2v", Kind: "video"}}, 0)
	v.Add(&Record{Class: "t2v", Kind: "video", Intended: 2e8, Sent: 2e8, QueueNs: 5e9, FirstToken: 52e8, LastToken: 80e9, VideoSeconds: 5, TaskDone: true})
	w = v.Result(Meta{Backend: "sim"}).Timeline.WaitMaxMs
	require.Nil(t, w.TTFT)
	require.Equal(t, 5000.0, *w.Queue[0])
}

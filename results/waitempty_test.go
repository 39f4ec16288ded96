package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWaitMaxAbsentWhereNothingWasSent: timeline.wait_max_ms wrote 0 for a
// bucket in which no measured request was sent, the same figure as a
// measured wait of 0 (a request admitted at once). A bucket without a
// request is null now; a measured 0 stays 0; older files, which wrote 0
// for both, read their empty buckets as absent where that can be told.
func TestWaitMaxAbsentWhereNothingWasSent(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat"}}, 0)
	// Bucket 0: waited 5 ms to be admitted. Bucket 1: nothing sent.
	// Bucket 2: admitted at once (a measured queue wait of 0).
	s.Add(&Record{Class: "chat", Kind: "chat", Intended: 1e8, Sent: 1e8, QueueNs: 5e6, FirstToken: 2e8, LastToken: 3e8, OutputTokens: 3, ITL: []int64{5e7, 5e7}, TaskDone: true})
	s.Add(&Record{Class: "chat", Kind: "chat", Intended: 21e8, Sent: 21e8, FirstToken: 22e8, LastToken: 23e8, OutputTokens: 3, ITL: []int64{5e7, 5e7}, TaskDone: true})
	r := s.Result(Meta{Backend: "sim"})
	w := r.Timeline.WaitMaxMs
	require.NotNil(t, w)
	require.Len(t, w.Queue, 3)
	require.Equal(t, 5.0, *w.Queue[0])
	require.Nil(t, w.Queue[1], "nothing sent in bucket 1: not a measured 0")
	require.NotNil(t, w.Queue[2], "admitted at once: a measured 0")
	require.Equal(t, 0.0, *w.Queue[2])
	require.Nil(t, w.TTFT[1])
	require.Nil(t, w.ITL[1])
	require.Equal(t, 100.0, *w.TTFT[2])

	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, r))
	flat := strings.Join(strings.Fields(js.String()), "")
	require.Contains(t, flat, `"queue":[5,null,0]`)
	require.Contains(t, flat, `"ttft":[100,null,100]`)

	// Read back: the same; imported for a merge: the same.
	back, err := Decode(bytes.NewReader(js.Bytes()), "new.json")
	require.NoError(t, err)
	require.Equal(t, w, back.Timeline.WaitMaxMs)
	require.Equal(t, w, importTimeline(back.Timeline).exportWaits(3))

	// An older file wrote 0 in bucket 1 of every series. A first token
	// or a gap between tokens is never 0, so there a 0 is no request; the
	// queue's 0 then is none either (a chat-only run: every measured
	// request there had a first token).
	old := strings.Replace(js.String(), "null", "0", -1)
	require.NotEqual(t, js.String(), old)
	back, err = Decode(strings.NewReader(old), "old.json")
	require.NoError(t, err)
	require.Equal(t, w, back.Timeline.WaitMaxMs)

	lag, of, ok := Lag(back)
	require.True(t, ok)
	require.Equal(t, "itl", of)
	require.Equal(t, 0.05, lag)
}

// In an older file of a run with a video class, a queue 0 beside no first
// token may be a clip admitted at once: it is kept.
func TestWaitMaxOldVideoZeroKept(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat"}, {Name: "t2v", Kind: "video"}}, 0)
	s.Add(&Record{Class: "chat", Kind: "chat", Intended: 1e8, Sent: 1e8, QueueNs: 5e6, FirstToken: 2e8, LastToken: 3e8, OutputTokens: 3, ITL: []int64{5e7, 5e7}, TaskDone: true})
	s.Add(&Record{Class: "t2v", Kind: "video", Intended: 11e8, Sent: 11e8, FirstToken: 12e8, LastToken: 80e8, VideoSeconds: 5, TaskDone: true})
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, s.Result(Meta{Backend: "sim"})))
	require.Contains(t, strings.Join(strings.Fields(js.String()), ""), `"queue":[5,0,null`)
	old := strings.Replace(js.String(), "null", "0", -1)
	for name, file := range map[string]string{"new": js.String(), "old": old} {
		back, err := Decode(strings.NewReader(file), name)
		require.NoError(t, err)
		require.NotNil(t, back.Timeline.WaitMaxMs.Queue[1], name)
		require.Equal(t, 0.0, *back.Timeline.WaitMaxMs.Queue[1], name)
		require.Nil(t, back.Timeline.WaitMaxMs.TTFT[1], name)
	}
}

// A file's wait series are bounded like its other series: a longer one is
// refused at read (it was imported bucket by bucket into a merge).
func TestWaitSeriesBounded(t *testing.T) {
	s := NewSummary([]ClassInfo{{Name: "chat", Kind: "chat"}}, 0)
	s.Add(&Record{Class: "chat", Kind: "chat", Intended: 1e8, Sent: 1e8, QueueNs: 5e6, FirstToken: 2e8, LastToken: 3e8, OutputTokens: 3, ITL: []int64{5e7, 5e7}, TaskDone: true})
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, s.Result(Meta{Backend: "sim"})))
	long := "[" + strings.Repeat("1,", timelineMaxBuckets) + "1]"
	bad := strings.Replace(strings.Join(strings.Fields(js.String()), ""), `"queue":[5]`, `"queue":`+long, 1)
	require.NotEqual(t, strings.Join(strings.Fields(js.String()), ""), bad)
	_, err := Decode(strings.NewReader(bad), "bad.json")
	require.ErrorContains(t, err, "buckets, at most")
}

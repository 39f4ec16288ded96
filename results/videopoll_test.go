package results

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

// run of a 1-second video clip against serve printed "queue ms p50 1002"
// where the simulator, on the same clips, queued none: the runner sees a
// job start only at its first status poll (1 s), so its queue and E2E are
// late by up to one poll interval, and nothing on the table said so. A
// result that records its poll interval (extra.video_poll_s) now says it
// under the table of its video classes.
func TestTableSaysVideoTimesArePolled(t *testing.T) {
	r := &Result{Schema: Schema, Backend: "endpoint", Window: Window{EndS: 10, DurationS: 10},
		Classes: map[string]*ClassResult{"t2v": {Kind: "video", Requests: 3, Completed: 3}},
		Totals:  &ClassResult{Kind: "video", Requests: 3, Completed: 3},
		Extra:   map[string]any{"video_poll_s": 1.0}}
	var b bytes.Buffer
	require.NoError(t, RenderTable(&b, r))
	require.Contains(t, b.String(), "video: queue and E2E are seen at the job's status polls, every 1 s (--video-poll): each may be up to 1 s late (a clip that never queued can read a queue of up to 1 s)\n")

	// Read back from a file (a JSON number), and absent without video.
	var j bytes.Buffer
	require.NoError(t, WriteJSON(&j, r))
	back, err := Decode(&j, "r.json")
	require.NoError(t, err)
	b.Reset()
	require.NoError(t, RenderTable(&b, back))
	require.Contains(t, b.String(), "every 1 s (--video-poll)")

	r.Classes["t2v"].Kind, r.Totals.Kind = "chat", "chat"
	b.Reset()
	require.NoError(t, RenderTable(&b, r))
	require.NotContains(t, b.String(), "--video-poll")
}

package video

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
)

func TestDecodeStatus(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		id       string
		phase    phase
		progress float64
		errMsg   string
		url      string
	}{
		{"openai queued", `{"id":"video_1","object":"video","status":"queued","progress":0,"created_at":1,"seconds":"8","error":null}`, "video_1", phaseQueued, 0, "", ""},
		{"openai running", `{"id":"v","status":"in_progress","progress":42}`, "v", phaseRunning, 42, "", ""},
		{"openai failed", `{"id":"v","status":"failed","error":{"code":"moderation_blocked","message":"blocked"}}`, "v", phaseFailed, -1, "moderation_blocked: blocked", ""},
		{"ark create", `{"id":"cgt-2025-x"}`, "cgt-2025-x", phaseQueued, -1, "", ""},
		{"ark running", `{"id":"t","model":"m","status":"running","created_at":1,"updated_at":2}`, "t", phaseRunning, -1, "", ""},
		{"ark succeeded", `{"id":"t","status":"succeeded","content":{"video_url":"https://x/y.mp4"},"usage":{"completion_tokens":10}}`, "t", phaseDone, -1, "", "https://x/y.mp4"},
		{"ark cancelled", `{"id":"t","status":"cancelled","error":{"code":"Cancelled","message":""}}`, "t", phaseFailed, -1, "Cancelled", ""},
		{"task_id and string progress", `{"task_id":"abc","status":"PROCESSING","progress":"35%"}`, "abc", phaseRunning, 35, "", ""},
		{"upper-case success, top-level url", `{"task_id":"abc","status":"SUCCESS","video_url":"/f.mp4"}`, "abc", phaseDone, -1, "", "/f.mp4"},
		{"string error", `{"id":"a","status":"error","error":"GPU lost"}`, "a", phaseFailed, -1, "GPU lost", ""},
		{"unknown status", `{"id":"a","status":"thinking"}`, "a", phaseUnknown, -1, "", ""},
		{"bad progress ignored", `{"id":"a","status":"queued","progress":{"x":1}}`, "a", phaseQueued, -1, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st, err := decodeStatus([]byte(tc.body))
			require.NoError(t, err)
			require.Equal(t, tc.id, st.id)
			require.Equal(t, tc.phase, st.phase, st.phase.String())
			require.Equal(t, tc.progress, st.progress)
			require.Equal(t, tc.errMsg, st.errMsg)
			require.Equal(t, tc.url, st.videoURL)
		})
	}
	for _, bad := range []string{"", "null x", "[1,2]", `"queued"`, "<html>", `{"id":5}`, `{"status":["a"]}`} {
		_, err := decodeStatus([]byte(bad))
		require.Error(t, err, bad)
		require.Contains(t, err.Error(), "not a JSON job object")
	}
}

func TestHTTPErrorMessage(t *testing.T) {
	require.Equal(t, "invalid_size: size must be 1280x720", httpErrorMessage([]byte(`{"error":{"code":"invalid_size","message":"size must be 1280x720"}}`)))
	require.Equal(t, "quota", httpErrorMessage([]byte(`{"message":"quota"}`)))
	require.Equal(t, "Bad Gateway", httpErrorMessage([]byte("Bad Gateway")))
	long := httpErrorMessage([]byte(strings.Repeat("é", 500)))
	require.True(t, utf8.ValidString(long), "snippets cut on rune boundaries")
	require.Less(t, len(long), 220)
}

func FuzzDecodeStatus(f *testing.F) {
	for _, s := range []string{
		`{"id":"video_1","object":"video","status":"queued","progress":0,"error":null}`,
		`{"id":"t","status":"succeeded","content":{"video_url":"https://x/y.mp4"}}`,
		`{"task_id":"abc","status":"PROCESSING","progress":"35%"}`,
		`{"id":"a","status":"failed","error":{"code":7,"message":"m"}}`,
		`{"error":"x"}`, `{"content":null}`, `[]`, ``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := decodeStatus(b)
		if err != nil {
			require.Equal(t, status{}, st)
			return
		}
		require.LessOrEqual(t, st.phase, phaseUnknown)
		_ = st.phase.String()
		_ = httpErrorMessage(b)
	})
}

func BenchmarkDecodeStatus(b *testing.B) {
	body := []byte(`{"id":"video_68d7512d07848190b3e45da0ecbebcde004da08e1e0678d5","object":"video","model":"sora-2","status":"in_progress","progress":33,"created_at":1758941485,"size":"1280x720","seconds":"8","quality":"standard","error":null}`)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if _, err := decodeStatus(body); err != nil {
			b.Fatal(err)
		}
	}
}

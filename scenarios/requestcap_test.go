package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// `sim agent-coding --requests 300` ran about 60 sessions and
// `sim video-burst --requests 300` 29 clips, saying nothing: --requests is
// a cap, and the scenarios' durations (10 m at 0.1 sessions/s, 20 m of
// bursts) end their arrivals first. RequestsUnreached finds such runs
// (expected arrivals over the duration under 90% of the cap, at the mean
// rates) and the duration that would reach the cap.
func TestRequestsUnreached(t *testing.T) {
	coding, err := Builtin("agent-coding")
	require.NoError(t, err)
	chat, err := Builtin("chat")
	require.NoError(t, err)

	exp, dur, need, ok := coding.RequestsUnreached(WorkloadOptions{Requests: 300})
	require.True(t, ok)
	require.InDelta(t, 60, exp, 1e-9)
	require.Equal(t, 10*time.Minute, dur)
	require.Equal(t, 50*time.Minute, need.Round(time.Second))

	_, _, need, ok = coding.RequestsUnreached(WorkloadOptions{Requests: 300, RateScale: 2})
	require.True(t, ok, "120 of 300 at twice the rate")
	require.Equal(t, 25*time.Minute, need.Round(time.Second))

	for _, o := range []WorkloadOptions{
		{},                                   // no cap given
		{Requests: 55},                       // reached
		{Requests: 300, Duration: time.Hour}, // 360 expected
	} {
		_, _, _, ok := coding.RequestsUnreached(o)
		require.False(t, ok, "%+v", o)
	}
	_, _, _, ok = chat.RequestsUnreached(WorkloadOptions{Requests: 300})
	require.False(t, ok, "chat: 3300 expected in 10 m")
	_, _, _, ok = chat.RequestsUnreached(WorkloadOptions{Requests: 3500})
	require.False(t, ok, "3300 of 3500 is within 10%: a Poisson run may reach it")
}

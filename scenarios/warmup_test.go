package scenarios

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestWarmupFor: a run that --requests or --duration shortens keeps at most
// 10% of it as warm-up unless --warmup says otherwise. Before, `sim chat
// --requests 60` (arrivals end at 9.5 s), `sim chat --duration 10s` and
// `sim platform-hour --duration 2m` kept the scenario's 30 s and 5 min
// warm-ups and measured nothing (or, for agents, only turns of sessions
// that began in the warm-up).
func TestWarmupFor(t *testing.T) {
	chat, err := Builtin("chat")
	require.NoError(t, err)
	ph, err := Builtin("platform-hour")
	require.NoError(t, err)
	const unset = time.Duration(-1)
	for _, tc := range []struct {
		name      string
		sc        *Scenario
		o         WorkloadOptions
		explicit  time.Duration
		closed    bool
		want      time.Duration
		shortened bool
		err       string
	}{
		{"chat as written", chat, WorkloadOptions{}, unset, false, 30 * time.Second, false, ""},
		{"chat --requests 60 (60 / 5.5 req/s = 10.9 s)", chat, WorkloadOptions{Requests: 60}, unset, false, 1091 * time.Millisecond, true, ""},
		{"chat --requests 60 --rate-scale 2", chat, WorkloadOptions{Requests: 60, RateScale: 2}, unset, false, 545 * time.Millisecond, true, ""},
		{"chat --duration 10s", chat, WorkloadOptions{Duration: 10 * time.Second}, unset, false, time.Second, true, ""},
		{"chat --duration 2h keeps 30s", chat, WorkloadOptions{Duration: 2 * time.Hour}, unset, false, 30 * time.Second, false, ""},
		{"platform-hour --duration 2m", ph, WorkloadOptions{Duration: 2 * time.Minute}, unset, false, 12 * time.Second, true, ""},
		{"--warmup wins", chat, WorkloadOptions{Requests: 60}, 2 * time.Second, false, 2 * time.Second, false, ""},
		{"--warmup 0", chat, WorkloadOptions{Requests: 60}, 0, false, 0, false, ""},
		{"--warmup past the last arrival", chat, WorkloadOptions{Requests: 60}, 30 * time.Second, false, 0, false, "covers every arrival"},
		{"closed loop --duration 1m", chat, WorkloadOptions{Duration: time.Minute}, unset, true, 6 * time.Second, true, ""},
		{"closed loop --requests: length unknown", chat, WorkloadOptions{Requests: 100}, unset, true, 0, true, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := tc.sc.WarmupFor(tc.o, tc.explicit, tc.closed)
			if tc.err != "" {
				require.ErrorContains(t, err, tc.err)
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.want, w.D)
			require.Equal(t, tc.shortened, w.Shortened)
			require.Equal(t, tc.sc.Warmup, w.Scenario)
			require.Equal(t, tc.want, tc.sc.WithWarmup(w.D).Warmup)
		})
	}
}

// TestWarmupSameForEverySeed: shards and seeds of one shortened run get one
// warm-up (the expected span, not each seed's drawn one), so their results
// merge.
func TestWarmupSameForEverySeed(t *testing.T) {
	chat, err := Builtin("chat")
	require.NoError(t, err)
	var first time.Duration
	for seed := uint64(1); seed <= 5; seed++ {
		for _, o := range []WorkloadOptions{{Requests: 60, Seed: &seed}, {Duration: 90 * time.Second, Seed: &seed}} {
			w, err := chat.WarmupFor(o, -1, false)
			require.NoError(t, err)
			if o.Requests > 0 && seed == 1 {
				first = w.D
			}
			if o.Requests > 0 {
				require.Equal(t, first, w.D)
			} else {
				require.Equal(t, 9*time.Second, w.D)
			}
		}
	}
}

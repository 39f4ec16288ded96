package elastic

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestAutoscaleDefaultsAndValidate(t *testing.T) {
	a := Autoscale{Pool: "decode", Target: 0.7, Min: 1, Max: 4, ProvisionS: -5}
	a.Defaults()
	require.NoError(t, a.Validate())
	require.Equal(t, "utilization", a.Metric)
	require.Equal(t, 30*time.Second, a.Interval())
	require.Equal(t, 120*time.Second, a.ProvisionDelay())
	require.Equal(t, 300*time.Second, a.Cooldown())
	for name, tc := range map[string]struct {
		a    Autoscale
		want string
	}{
		"metric":      {Autoscale{Metric: "qps", Target: 1, Min: 1, Max: 1}, `metric: unknown metric "qps" (use utilization, kv or concurrency)`},
		"share > 1":   {Autoscale{Metric: "kv", Target: 2, Min: 1, Max: 1}, "target: 2 out of range"},
		"target NaN":  {Autoscale{Metric: "concurrency", Target: nan(), Min: 1, Max: 1}, "target: NaN out of range"},
		"min above":   {Autoscale{Metric: "kv", Target: 0.5, Min: 3, Max: 2}, "min: need 1 <= min <= max, got min 3 max 2"},
		"concurrency": {Autoscale{Pool: "decode", Metric: "concurrency", Target: 16, Min: 1, Max: 1}, ""},
		// A typo or a video pool was accepted and the autoscaler silently
		// never ran (sim as.yaml with pool: decod exited 0).
		"pool typo":  {Autoscale{Pool: "decod", Metric: "kv", Target: 0.5, Min: 1, Max: 1}, `pool: unknown pool "decod" (use prefill, decode or colocated)`},
		"video pool": {Autoscale{Pool: "video", Metric: "kv", Target: 0.5, Min: 1, Max: 1}, `pool: unknown pool "video"`},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.a.Validate()
			if tc.want == "" {
				require.NoError(t, err)
			} else {
				require.ErrorContains(t, err, tc.want)
			}
		})
	}
}

func TestFailures(t *testing.T) {
	var f Failures
	require.False(t, f.Active())
	f.Defaults()
	require.NoError(t, f.Validate())
	require.Equal(t, 10*time.Minute, f.Repair())
	f = Failures{MTBFHours: 0.5, Policy: "fail", At: []ScriptedFailure{{Pool: "decode", Instance: 1, AtS: 1.5}}}
	require.True(t, f.Active())
	require.Equal(t, 30*time.Minute, f.MTBF())
	require.Equal(t, 1500*time.Millisecond, f.At[0].At())
	require.NoError(t, f.Validate())
	bad := Failures{MTBFHours: -1, Policy: "crash", At: []ScriptedFailure{{Instance: -1, AtS: -2}}}
	err := bad.Validate()
	// A failure on a video instance (or a misspelt pool) was refused by the
	// simulator only, as "no video instance 0 in fleet \"64V\"" of a fleet
	// with eight, without a position.
	for _, w := range []string{`policy: unknown policy "crash"`, "mtbf_h: must be >= 0", "at[0].instance: must be >= 0", "at[0].at_s: must be >= 0", `at[0].pool: unknown pool ""`} {
		require.ErrorContains(t, err, w)
	}
}

func nan() float64 { z := 0.0; return z / z }

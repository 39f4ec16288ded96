package elastic

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// Autoscalers and failures had no upper limits, and some no lower ones:
// `max: 1000000000` made `scenario validate` (which builds the fleet) and
// sim die with "fatal error: runtime: out of memory"; `mtbf_h: 1e-9` had
// sim fail an instance every few microseconds (149 s and 940 MB before a
// 20 s timeout's interrupt took); with `repair_s: 1e300` it panicked
// ("time went backwards"). Each is bounded, checked at validation.
func TestElasticLimits(t *testing.T) {
	ok := func() Autoscale {
		return Autoscale{Pool: "decode", Metric: "kv", Target: 0.5, Min: 1, Max: 4, IntervalS: 30, ProvisionS: 120, CooldownS: 300}
	}
	for name, tc := range map[string]struct {
		edit func(*Autoscale)
		want string
	}{
		"max":       {func(a *Autoscale) { a.Max = 1_000_000_000 }, "max: at most 1000000 instances, got 1000000000"},
		"interval":  {func(a *Autoscale) { a.IntervalS = 1e-9 }, "interval_s: must be 1 to 86400 seconds, got 1e-09"},
		"provision": {func(a *Autoscale) { a.ProvisionS = 1e300 }, "provision_s: must be at most 86400 seconds, got 1e+300"},
		"cooldown":  {func(a *Autoscale) { a.CooldownS = 1e300 }, "cooldown_s: must be at most 86400 seconds, got 1e+300"},
	} {
		a := ok()
		tc.edit(&a)
		require.ErrorContains(t, a.Validate(), tc.want, name)
	}
	a := ok()
	a.Max, a.IntervalS = MaxInstances, 1
	require.NoError(t, a.Validate())

	for name, tc := range map[string]struct {
		f    Failures
		want string
	}{
		"mtbf":   {Failures{MTBFHours: 1e-9, RepairS: 600, Policy: "retry"}, "mtbf_h: must be 0 (no random failures) or 0.01 to 1000000 hours, got 1e-09"},
		"repair": {Failures{MTBFHours: 1, RepairS: 1e300, Policy: "retry"}, "repair_s: must be at most 2592000 seconds (720 h), got 1e+300"},
		"at":     {Failures{RepairS: 600, Policy: "retry", At: []ScriptedFailure{{Pool: "decode", AtS: 1e300}}}, "at[0].at_s: must be at most 2592000 seconds (720 h), got 1e+300"},
	} {
		require.ErrorContains(t, tc.f.Validate(), tc.want, name)
	}
	f := Failures{MTBFHours: 0.01, RepairS: 2_592_000, Policy: "fail", At: []ScriptedFailure{{Pool: "decode", AtS: 2_592_000}}}
	require.NoError(t, f.Validate())
}

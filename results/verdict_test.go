package results

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestCheck: every limit of Limits, alone and together, on hand-made totals.
func TestCheck(t *testing.T) {
	ok := func() *Result {
		return &Result{Window: Window{StartS: 1, EndS: 11, WarmupS: 1},
			Classes: map[string]*ClassResult{"chat": {Requests: 100, Completed: 100, SLO: &SLOVerdict{Met: true}}},
			Totals:  &ClassResult{Requests: 100, Completed: 100}}
	}
	for _, tc := range []struct {
		name   string
		edit   func(r *Result)
		limits Limits
		want   []string // Check names
	}{
		{"clean", func(*Result) {}, DefaultLimits, nil},
		{"nothing in the window", func(r *Result) { r.Totals = &ClassResult{} }, DefaultLimits, []string{CheckNothingMeasured}},
		{"nothing completed", func(r *Result) {
			r.Totals = &ClassResult{Requests: 5, Errors: 5, ErrorsByClass: map[string]int64{"connect": 5}}
		}, DefaultLimits, []string{CheckNothingMeasured, CheckErrorRate}},
		{"1% errors is the limit", func(r *Result) { r.Totals.Errors, r.Totals.Completed = 1, 99 }, DefaultLimits, nil},
		{"2% errors", func(r *Result) { r.Totals.Errors, r.Totals.Completed = 2, 98 }, DefaultLimits, []string{CheckErrorRate}},
		{"drops are not errors", func(r *Result) {
			r.Totals.Errors, r.Totals.Completed, r.Totals.ErrorsByClass = 10, 90, map[string]int64{ErrorClassDropped: 10}
		}, Limits{MaxErrorRate: 0.01, MaxDropRate: 0.2}, nil},
		{"drops past the limit", func(r *Result) {
			r.Totals.Errors, r.Totals.Completed, r.Totals.ErrorsByClass = 10, 90, map[string]int64{ErrorClassDropped: 10}
		}, DefaultLimits, []string{CheckDropRate}},
		{"a small class failed whole, under --max-error-rate", func(r *Result) {
			r.Totals.Requests, r.Totals.Completed, r.Totals.Errors = 1000, 999, 1
			r.Classes["rare"] = &ClassResult{Requests: 1, Errors: 1, ErrorsByClass: map[string]int64{"too_long": 1}}
		}, DefaultLimits, []string{CheckClassFailed}},
		{"a class failed whole, --max-error-rate 1", func(r *Result) {
			r.Totals.Requests, r.Totals.Completed, r.Totals.Errors = 200, 100, 100
			r.Classes["rare"] = &ClassResult{Requests: 100, Errors: 100, ErrorsByClass: map[string]int64{"too_long": 100}}
		}, Limits{MaxErrorRate: 1}, []string{CheckClassFailed}},
		{"missed SLO, no gate", func(r *Result) { r.Classes["chat"].SLO.Met = false }, DefaultLimits, nil},
		{"missed SLO, gate", func(r *Result) { r.Classes["chat"].SLO.Met = false }, Limits{MaxErrorRate: 0.01, SLOGate: true}, []string{CheckSLO}},
		{"saturated, warning only", func(r *Result) { r.Totals.ScheduleDelay = &Percentiles{P99: 80} }, DefaultLimits, nil},
		{"saturated, --fail-on-saturation", func(r *Result) { r.Totals.ScheduleDelay = &Percentiles{P99: 80} },
			Limits{MaxErrorRate: 0.01, FailOnSaturation: true}, []string{CheckSaturation}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := ok()
			tc.edit(r)
			var got []string
			for _, f := range Check(r, tc.limits) {
				got = append(got, f.Check)
				require.NotEmpty(t, f.Message)
			}
			require.Equal(t, tc.want, got)
		})
	}
	require.Equal(t, CheckNothingMeasured, Check(nil, DefaultLimits)[0].Check)
}

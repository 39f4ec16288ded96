package slo

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	for name, tc := range map[string]struct {
		s    Spec
		want string // "" = valid
	}{
		"ok":       {Spec{TTFTms: &Targets{P50: 100, P99: 300}, QueueS: &Targets{P99: 60}}, ""},
		"empty":    {Spec{}, ""},
		"negative": {Spec{TPOTms: &Targets{P99: -1}}, "tpot_ms.p99: a latency target must be > 0, got -1"},
		"nan":      {Spec{E2Ems: &Targets{P99: math.NaN()}}, "e2e_ms.p99: a latency target must be > 0, got NaN"},
		"inf":      {Spec{E2Ems: &Targets{P99: math.Inf(1)}}, "e2e_ms.p99: a latency target must be > 0, got +Inf"},
		"tighter":  {Spec{TTFTms: &Targets{P50: 300, P99: 100}}, "ttft_ms.p99: 100 is below p50 300 (a higher percentile cannot have a tighter target)"},
		"none set": {Spec{CompletionS: &Targets{}}, "completion_s: set at least one of p50, p90, p95, p99, p999"},
	} {
		t.Run(name, func(t *testing.T) {
			err := tc.s.Validate()
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func TestFieldSetMap(t *testing.T) {
	var s Spec
	for _, k := range Metrics {
		require.NotNil(t, s.Field(k), k)
	}
	require.Nil(t, s.Field("ttfb_ms"))
	*s.Field("queue_s") = &Targets{}
	require.NoError(t, s.QueueS.Set("p999", 9))
	require.Error(t, s.QueueS.Set("p42", 1))
	require.Equal(t, map[string]float64{"p999": 9}, s.QueueS.Map())
	require.Nil(t, (*Targets)(nil).Map())
	require.Nil(t, (&Targets{}).Map())
}

// TestMetricsFromSpec: the metric keys are Spec's yaml names, and every
// field is a *Targets (Field relies on it).
func TestMetricsFromSpec(t *testing.T) {
	require.Equal(t, []string{"ttft_ms", "tpot_ms", "e2e_ms", "queue_s", "completion_s"}, Metrics)
	s := Spec{QueueS: &Targets{P99: 1}}
	require.Same(t, s.QueueS, *s.Field("queue_s"))
	for _, k := range Metrics {
		f := s.Field(k)
		require.NotNil(t, f, k)
		*f = &Targets{P50: 1}
	}
	require.Equal(t, 1.0, s.CompletionS.P50)
}

package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/slo"
)

// TestAttainmentNotJudgedWithoutTheBoundedMetric: a --no-stream run has no
// TTFT, so none of its requests could be judged against a TTFT bound; it
// reported "SLO attainment 0.0%, goodput 0.00" (every request missing the
// SLO) beside the verdict NOT MEASURED (run chat --no-stream against serve:
// 36 requests, all completed). Attainment and goodput are absent then (the
// totals' too), tables say "-"; older files read the same way. A class
// whose every request failed keeps 0% (failures never meet), and a bound
// a request may lack (TPOT of a one-token reply) does not count.
func TestAttainmentNotJudgedWithoutTheBoundedMetric(t *testing.T) {
	cls := []ClassInfo{
		{Name: "c", Kind: "chat", SLO: slo.Spec{TTFTms: &slo.Targets{P99: 300}}},
		{Name: "free", Kind: "chat"}, // no SLO: every completed request meets
	}
	s := NewSummary(cls, 0)
	for i := range 4 {
		// No first token seen: only the whole response's end.
		s.Add(&Record{Class: "c", Kind: "chat", Sent: int64(i) * 1e8, LastToken: int64(i)*1e8 + 5e8, OutputTokens: 10})
		s.Add(&Record{Class: "free", Kind: "chat", Sent: int64(i) * 1e8, LastToken: int64(i)*1e8 + 5e8, OutputTokens: 10})
	}
	r := s.Result(Meta{Backend: "endpoint", StartNs: 0, EndNs: 2e9})
	c := r.Classes["c"]
	require.EqualValues(t, 4, c.Completed)
	require.Nil(t, c.SLOAttainment, "not 0%%: no request could be judged")
	require.Nil(t, c.GoodputRPS)
	require.True(t, c.SLO.Targets[0].NotMeasured)
	require.Equal(t, 1.0, *r.Classes["free"].SLOAttainment)
	require.Nil(t, r.Totals.SLOAttainment, "a total over an unjudged class has none")
	require.Nil(t, r.Totals.GoodputRPS)

	var b strings.Builder
	require.NoError(t, RenderTable(&b, r))
	att := cells(tableLine(t, b.String(), "SLO attainment"), "SLO attainment")
	require.Equal(t, []string{"-", "100.0%", "-"}, att)
	good := cells(tableLine(t, b.String(), "goodput req/s"), "goodput req/s")
	require.Equal(t, "-", good[0])

	// An older file wrote 0 for both: read as absent.
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, r))
	old := strings.Replace(js.String(), `"slo_met": 0,`, `"slo_met": 0, "slo_attainment": 0, "goodput_rps": 0,`, 1)
	require.NotEqual(t, js.String(), old)
	back, err := Decode(strings.NewReader(old), "old.json")
	require.NoError(t, err)
	require.Nil(t, back.Classes["c"].SLOAttainment)
	require.Nil(t, back.Classes["c"].GoodputRPS)

	// Every request failed: 0% is right (a failure never meets).
	s = NewSummary(cls[:1], 0)
	s.Add(&Record{Class: "c", Kind: "chat", Sent: 1, ErrorClass: "http_5xx"})
	r = s.Result(Meta{Backend: "endpoint", StartNs: 0, EndNs: 2e9})
	require.Equal(t, 0.0, *r.Classes["c"].SLOAttainment)
	require.Equal(t, 0.0, *r.Classes["c"].GoodputRPS)
}

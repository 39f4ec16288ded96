package scrape

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

func TestHookTwoEndpoints(t *testing.T) {
	a, b := &scripted{}, &scripted{}
	ta, tb := httptest.NewServer(a), httptest.NewServer(b)
	defer ta.Close()
	defer tb.Close()
	h, err := NewHook([]string{tb.URL + "/metrics", ta.URL + "/metrics"}, 50*time.Millisecond, nil, nil)
	require.NoError(t, err)
	require.NoError(t, h.Start(context.Background(), time.Now()))
	require.Error(t, h.Start(context.Background(), time.Now()), "no double start")
	require.Eventually(t, func() bool { return a.count() >= 3 && b.count() >= 3 }, 5*time.Second, 5*time.Millisecond)
	res := &results.Result{}
	require.NoError(t, h.Stop(res))
	m := res.ServerMetrics
	require.NotNil(t, m)
	require.Len(t, m.Endpoints, 2)
	require.Less(t, m.Endpoints[0].URL, m.Endpoints[1].URL, "sorted by URL")
	require.ElementsMatch(t, []string{ta.URL + "/metrics", tb.URL + "/metrics"}, []string{m.Endpoints[0].URL, m.Endpoints[1].URL})
	// Two different servers: counter totals add up.
	want := m.Endpoints[0].Summary.Preemptions + m.Endpoints[1].Summary.Preemptions
	require.Equal(t, want, m.Summary.Preemptions)
	require.Positive(t, want)
}

func TestNewHookValidation(t *testing.T) {
	_, err := NewHook(nil, 0, nil, nil)
	require.ErrorContains(t, err, "no URL")
	_, err = NewHook([]string{"http://ok/metrics", "nope"}, 0, nil, nil)
	require.ErrorContains(t, err, `--scrape "nope"`)
	_, err = NewHook([]string{"http://ok/metrics"}, time.Millisecond, nil, nil)
	require.ErrorContains(t, err, "at least")
	h, err := NewHook([]string{"http://ok/metrics"}, 0, nil, nil)
	require.NoError(t, err)
	require.Equal(t, DefaultInterval, h.interval)
	require.NoError(t, h.Stop(nil), "stopping an unstarted hook is harmless")
}

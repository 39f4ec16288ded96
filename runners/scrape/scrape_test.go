package scrape

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// scripted serves a vLLM exposition whose counters advance on every
// request; requests listed in fail get an HTTP 500 or a broken body.
type scripted struct {
	mu     sync.Mutex
	n      int
	fail   map[int]string // request index -> "500" | "garbage"
	header http.Header
}

func (s *scripted) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	i := s.n
	s.n++
	s.header = r.Header.Clone()
	s.mu.Unlock()
	switch s.fail[i] {
	case "500":
		http.Error(w, "engine dead", http.StatusInternalServerError)
		return
	case "garbage":
		_, _ = w.Write([]byte("vllm:kv_cache_usage_perc{ 0.5\n"))
		return
	}
	w.Header().Set("Content-Type", "text/plain; version=0.0.4")
	st := vllmState{
		kv: 0.1 * float64(i%10), running: float64(i), waiting: 1,
		hits: 50 * float64(i), queries: 100 * float64(i), preempt: float64(i), gen: 10 * float64(i),
	}
	_, _ = w.Write([]byte(st.text()))
}

func (s *scripted) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.n
}

// countingTransport counts the requests it has forwarded (once each
// round trip has returned).
type countingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	n    int
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.base.RoundTrip(r)
	c.mu.Lock()
	c.n++
	c.mu.Unlock()
	return resp, err
}

func (c *countingTransport) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n
}

func TestScraperAgainstServer(t *testing.T) {
	srv := &scripted{fail: map[int]string{2: "500", 3: "garbage"}}
	ts := httptest.NewServer(srv)
	defer ts.Close()

	hdr := http.Header{}
	hdr.Set("Authorization", "Bearer tok")
	s, err := Start(context.Background(), ts.URL+"/metrics", 50*time.Millisecond, Options{Header: hdr})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return srv.count() >= 8 }, 5*time.Second, 5*time.Millisecond)
	m := s.Stop()
	require.Same(t, m, s.Stop(), "Stop is idempotent")

	require.Len(t, m.Endpoints, 1)
	e := m.Endpoints[0]
	n := srv.count()
	// Every request is accounted for, including Stop's final one; a tick's
	// scrape cut short by Stop is not a server failure and is not counted.
	require.InDelta(t, float64(n), float64(e.Scrapes+e.ScrapeErrors), 1)
	require.Equal(t, int64(2), e.ScrapeErrors)
	require.Len(t, e.Errors, 2)
	require.Contains(t, e.Errors[0].Error, "HTTP 500")
	require.Contains(t, e.Errors[1].Error, "not a Prometheus text exposition")
	require.Equal(t, "vllm", e.Engine)
	srv.mu.Lock()
	require.Equal(t, "Bearer tok", srv.header.Get("Authorization"))
	require.Contains(t, srv.header.Get("Accept"), "text/plain")
	srv.mu.Unlock()

	// Counters advance by one unit per request index; from the first (0)
	// to the last successful scrape (n-1) they grew by n-1 units.
	last := float64(n - 1)
	require.InDelta(t, 50*last, e.Summary.PrefixCacheHits, 1e-6)
	require.InDelta(t, 100*last, e.Summary.PrefixCacheQueries, 1e-6)
	require.InDelta(t, 0.5, e.Summary.PrefixCacheHitRate, 1e-9)
	require.InDelta(t, last, e.Summary.Preemptions, 1e-6)
	require.InDelta(t, last, e.Summary.Running.Max, 1e-9)
	require.Equal(t, m.Summary.PrefixCacheHits, e.Summary.PrefixCacheHits)
	require.NotNil(t, e.Timeline)
	require.NotNil(t, e.Timeline.Series[results.SeriesPreemptionsPerS])

	// The result is JSON-stable: encode, decode, encode gives the same bytes.
	b1, err := json.Marshal(m)
	require.NoError(t, err)
	var back results.ServerMetrics
	require.NoError(t, json.Unmarshal(b1, &back))
	b2, err := json.Marshal(&back)
	require.NoError(t, err)
	require.JSONEq(t, string(b1), string(b2))
}

func TestScraperUnreachableIsNotFatal(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL + "/metrics"
	ts.Close() // nothing listens any more

	// Count the scrape attempts (each one a real dial to the closed port)
	// and stop after the first tick's, not after a guessed sleep.
	rt := &countingTransport{base: http.DefaultTransport}
	s, err := Start(context.Background(), url, 50*time.Millisecond, Options{Client: &http.Client{Transport: rt, Timeout: time.Second}})
	require.NoError(t, err)
	// Three attempts done: the baseline and a first tick have been recorded
	// (a second tick has begun, so the first one's scrapeOnce returned).
	require.Eventually(t, func() bool { return rt.count() >= 3 }, 10*time.Second, 5*time.Millisecond,
		"the baseline scrape and two ticks")
	m := s.Stop()
	e := m.Endpoints[0]
	require.Zero(t, e.Scrapes)
	require.GreaterOrEqual(t, e.ScrapeErrors, int64(3), "baseline, a tick and Stop's final scrape")
	require.Contains(t, e.Errors[0].Error, "scrape "+url)
	require.Equal(t, "unknown", e.Engine)
	require.Nil(t, e.Timeline)
}

func TestScraperNotFoundHint(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	defer ts.Close()
	s, err := Start(context.Background(), ts.URL+"/nometrics", time.Hour, Options{})
	require.NoError(t, err)
	e := s.Stop().Endpoints[0]
	require.Equal(t, int64(2), e.ScrapeErrors, "the first scrape and Stop's final one")
	require.Contains(t, e.Errors[0].Error, "HTTP 404")
	require.Contains(t, e.Errors[0].Error, "--enable-metrics")
}

// Cancelling the caller's context stops the ticks; Stop still returns.
func TestScraperContextCancel(t *testing.T) {
	srv := &scripted{}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, ts.URL, 50*time.Millisecond, Options{Epoch: time.Now().Add(-10 * time.Second)})
	require.NoError(t, err)
	require.Eventually(t, func() bool { return srv.count() >= 2 }, 5*time.Second, 5*time.Millisecond)
	cancel()
	// The tick loop ends on cancel (done closes); no sleep needed to see it.
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		t.Fatal("the scrape loop did not end after its context was cancelled")
	}
	before := srv.count()
	e := s.Stop().Endpoints[0]
	require.Equal(t, before+1, srv.count(), "after cancel only Stop's final scrape reaches the server")
	require.Zero(t, e.ScrapeErrors)
	require.GreaterOrEqual(t, e.FirstS, 10.0, "times are measured from the given epoch")
}

func TestStartValidation(t *testing.T) {
	tests := []struct {
		url      string
		interval time.Duration
		want     string
	}{
		{"", time.Second, "want an http(s) URL"},
		{"127.0.0.1:8000/metrics", time.Second, "want an http(s) URL"},
		{"ftp://host/metrics", time.Second, "want an http(s) URL"},
		{"http://", time.Second, "want an http(s) URL"},
		{"http://h/metrics", time.Millisecond, "must be at least 50ms"},
		{"http://h/metrics", -time.Second, "must be at least 50ms"},
	}
	for _, tc := range tests {
		s, err := Start(context.Background(), tc.url, tc.interval, Options{})
		require.ErrorContains(t, err, tc.want, "%q %v", tc.url, tc.interval)
		require.Nil(t, s)
	}
}

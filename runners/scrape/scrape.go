// Package scrape implements `fleetbench run --scrape URL`: it polls a
// server's Prometheus text endpoint (vLLM or SGLang /metrics) at an
// interval during a run and keeps a bounded, engine-neutral timeline of
// the metrics that explain latency: KV-cache usage, running and queued
// requests, prefix-cache hits and queries, preemptions, token throughput.
// Counters become per-interval rates and run totals (resets handled).
//
// Scraping never fails a run: a scrape that errors (connection refused,
// HTTP 500, a body that does not parse) is counted and its message kept in
// the result, and the next tick tries again.
package scrape

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/redact"
)

// Defaults and bounds.
const (
	// DefaultInterval is the scrape interval when none is given.
	DefaultInterval = time.Second
	// MinInterval keeps a typo (1ms) from hammering the server.
	MinInterval = 50 * time.Millisecond
	// maxBody bounds one exposition; vLLM's with all histograms is ~100 KiB.
	maxBody = 32 << 20
	// acceptHeader asks for the text format, never protobuf.
	acceptHeader = "text/plain;version=0.0.4;q=1,*/*;q=0.1"
)

// Options tune a Scraper. The zero value is usable.
type Options struct {
	// Epoch is the run's start: timeline times are measured from it. Zero
	// means the time Start is called. Pass the runner's own epoch so that
	// server metrics line up with request records.
	Epoch time.Time
	// Client does the HTTP requests; nil uses a client whose timeout is
	// the scrape interval (at least 1 s, at most 10 s).
	Client *http.Client
	// Header is added to every scrape request (e.g. Authorization).
	Header http.Header
}

// Scraper polls one endpoint in a goroutine until Stop.
type Scraper struct {
	url      string
	shown    string         // url with its credentials redacted, for messages and the result
	secrets  redact.Secrets // cut out of error messages (transport errors quote the URL)
	interval time.Duration
	epoch    time.Time
	client   *http.Client
	header   http.Header

	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
	t      *tracker // owned by the goroutine until done closes
	out    *results.ServerMetrics
}

// Start validates rawURL and interval, scrapes once before returning (the
// baseline for counters; it blocks at most the client timeout) and then
// every interval in a goroutine until ctx is cancelled or Stop is called. An interval of 0 means DefaultInterval. Only a bad
// URL or interval is an error; an unreachable server is not (it is
// recorded as failed scrapes).
func Start(ctx context.Context, rawURL string, interval time.Duration, opt Options) (*Scraper, error) {
	interval, err := validate(rawURL, interval)
	if err != nil {
		return nil, err
	}
	s := &Scraper{
		url:      rawURL,
		shown:    redact.URL(rawURL),
		secrets:  redact.SecretsOf([]string{rawURL}, "", opt.Header.Values("Authorization")),
		interval: interval,
		epoch:    opt.Epoch,
		client:   opt.Client,
		header:   opt.Header,
		done:     make(chan struct{}),
		t:        newTracker(redact.URL(rawURL), interval.Seconds()),
	}
	if s.epoch.IsZero() {
		s.epoch = time.Now()
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: min(max(interval, time.Second), 10*time.Second)}
	}
	ctx, s.cancel = context.WithCancel(ctx)
	// The baseline scrape is synchronous, so counter increases cover
	// exactly what happened after Start returned (before load began).
	s.scrapeOnce(ctx)
	go s.loop(ctx)
	return s, nil
}

// validate checks a scrape URL and interval (0 = DefaultInterval) and
// returns the interval to use.
func validate(rawURL string, interval time.Duration) (time.Duration, error) {
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, fmt.Errorf("--scrape %q: want an http(s) URL of a Prometheus endpoint, such as http://127.0.0.1:8000/metrics", redact.URL(rawURL))
	}
	if interval == 0 {
		interval = DefaultInterval
	}
	if interval < MinInterval {
		return 0, fmt.Errorf("--scrape-interval %v: must be at least %v", interval, MinInterval)
	}
	return interval, nil
}

// loop scrapes at every tick; ticks missed while a slow scrape runs are
// dropped by the ticker, so scrapes never pile up.
func (s *Scraper) loop(ctx context.Context) {
	defer close(s.done)
	tick := time.NewTicker(s.interval)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			s.scrapeOnce(ctx)
		}
	}
}

// Stop ends scraping, takes one last scrape (so counter totals cover the
// whole run even after a Ctrl-C) and returns what was collected. It may be
// called more than once; later calls return the same value.
func (s *Scraper) Stop() *results.ServerMetrics {
	s.once.Do(func() {
		s.cancel()
		<-s.done
		ctx, cancel := context.WithTimeout(context.Background(), min(s.interval, 2*time.Second))
		defer cancel()
		s.scrapeOnce(ctx)
		s.out = &results.ServerMetrics{Endpoints: []*results.EndpointMetrics{s.t.result()}}
		s.out.Finish()
	})
	return s.out
}

// scrapeOnce does one GET and feeds the tracker. Errors are recorded,
// except those caused by stopping.
func (s *Scraper) scrapeOnce(ctx context.Context) {
	at := time.Since(s.epoch).Nanoseconds()
	var body []byte
	rc, err := s.fetch(ctx)
	if err == nil {
		body, err = readBody(rc)
	}
	if err != nil {
		if ctx.Err() == nil {
			s.t.fail(at, err)
		}
		return
	}
	_ = s.t.ingest(at, bytes.NewReader(body))
}

// readBody reads a whole exposition, refusing one over maxBody.
func readBody(rc io.ReadCloser) ([]byte, error) {
	defer rc.Close()
	b, err := io.ReadAll(io.LimitReader(rc, maxBody+1))
	if err != nil {
		return nil, fmt.Errorf("reading metrics: %w", err)
	}
	if len(b) > maxBody {
		return nil, fmt.Errorf("metrics body over %d MiB; not scraped", maxBody>>20)
	}
	return b, nil
}

// errorf is a failed scrape's error, credentials cut out: Go's transport
// errors quote the URL (user name and query included).
func (s *Scraper) errorf(err error) error {
	return fmt.Errorf("scrape %s: %s", s.shown, s.secrets.Apply(err.Error()))
}

func (s *Scraper) fetch(ctx context.Context) (io.ReadCloser, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.url, nil)
	if err != nil {
		return nil, s.errorf(err)
	}
	for k, vs := range s.header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	req.Header.Set("Accept", acceptHeader)
	resp, err := s.client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, s.errorf(err)
	}
	if resp.StatusCode != http.StatusOK {
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
		resp.Body.Close()
		return nil, fmt.Errorf("scrape %s: HTTP %d %s (is this the server's Prometheus endpoint? vLLM serves /metrics; SGLang needs --enable-metrics)", s.shown, resp.StatusCode, http.StatusText(resp.StatusCode))
	}
	return resp.Body, nil
}

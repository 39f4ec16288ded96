package runners

import (
	"context"
	"net/http"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/scrape"
)

// ScrapeHook scrapes a Prometheus /metrics endpoint (--scrape URL) every
// interval during the run and stores the timeline in the result's
// server_metrics. Scraping never fails the run; only a bad URL or interval
// does, before anything is sent.
func ScrapeHook(url string, interval time.Duration, header http.Header) Hook {
	return &scrapeHook{url: url, interval: interval, header: header}
}

type scrapeHook struct {
	url      string
	interval time.Duration
	header   http.Header
	s        *scrape.Scraper
}

func (h *scrapeHook) Start(ctx context.Context, start time.Time) error {
	s, err := scrape.Start(ctx, h.url, h.interval, scrape.Options{Epoch: start, Header: h.header})
	h.s = s
	return err
}

func (h *scrapeHook) Stop(res *results.Result) error {
	if h.s == nil {
		return nil
	}
	m := h.s.Stop()
	if res != nil {
		res.ServerMetrics = m
	}
	return nil
}

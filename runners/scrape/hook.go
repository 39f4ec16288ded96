package scrape

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/fleetbench/fleetbench/results"
)

// Hook scrapes one or more endpoints for the length of a run. Its Start
// and Stop match runners.Hook, so the runner needs no import of this
// package: build it with NewHook (which validates the flags, for an exit
// code 2 before anything is sent) and add it to the run's hooks.
type Hook struct {
	urls     []string
	interval time.Duration
	opt      Options
	running  []*Scraper
}

// NewHook validates urls and interval (0 = DefaultInterval). header is
// sent with every scrape; client may be nil.
func NewHook(urls []string, interval time.Duration, header http.Header, client *http.Client) (*Hook, error) {
	if len(urls) == 0 {
		return nil, errors.New("--scrape: no URL given")
	}
	iv := interval
	for _, u := range urls {
		var err error
		if iv, err = validate(u, interval); err != nil {
			return nil, err
		}
	}
	return &Hook{urls: urls, interval: iv, opt: Options{Header: header, Client: client}}, nil
}

// Start begins scraping every URL with start as the time origin. Each
// takes its baseline scrape before Start returns.
func (h *Hook) Start(ctx context.Context, start time.Time) error {
	if h.running != nil {
		return errors.New("scrape hook started twice")
	}
	opt := h.opt
	opt.Epoch = start
	for _, u := range h.urls {
		s, err := Start(ctx, u, h.interval, opt)
		if err != nil {
			h.stopAll()
			return err
		}
		h.running = append(h.running, s)
	}
	return nil
}

// Stop ends scraping and merges the collected metrics into
// res.ServerMetrics (res may be nil to just stop). Scrape failures are in
// the metrics, never returned as an error.
func (h *Hook) Stop(res *results.Result) error {
	m := h.stopAll()
	if res != nil && m != nil {
		res.ServerMetrics = results.MergeServerMetrics(res.ServerMetrics, m)
	}
	return nil
}

func (h *Hook) stopAll() *results.ServerMetrics {
	var m *results.ServerMetrics
	for _, s := range h.running {
		m = results.MergeServerMetrics(m, s.Stop())
	}
	h.running = nil
	return m
}

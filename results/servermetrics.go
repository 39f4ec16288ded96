package results

// ServerMetrics is a timeline of the server's Prometheus metrics scraped
// during a run (see runners/). Owned by the scraping work; extend freely.
type ServerMetrics struct{}

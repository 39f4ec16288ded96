package scrape_test

import (
	"github.com/fleetbench/fleetbench/runners"
	"github.com/fleetbench/fleetbench/runners/scrape"
)

// The runner takes the scraper as a runners.Hook.
var _ runners.Hook = (*scrape.Hook)(nil)

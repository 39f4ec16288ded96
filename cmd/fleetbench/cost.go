package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/econ"
	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/pricing"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

func init() { register(newCostCmd) }

type costTotalsFlags struct {
	gpuHours, gpuPrice, priceFile, class, format string
	usdPerHour, videoSeconds                     float64
	input, cached, output, tasks                 float64
	given                                        func(flag string) bool // the flag was on the command line
}

func newCostCmd() *cobra.Command {
	var f costTotalsFlags
	cmd := &cobra.Command{
		Use:   "cost",
		Short: "Price a day (or any period) from its totals: GPU-hours and token counts against a price list",
		Long: `cost prices a volume given only by its totals, so a published day can be
checked in one line: cost = GPU-hours x $/GPU-hour (per GPU type), revenue =
the price list applied to the tokens, tasks and video seconds, then the margin
on cost (markup_pct, as providers publish it) and on revenue (margin_pct), and
the break-even of each variable with the others held (docs/economics.md).
--input-tokens includes the cached tokens, as the OpenAI usage object and
result files count them; every volume the list bills must be given (0 if
none: a missing one is refused, not priced as 0). Tiered price lists bill every token at the first
tier (totals carry no per-request lengths). Without a fleet to attribute the
cost, the hit-rate solve charges input its token-weighted share (uncached 1,
cached 0.1, output 4: the cost model's default split).`,
		Example: `  fleetbench cost --gpu-hours 1000 --gpu-price h100=2.5 --input-tokens 9e9 --cached-tokens 6e9 --output-tokens 4e8 --price-file prices.yaml
  fleetbench cost --gpu-hours h100=800,h20=400 --gpu-price h100=2.5,h20=1.1 --input-tokens 1e9 --output-tokens 1e8 --price-file p.yaml --format json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f.given = cmd.Flags().Changed
			return runCostTotals(cmd.OutOrStdout(), f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.gpuHours, "gpu-hours", "", `GPU-hours: a number (one GPU type) or by type, e.g. "h100=800,h20=400"`)
	fl.StringVar(&f.gpuPrice, "gpu-price", "", `USD per GPU-hour by type, e.g. "h100=2.5" (default: the catalog's)`)
	fl.Float64Var(&f.usdPerHour, "usd-per-gpu-hour", 0, "USD per GPU-hour when --gpu-hours is a plain number")
	fl.Float64Var(&f.input, "input-tokens", 0, "input tokens, cached included")
	fl.Float64Var(&f.cached, "cached-tokens", 0, "input tokens served from cache (part of --input-tokens)")
	fl.Float64Var(&f.output, "output-tokens", 0, "output tokens")
	fl.Float64Var(&f.tasks, "tasks", 0, "tasks (for per-task prices)")
	fl.Float64Var(&f.videoSeconds, "video-seconds", 0, "seconds of generated video (for per-second prices)")
	fl.StringVar(&f.priceFile, "price-file", "", "YAML price list (format: fleetbench report --help); required")
	fl.StringVar(&f.class, "class", "", "price with this class's list from the file (default: the file's default list)")
	fl.StringVar(&f.format, "format", "table", "table or json")
	return cmd
}

// parseGPUHours parses "800" or "h100=800,h20=400".
func parseGPUHours(s string) (map[string]float64, float64, error) {
	s = strings.TrimSpace(s)
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		if !(v >= 0) || v > 1e15 {
			return nil, 0, fmt.Errorf("--gpu-hours %q: want a number of GPU-hours >= 0", s)
		}
		return nil, v, nil
	}
	m, err := results.ParseGPUPrices(s) // same TYPE=NUMBER shape
	if err != nil {
		return nil, 0, fmt.Errorf("--gpu-hours: %s", strings.ReplaceAll(err.Error(), "gpu price", "gpu hours"))
	}
	return m, 0, nil
}

// loadPriceList reads one list from a price file: class's, else the default.
func loadPriceList(path, class string) (*pricing.List, error) {
	if path == "" {
		return nil, errors.New("--price-file is required: the price list to check")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--price-file: %w", err)
	}
	file, err := scenarios.ParsePriceFile(path, data)
	if err != nil {
		return nil, fmt.Errorf("--price-file: %w", err)
	}
	if class != "" {
		if pl := file[class]; pl != nil {
			return pl, nil
		}
	}
	if pl := file["*"]; pl != nil {
		return pl, nil
	}
	keys := make([]string, 0, len(file))
	for k := range file {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(keys) == 1 {
		return file[keys[0]], nil
	}
	return nil, fmt.Errorf("--price-file %s has no default list: pick a class with --class (%s)", path, strings.Join(keys, ", "))
}

func runCostTotals(w io.Writer, f costTotalsFlags) error {
	if err := checkFormat(f.format, resultFormats); err != nil {
		return err
	}
	if f.gpuHours == "" {
		return usageErr(errors.New("--gpu-hours is required (e.g. --gpu-hours 1000 --gpu-price h100=2.5)"))
	}
	for _, v := range []float64{f.input, f.cached, f.output, f.tasks} {
		if !(v >= 0) || v > 1e18 || v != math.Trunc(v) {
			return usageErr(fmt.Errorf("token and task counts must be whole numbers from 0 to 1e18 (e.g. 9e9), got %v", v))
		}
	}
	if !(f.videoSeconds >= 0) || math.IsInf(f.videoSeconds, 0) || !(f.usdPerHour >= 0) || math.IsInf(f.usdPerHour, 0) {
		return usageErr(errors.New("--video-seconds and --usd-per-gpu-hour must be finite numbers >= 0"))
	}
	byType, plain, err := parseGPUHours(f.gpuHours)
	if err != nil {
		return usageErr(err)
	}
	prices, err := results.ParseGPUPrices(f.gpuPrice)
	if err != nil {
		return usageErr(fmt.Errorf("--gpu-price: %w", err))
	}
	var costUSD, hours float64
	var lines []gpuHoursLine
	switch {
	case byType == nil && f.usdPerHour > 0:
		costUSD, hours = plain*f.usdPerHour, plain
	case byType == nil && len(prices) == 1:
		for _, p := range prices {
			costUSD, hours = plain*p, plain
		}
	case byType == nil:
		return usageErr(errors.New("--gpu-hours is a plain number: give its price with --usd-per-gpu-hour P or one --gpu-price TYPE=P"))
	default:
		for _, t := range slices.Sorted(maps.Keys(byType)) { // a fixed order: the same sum every run
			h := byType[t]
			p, ok := prices[t]
			src := results.PriceOverride
			if !ok {
				if g, found := catalogPrice(t); found {
					p, src = g, results.PriceCatalog
				} else {
					return usageErr(fmt.Errorf("--gpu-hours names %s but --gpu-price has no price for it and the catalog does not know it", t))
				}
			}
			costUSD += h * p
			hours += h
			lines = append(lines, gpuHoursLine{GPU: t, GPUHours: h, USDPerGPUHour: p, USD: econ.Sig12(h * p), Source: src})
		}
	}
	if hours == 0 {
		return usageErr(errors.New("--gpu-hours adds up to 0: with no GPU time there is no cost (nor mean $/GPU-hour) to set against the revenue; give the GPU-hours that served the tokens"))
	}
	pl, err := loadPriceList(f.priceFile, f.class)
	if err != nil {
		return usageErr(err)
	}
	if err := f.billedVolumesGiven(pl); err != nil {
		return usageErr(err)
	}
	if f.cached > f.input {
		return usageErr(fmt.Errorf("--cached-tokens %.0f is more than --input-tokens %.0f: input tokens include the cached ones", f.cached, f.input))
	}
	b := results.TotalsBook(int64(f.input), int64(f.cached), int64(f.output), int64(f.tasks), f.videoSeconds, costUSD, pl, results.CostSplit{})
	mean := costUSD / hours
	a := econ.Analyze("totals", pl.Currency, b, mean)
	note := ""
	if len(pl.Tiers) > 1 {
		note = fmt.Sprintf("tiered price list: every token billed at its first tier (up to %d tokens): totals carry no per-request lengths, so requests a higher tier bills are priced at the first tier's prices", pl.Tiers[0].UpToTokens)
	}
	if f.format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			GPUHours float64        `json:"gpu_hours"`
			CostUSD  float64        `json:"cost_usd"`
			ByType   []gpuHoursLine `json:"by_type,omitempty"`
			Note     string         `json:"note,omitempty"`
			econ.Analysis
		}{econ.Sig12(hours), econ.Sig12(costUSD), lines, note, a}) // as a's figures: no float noise
	}
	fmt.Fprintf(w, "cost: %s GPU-hours, $%s (mean $%s/GPU-hour)", fmtF(hours), fmtF(costUSD), fmtF(mean))
	for i, l := range lines {
		sep, src := ", ", "--gpu-price"
		if i == 0 {
			sep = ": "
		}
		if l.Source == results.PriceCatalog {
			src = "catalog"
		}
		fmt.Fprintf(w, "%s%s %s GPU-h at $%s/GPU-hour (%s)", sep, l.GPU, fmtF(l.GPUHours), fmtF(l.USDPerGPUHour), src)
	}
	fmt.Fprintln(w)
	if note != "" {
		fmt.Fprintf(w, "note: %s\n", note)
	}
	if pl.Currency != "USD" {
		fmt.Fprintf(w, "prices in %s at %s CNY/USD: cost %s %s\n", pl.Currency, fmtF(pl.CNYPerUSD), fmtF(b.Cost), pl.Currency)
	}
	return a.Render(w)
}

// billedVolumesGiven refuses a run whose list bills a volume the flags do
// not give: it would be priced as 0 (revenue understated, margins wrong)
// with no word. An explicit 0 is an answer. The cached-token count is
// needed where the list discounts cached input (otherwise it is billed
// as input, and the split does not change the revenue).
func (f costTotalsFlags) billedVolumesGiven(pl *pricing.List) error {
	tier := pricing.Tier{InputPerMTok: pl.InputPerMTok, CachedInputPerMTok: pl.CachedInputPerMTok, OutputPerMTok: pl.OutputPerMTok}
	if len(pl.Tiers) > 0 {
		tier = pl.Tiers[0]
		if tier.CachedInputPerMTok == 0 {
			tier.CachedInputPerMTok = pl.CachedInputPerMTok
		}
	}
	for _, c := range []struct {
		price      float64
		what, line string
		flag       string
	}{
		{tier.InputPerMTok, "bills input tokens", "input_per_mtok", "--input-tokens"},
		{tier.CachedInputPerMTok, "discounts cached input", "cached_input_per_mtok", "--cached-tokens"},
		{tier.OutputPerMTok, "bills output tokens", "output_per_mtok", "--output-tokens"},
		{pl.PerTask, "bills tasks", "per_task", "--tasks"},
		{pl.PerVideoSecond, "bills video seconds", "per_video_second", "--video-seconds"},
	} {
		if c.price > 0 && f.given != nil && !f.given(strings.TrimPrefix(c.flag, "--")) {
			return fmt.Errorf("the price list %s (%s %s) but %s is not given: it would be priced as 0; give %s (0 if there were none)",
				c.what, c.line, strconv.FormatFloat(c.price, 'g', -1, 64), c.flag, c.flag)
		}
	}
	return nil
}

func fmtF(v float64) string { return strconv.FormatFloat(v, 'g', 6, 64) }

// catalogPrice is the catalog's default $/GPU-hour for a GPU type.
func catalogPrice(t string) (float64, bool) {
	s, err := hardware.Lookup(t)
	if err != nil || s.USDPerHour <= 0 {
		return 0, false
	}
	return s.USDPerHour, true
}

// gpuHoursLine is one GPU type of cost --gpu-hours TYPE=H: its hours, the
// price they were costed at and where that came from (override: the
// --gpu-price flag; catalog: docs/catalog.md, some of whose list prices
// are unverified), as sim's pool table says.
type gpuHoursLine struct {
	GPU           string  `json:"gpu"`
	GPUHours      float64 `json:"gpu_hours"`
	USDPerGPUHour float64 `json:"usd_per_gpu_hour"`
	USD           float64 `json:"usd"`
	Source        string  `json:"price_source"`
}

package scale

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// Formats Render accepts.
var Formats = []string{"table", "json", "csv"}

// Render writes c as a table, CSV (one row per level) or JSON.
func Render(w io.Writer, c *Curve, format string) error {
	switch format {
	case "json":
		return WriteJSON(w, c)
	case "csv":
		return renderCSV(w, c)
	case "table":
		return renderTable(w, c)
	}
	return fmt.Errorf("unknown format %q (use %s)", format, strings.Join(Formats, ", "))
}

// WriteJSON writes c as indented JSON; identical curves give identical bytes.
func WriteJSON(w io.Writer, c *Curve) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		return fmt.Errorf("scale: encode JSON: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

func priced(c *Curve) bool {
	return slices.ContainsFunc(c.Levels, func(l Level) bool { _, ok := l.Metrics["revenue_usd"]; return ok })
}

type col struct {
	head string
	get  func(l *Level) string
}

func metric(key string, f func(float64) string) func(l *Level) string {
	return func(l *Level) string {
		if v, ok := l.Metrics[key]; ok {
			return f(v)
		}
		return "-"
	}
}

func g4(v float64) string   { return strconv.FormatFloat(v, 'g', 4, 64) }
func pct(v float64) string  { return results.Pct(v) }
func pctP(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) + "%" }
func spct(v float64) string { return strconv.FormatFloat(v, 'f', 1, 64) }
func money(v float64) string {
	if v >= 1 {
		return strconv.FormatFloat(v, 'f', 2, 64)
	}
	return results.Fixed(v, 3)
}

func change(f func(c *Change) float64) func(l *Level) string {
	return func(l *Level) string {
		if l.Change == nil {
			return "-"
		}
		return spct(f(l.Change))
	}
}

// withVideo reports whether the curve's fleets have video pools: its
// req/s, GPUs/1k rps and their split then cover the LLM part only.
func withVideo(c *Curve) bool {
	return slices.ContainsFunc(c.Levels, func(l Level) bool { return l.VideoGPUs > 0 })
}

func columns(c *Curve) []col {
	llm := ""
	if withVideo(c) {
		llm = "LLM "
	}
	cols := []col{
		{"traffic", func(l *Level) string { return g4(l.Traffic) + "x" }},
		{llm + "req/s", func(l *Level) string {
			if l.Factors == nil {
				return "-"
			}
			return g4(l.Factors.RequestsPerS)
		}},
		{"fleet", func(l *Level) string { return orDash(l.Fleet) }},
		{"GPUs", func(l *Level) string {
			if l.Fleet == "" {
				return "-"
			}
			return strconv.Itoa(l.GPUs)
		}},
		{llm + "GPUs/1k rps", func(l *Level) string {
			if l.GPUsPer1kRPS == 0 {
				return "-"
			}
			return g4(l.GPUsPer1kRPS)
		}},
		{"linear", func(l *Level) string {
			if l.LinearGPUs == 0 {
				return "-"
			}
			return g4(l.LinearGPUs)
		}},
		{"saving", func(l *Level) string {
			if l.Saving == nil {
				return "-"
			}
			return pct(*l.Saving)
		}},
		{"hit", metric("cache_hit_rate", pct)},
		{"util", metric("utilization", pct)},
		{"$/task", metric("usd_per_task", money)},
		{"$/Mtok", metric("usd_per_mtok_all", money)},
	}
	if priced(c) {
		cols = append(cols, col{"markup", metric("markup_pct", pctP)}, col{"margin", metric("margin_pct", pctP)})
	}
	return append(cols,
		col{"Δ GPUs/1k %", change(func(c *Change) float64 { return c.Total })},
		col{"cache", change(func(c *Change) float64 { return c.CacheReuse })},
		col{"batching", change(func(c *Change) float64 { return c.Batching })},
		col{"util.", change(func(c *Change) float64 { return c.Utilization })},
		col{"P:D", change(func(c *Change) float64 { return c.PDBalance })},
		col{"probes", func(l *Level) string { return strconv.Itoa(len(l.Probes)) }},
	)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func renderTable(w io.Writer, c *Curve) error {
	var b strings.Builder
	fmt.Fprintf(&b, "scale curve of scenario %s (seed %d): smallest fleet meeting every SLO per traffic level (%s)", c.Scenario.Name, c.Scenario.Seed, strings.Join(c.Kinds, ", "))
	if c.TierBlocksPerInstance > 0 {
		fmt.Fprintf(&b, ", pooled KV tier %d blocks/instance", c.TierBlocksPerInstance)
	}
	if c.Shard != "" {
		fmt.Fprintf(&b, ", shard %s", c.Shard)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	cols := columns(c)
	for _, cl := range cols {
		fmt.Fprintf(tw, "%s\t", cl.head)
	}
	fmt.Fprintln(tw)
	for i := range c.Levels {
		for _, cl := range cols {
			fmt.Fprintf(tw, "%s\t", cl.get(&c.Levels[i]))
		}
		fmt.Fprintln(tw)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("  Δ GPUs/1k %: change from the previous level; cache, batching, util., P:D: its measured split (percentage points, they add up)\n")
	b.WriteString("  " + sweep.UtilLegend + "\n")
	if withVideo(c) {
		b.WriteString("  LLM req/s, LLM GPUs/1k rps and the split cover the LLM pools and requests: the video pools (held at the scenario's size) and clips are outside the token identity; GPUs, linear and saving count every pool\n")
	}
	for _, l := range c.Levels {
		if l.Note != "" {
			fmt.Fprintf(&b, "  %gx: %s\n", l.Traffic, l.Note)
		}
	}
	for _, n := range c.Notes {
		fmt.Fprintf(&b, "  note: %s\n", n)
	}
	lines := strings.Split(b.String(), "\n")
	for i := range lines {
		lines[i] = strings.TrimRight(lines[i], " ")
	}
	_, err := io.WriteString(w, strings.Join(lines, "\n"))
	return err
}

func renderCSV(w io.Writer, c *Curve) error {
	var keys []string
	for _, l := range c.Levels {
		for k := range l.Metrics {
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	f := sweep.CSVNum // 6 significant digits, as sweep's CSV: no float noise
	head := []string{"traffic", "fleet", "kind", "gpus", "gpus_per_1k_rps", "linear_gpus", "saving",
		"llm_requests_per_s", "tokens_per_request", "busy_gpu_s_per_token", "binding_utilization", "balance",
		"change_total_pct", "change_cache_reuse_pct", "change_batching_pct", "change_utilization_pct", "change_pd_balance_pct", "probes"}
	cw := csv.NewWriter(w)
	if err := cw.Write(append(head, keys...)); err != nil {
		return err
	}
	for _, l := range c.Levels {
		// Empty where the level has no figure: no answer (no fleet), or
		// nothing to scale from (no previous answer).
		row := []string{f(l.Traffic), l.Fleet, l.Kind, "", "", "", ""}
		if l.Fleet != "" {
			row[3] = strconv.Itoa(l.GPUs)
		}
		if l.GPUsPer1kRPS > 0 {
			row[4] = f(l.GPUsPer1kRPS)
		}
		if l.LinearGPUs > 0 {
			row[5] = f(l.LinearGPUs)
		}
		if l.Saving != nil {
			row[6] = f(*l.Saving)
		}
		if ff := l.Factors; ff != nil {
			row = append(row, f(ff.RequestsPerS), f(ff.TokensPerRequest), f(ff.BusyGPUSecondsPerToken), f(ff.BindingUtilization), f(ff.Balance))
		} else {
			row = append(row, "", "", "", "", "")
		}
		if ch := l.Change; ch != nil {
			row = append(row, f(ch.Total), f(ch.CacheReuse), f(ch.Batching), f(ch.Utilization), f(ch.PDBalance))
		} else {
			row = append(row, "", "", "", "", "")
		}
		row = append(row, strconv.Itoa(len(l.Probes)))
		for _, k := range keys {
			if v, ok := l.Metrics[k]; ok {
				row = append(row, f(v))
			} else {
				row = append(row, "")
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// AsSweep is the curve as a sweep file of its chosen points (Search
// "scale", Scale = traffic level, plus gpus_per_1k_rps), so that the HTML
// report draws it with its scale-curve charts; the notes carry the
// decomposition.
func AsSweep(c *Curve) *sweepfile.Sweep {
	s := &sweepfile.Sweep{Schema: sweepfile.Schema, Scenario: c.Scenario, Search: sweepfile.SearchScale, Notes: c.Notes, Interrupted: c.Interrupted}
	for _, l := range c.Levels {
		if l.Fleet == "" {
			continue
		}
		var pt sweepfile.Point
		for _, p := range l.Probes {
			if p.Fleet == l.Fleet {
				pt = p
			}
		}
		pt.Index = len(s.Points)
		pt.Scale = l.Traffic
		pt.Metrics = map[string]float64{}
		for k, v := range l.Metrics {
			pt.Metrics[k] = v
		}
		pt.Metrics["gpus_per_1k_rps"] = l.GPUsPer1kRPS
		if l.VideoGPUs > 0 {
			pt.Metrics["video_gpus"] = float64(l.VideoGPUs) // the HTML names the LLM scope
		}
		if ch := l.Change; ch != nil {
			// The change from the previous level with an answer, for the
			// HTML report's decomposition chart.
			pt.Metrics["change_from"] = ch.From
			pt.Metrics["change_total_pct"] = ch.Total
			pt.Metrics["change_cache_reuse_pct"] = ch.CacheReuse
			pt.Metrics["change_batching_pct"] = ch.Batching
			pt.Metrics["change_utilization_pct"] = ch.Utilization
			pt.Metrics["change_pd_balance_pct"] = ch.PDBalance
		}
		s.Points = append(s.Points, pt)
	}
	for _, l := range c.Levels {
		if ch := l.Change; ch != nil {
			s.Notes = append(s.Notes, fmt.Sprintf("%gx -> %gx: GPUs per 1k req/s %+.1f%% = cache reuse %+.1f + batching %+.1f + utilization %+.1f + P:D balance %+.1f",
				ch.From, ch.To, ch.Total, ch.CacheReuse, ch.Batching, ch.Utilization, ch.PDBalance))
		}
	}
	return s
}

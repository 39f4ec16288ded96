package results

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// DefaultExportPercentiles are the percentiles of report --format
// csv|markdown when --percentiles is not given.
var DefaultExportPercentiles = []float64{50, 90, 95, 99}

// ExportRow is one class x latency metric line of a result export
// (report --format csv|markdown). Values are in Unit; a nil pointer is a
// figure the result cannot give (no histogram for a percentile outside
// the summary's, or for the standard deviation) and prints empty or "-",
// never 0.
type ExportRow struct {
	Class, Metric, Unit string
	Count               int64
	Mean                float64
	Std                 *float64
	Percentiles         []*float64 // one per requested percentile
}

// ExportRows lists every latency metric with data of every class (sorted
// by name) and then the totals ("total"), but for client-side metrics of a
// sim result (Metric.ClientOnly). Mean, standard deviation and
// any percentile come from the result's histograms when it has them (the
// totals' from the classes' histograms merged); without histograms the
// summary's own percentiles (p50, p90, p95, p99, p99.9) are used and the
// rest are nil.
func ExportRows(r *Result, qs []float64) ([]ExportRow, error) {
	names := make([]string, 0, len(r.Classes))
	for n, c := range r.Classes {
		if c != nil {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	var rows []ExportRow
	for i := range Metrics {
		m := &Metrics[i]
		if m.ClientOnly(r) {
			continue
		}
		var merged *hdr.Histogram
		complete := true // every class with this metric has its histogram
		for _, n := range names {
			h, err := r.hist(n, m.Key)
			if err != nil {
				return nil, err
			}
			if p := m.Of(r.Classes[n]); p != nil && p.Count > 0 {
				if h == nil {
					complete = false
				} else if merged == nil {
					merged = hdr.New(h.LowestTrackableValue(), h.HighestTrackableValue(), int(h.SignificantFigures()))
				}
				if h != nil {
					merged.Merge(h)
				}
				rows = append(rows, exportRow(n, m, p, h, qs))
			}
		}
		if r.Totals != nil {
			if p := m.Of(r.Totals); p != nil && p.Count > 0 {
				if !complete || merged == nil || merged.TotalCount() != p.Count {
					merged = nil
				}
				rows = append(rows, exportRow("total", m, p, merged, qs))
			}
		}
	}
	return rows, nil
}

// hist decodes class n's histogram of metric key, nil when absent.
func (r *Result) hist(n, key string) (*hdr.Histogram, error) {
	enc, ok := r.Histograms[n][key]
	if !ok {
		return nil, nil
	}
	h, err := decodeHist(enc)
	if err != nil {
		return nil, fmt.Errorf("histograms.%s.%s: %w", n, key, err)
	}
	return h, nil
}

func exportRow(class string, m *Metric, p *Percentiles, h *hdr.Histogram, qs []float64) ExportRow {
	row := ExportRow{Class: class, Metric: m.Name, Unit: m.Unit, Count: p.Count, Mean: p.Mean}
	if h != nil {
		sd := roundDec(h.StdDev()/1000, 3)
		row.Std = &sd
	}
	for _, q := range qs {
		var v *float64
		if h != nil {
			x := usToMs(h.ValueAtPercentile(q))
			v = &x
		} else if key, ok := percentileKeyOf(q); ok {
			if x, ok := p.Get(key); ok {
				v = &x
			}
		}
		row.Percentiles = append(row.Percentiles, v)
	}
	return row
}

// percentileKeyOf is the summary key (p50...) of percentile q, if the
// summary keeps it.
func percentileKeyOf(q float64) (string, bool) {
	for _, k := range percentileKeys {
		if math.Abs(k.q-q) < 1e-9 {
			return k.key, true
		}
	}
	return "", false
}

// percentileHeader names percentile q as a column: p50, p99.9.
func percentileHeader(q float64) string {
	return "p" + strconv.FormatFloat(q, 'f', -1, 64)
}

func cell(v *float64, none string) string {
	if v == nil {
		return none
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// RenderCSV writes r's latency metrics as CSV (one row per class and
// metric: class, metric, unit, count, mean, std, one column per
// percentile, then the class's kind, "mixed" for totals pooling classes of
// different kinds, as the JSON labels them); figures the result cannot give
// are empty cells.
func RenderCSV(w io.Writer, r *Result, qs []float64) error {
	rows, err := ExportRows(r, qs)
	if err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := []string{"class", "metric", "unit", "count", "mean", "std"}
	for _, q := range qs {
		head = append(head, percentileHeader(q))
	}
	_ = cw.Write(append(head, "kind"))
	for _, row := range rows {
		rec := []string{row.Class, row.Metric, row.Unit, strconv.FormatInt(row.Count, 10),
			strconv.FormatFloat(row.Mean, 'f', -1, 64), cell(row.Std, "")}
		for _, v := range row.Percentiles {
			rec = append(rec, cell(v, ""))
		}
		kind := ""
		if c := classOf(r, row.Class); c != nil {
			kind = c.Kind
		}
		_ = cw.Write(append(rec, kind))
	}
	cw.Flush()
	return cw.Error()
}

// RenderMarkdown writes r as a GitHub-flavoured markdown table: a header
// line naming the scenario, then one row per class and latency metric
// (as RenderCSV); figures the result cannot give are "-".
func RenderMarkdown(w io.Writer, r *Result, qs []float64) error {
	rows, err := ExportRows(r, qs)
	if err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** seed %d, backend %s, window %.3f s\n\n", orDash(r.Scenario.Name), r.Scenario.Seed, orDash(r.Backend), r.Window.DurationS)
	// The result's own warnings (interrupted, fell behind, short window)
	// qualify every row below, as atop the terminal table.
	if line := repeatLine(r); line != "" {
		fmt.Fprintf(&b, "> %s\n\n", line)
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "> **WARNING:** %s\n\n", w)
	}
	b.WriteString("| class | metric | count | mean | std |")
	sep := "|---|---|---:|---:|---:|"
	for _, q := range qs {
		b.WriteString(" " + percentileHeader(q) + " |")
		sep += "---:|"
	}
	b.WriteString("\n" + sep + "\n")
	// As the terminal table: a latency percentile of totals pooling
	// classes of different kinds describes no request (the CSV keeps it,
	// as the JSON does, labelled by the totals' kind in its kind column).
	mixedLeftOut := false
	for _, row := range rows {
		if m, ok := MetricByName(row.Metric); ok && row.Class == TotalClass && r.Totals != nil && r.Totals.Kind == "mixed" && !m.AcrossKinds {
			mixedLeftOut = true
			continue
		}
		fmt.Fprintf(&b, "| %s | %s (%s) | %d | %s | %s |", row.Class, row.Metric, row.Unit, row.Count,
			strconv.FormatFloat(row.Mean, 'f', -1, 64), cell(row.Std, "-"))
		for _, v := range row.Percentiles {
			b.WriteString(" " + cell(v, "-") + " |")
		}
		b.WriteByte('\n')
	}
	if mixedLeftOut {
		b.WriteString("\ntotal: no latency rows over classes of different kinds (kind mixed); read each class's\n")
	}
	_, err = io.WriteString(w, b.String())
	return err
}

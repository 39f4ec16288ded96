package htmlreport

import (
	"fmt"
	"math"
	"strconv"

	"github.com/fleetbench/fleetbench/results"
)

// Number formatting for the page: precision follows magnitude so that
// tables stay narrow and identical inputs print identically.

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func num(v float64) string {
	a := math.Abs(v)
	switch {
	case a >= 1e6:
		return strconv.FormatFloat(v/1e6, 'f', 2, 64) + "M"
	case a >= 1e4:
		return strconv.FormatFloat(v/1e3, 'f', 1, 64) + "k"
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return results.SmallNum(v)
}

// trim prints v with up to 3 decimals and no trailing zeros.
func trim(v float64) string { return strconv.FormatFloat(roundTo(v, 3), 'f', -1, 64) }

func roundTo(v float64, n int) float64 {
	s := math.Pow10(n)
	return math.Round(v*s) / s
}

func intText(v float64) string { return strconv.FormatInt(int64(v), 10) }

// msNum writes a latency for text that prints its unit after it (with
// unitMs): seconds from 10 s. Cells under a label that names the unit
// ("E2E p99 ms") use msPlain instead.
func msNum(v float64) string {
	if math.Abs(v) >= 10000 {
		return strconv.FormatFloat(v/1000, 'f', 1, 64) + " s"
	}
	return msPlain(v)
}

// msPlain writes a latency in milliseconds, whatever its size, for table
// cells whose row or column label says "ms".
func msPlain(v float64) string {
	switch a := math.Abs(v); {
	case a >= 100:
		return strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 10:
		return strconv.FormatFloat(v, 'f', 1, 64)
	}
	return strconv.FormatFloat(v, 'f', 2, 64)
}

func msField(p *results.Percentiles, key string) string {
	if p == nil || p.Count == 0 {
		return "–"
	}
	v, _ := p.Get(key)
	return msNum(v) + unitMs(v)
}

func msText(p *results.Percentiles) string { return msField(p, "p99") }

// unitMs is the unit suffix msNum leaves off below 10 s.
func unitMs(v float64) string {
	if math.Abs(v) >= 10000 {
		return ""
	}
	return " ms"
}

func pctNum(v float64) string { return results.Pct(v) }

func pctText(v float64, ok bool) string {
	if !ok {
		return "–"
	}
	return pctNum(v)
}

func rate(v float64, unit string) string { return num(v) + " " + unit }

func usd(v float64) string {
	a := math.Abs(v)
	switch {
	case a == 0:
		return "$0"
	case a >= 100:
		return "$" + strconv.FormatFloat(v, 'f', 0, 64)
	case a >= 1:
		return "$" + strconv.FormatFloat(v, 'f', 2, 64)
	case a >= 0.01:
		return "$" + strconv.FormatFloat(v, 'f', 4, 64)
	}
	return "$" + strconv.FormatFloat(v, 'g', 3, 64)
}

func seconds(s float64) string {
	switch {
	case s >= 7200:
		return fmt.Sprintf("%.1f h", s/3600)
	case s >= 120:
		return fmt.Sprintf("%.1f min", s/60)
	case s < 10:
		// Three significant digits: a 25 ms window is not "0.0 s".
		return strconv.FormatFloat(s, 'g', 3, 64) + " s"
	}
	return fmt.Sprintf("%.1f s", s)
}

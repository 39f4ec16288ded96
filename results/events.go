package results

import (
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
)

// eventKinds are the event lists a result carries in Extra (the
// simulator's autoscaler and failure reports), with their headings.
var eventKinds = []struct{ key, title string }{
	{"scale_events", "autoscaler"},
	{"incidents", "failure"},
}

// maxEventLines bounds the events printed per kind; the rest are counted.
const maxEventLines = 40

// EventLines renders the result's autoscaler and failure events, one line
// each ("autoscaler t=12.5s pool=decode from=2 to=3 ..."), at most
// maxEventLines per kind followed by a count of the rest. Keys other than
// the time print sorted, so any event shape reads.
func EventLines(r *Result) []string {
	var out []string
	for _, k := range eventKinds {
		list, ok := r.Extra[k.key].([]any)
		if !ok {
			if ms, ok2 := r.Extra[k.key].([]map[string]any); ok2 { // in-process results
				for _, m := range ms {
					list = append(list, m)
				}
			}
		}
		for i, ev := range list {
			if i == maxEventLines {
				out = append(out, fmt.Sprintf("%s: %d more events in the JSON (extra.%s)", k.title, len(list)-i, k.key))
				break
			}
			out = append(out, k.title+" "+eventText(ev))
		}
	}
	return out
}

func eventText(ev any) string {
	m, ok := ev.(map[string]any)
	if !ok {
		return fmt.Sprint(ev)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		if k != "t_s" && k != "at_s" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var parts []string
	for _, tk := range []string{"t_s", "at_s"} {
		if t, ok := m[tk]; ok {
			parts = append(parts, "t="+valueText(t)+"s")
		}
	}
	for _, k := range keys {
		parts = append(parts, k+"="+valueText(m[k]))
	}
	return strings.Join(parts, " ")
}

func valueText(v any) string {
	switch x := v.(type) {
	case nil:
		return "-" // JSON null: not measured
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case string:
		return x
	case *float64: // in-process events (sim's incidents): a figure, or nil
		if x == nil {
			return "-"
		}
		return valueText(*x)
	case *int64:
		if x == nil {
			return "-"
		}
		return strconv.FormatInt(*x, 10)
	}
	return fmt.Sprint(v)
}

// ServerMetricLines summarises what was scraped from the server's
// /metrics during a real run (nil when nothing was): prefix-cache hit
// rate, KV-cache usage, running and waiting requests, preemptions.
func ServerMetricLines(r *Result) []string {
	sm := r.ServerMetrics
	if sm == nil {
		return nil
	}
	s := sm.Summary
	var out []string
	if s.PrefixCacheHitRateSource != "" {
		out = append(out, fmt.Sprintf("prefix-cache hit rate %.1f%% (%s)", 100*s.PrefixCacheHitRate, s.PrefixCacheHitRateSource))
	}
	if s.KVUsage.N > 0 {
		out = append(out, fmt.Sprintf("KV-cache usage mean %.1f%%, max %.1f%%", 100*s.KVUsage.Mean, 100*s.KVUsage.Max))
	}
	if s.Running.N > 0 {
		out = append(out, fmt.Sprintf("running requests mean %.1f, max %g", s.Running.Mean, s.Running.Max))
	}
	if s.Waiting.N > 0 {
		out = append(out, fmt.Sprintf("waiting requests mean %.1f, max %g", s.Waiting.Mean, s.Waiting.Max))
	}
	if s.Preemptions > 0 {
		out = append(out, fmt.Sprintf("preemptions %g", s.Preemptions))
	}
	return out
}

// RenderEvents writes the scraped server metrics and the events under
// the table (nothing when the result has neither).
func RenderEvents(w io.Writer, r *Result) error {
	var b strings.Builder
	if lines := ServerMetricLines(r); len(lines) > 0 {
		b.WriteString("\nserver metrics (scraped)\n")
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
	}
	if lines := EventLines(r); len(lines) > 0 {
		b.WriteString("\nevents\n")
		for _, l := range lines {
			b.WriteString("  " + l + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

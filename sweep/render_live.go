package sweep

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// liveMetrics are the per-step figures of a live sweep's table, measured
// beside predicted: key, heading, format.
var liveMetrics = []struct {
	key, head string
	f         func(float64) string
}{
	{"ttft_p50_ms", "ttft p50", ms}, {"ttft_p99_ms", "ttft p99", ms},
	{"tpot_p50_ms", "tpot p50", ms}, {"tpot_p99_ms", "tpot p99", ms},
	{"delivered_tok_s", "tok/s", num}, {"cache_hit_rate", "hit", pctS},
}

// StoppedMark marks a live step's measured figures when the step was
// stopped before its bound (sweepfile.Point.Stopped); StoppedNote says
// what they are.
const (
	StoppedMark = "*"
	StoppedNote = "step stopped early: its figures cover only the requests that finished before the stop (tail latencies biased low, tok/s not a throughput); its verdict stands"
)

// renderLive writes a live sweep (sweep --target): one row per step, each
// figure measured, then "/ predicted" when the sweep has a prediction;
// then the answers, saturation points with their evidence, and notes.
func renderLive(w io.Writer, s *sweepfile.Sweep, md bool) error {
	pred := map[int]*sweepfile.Point{}
	for i := range s.Predicted {
		pred[s.Predicted[i].Index] = &s.Predicted[i]
	}
	head := []string{"#", "load", "slo"}
	if len(pred) > 0 {
		head = append(head, "pred slo")
	}
	for _, m := range liveMetrics {
		h := m.head
		if len(pred) > 0 {
			h += " meas/pred"
		}
		head = append(head, h)
	}
	var rows [][]string
	anyStopped := false
	for i := range s.Points {
		p := &s.Points[i]
		row := []string{strconv.Itoa(p.Index), stepLoad(p), verdict(p)}
		q := pred[p.Index]
		if len(pred) > 0 {
			row = append(row, orDash(q, verdict))
		}
		for _, m := range liveMetrics {
			cell := liveCell(p, m.key, m.f)
			if p.Stopped != "" && cell != "-" {
				cell += StoppedMark
				anyStopped = true
			}
			if len(pred) > 0 {
				cell += " / " + liveCell(q, m.key, m.f)
			}
			row = append(row, cell)
		}
		rows = append(rows, row)
	}
	var b strings.Builder
	t := fmt.Sprintf("live sweep of scenario %s (seed %d) against %s", s.Scenario.Name, s.Scenario.Seed, s.Target)
	if s.Search != "" {
		t += ", search " + s.Search
	}
	if s.PredictedFleet != "" {
		t += ", predicted for fleet " + s.PredictedFleet
	}
	t += fmt.Sprintf(": %d steps", len(s.Points))
	bullet := "  "
	if md {
		bullet = "- "
		fmt.Fprintf(&b, "**%s**\n\n| %s |\n|%s\n", t, strings.Join(head, " | "), strings.Repeat("---|", len(head)))
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s |\n", strings.Join(r, " | "))
		}
		b.WriteByte('\n')
	} else {
		b.WriteString(t + "\n")
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "%s\t\n", strings.Join(head, "\t"))
		for _, r := range rows {
			fmt.Fprintf(tw, "%s\t\n", strings.Join(r, "\t"))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	if anyStopped {
		mark := StoppedMark
		if md {
			mark = `\` + mark // not a list bullet
		}
		fmt.Fprintf(&b, "%s%s %s\n", bullet, mark, StoppedNote)
	}
	for _, p := range s.Points {
		switch {
		case p.Error != "":
			fmt.Fprintf(&b, "%sstep %d (%s): %s\n", bullet, p.Index, stepLoad(&p), p.Error)
		case p.Stopped != "":
			fmt.Fprintf(&b, "%sstep %d (%s): %s\n", bullet, p.Index, stepLoad(&p), p.Stopped)
		}
	}
	if s.Search == sweepfile.SearchMaxLoad {
		if a := s.Answer; a != nil {
			fmt.Fprintf(&b, "%smeasured max load: %sx the scenario's traffic within its SLOs (step %d)\n", bullet, num(a.RateScale), a.Index)
		} else {
			fmt.Fprintf(&b, "%smeasured max load: none (no step met every SLO)\n", bullet)
		}
		if s.PredictedFleet != "" {
			if a := s.PredictedAnswer; a != nil {
				fmt.Fprintf(&b, "%spredicted max load (%s): %sx\n", bullet, s.PredictedFleet, num(a.RateScale))
			} else {
				fmt.Fprintf(&b, "%spredicted max load (%s): none\n", bullet, s.PredictedFleet)
			}
		}
	}
	for _, sat := range s.Saturation {
		fmt.Fprintf(&b, "%ssaturation: %s\n", bullet, sat.Evidence)
	}
	if mixed := sweepfile.MixedNote(append(slices.Clip(s.Points), s.Predicted...)); mixed != "" {
		fmt.Fprintf(&b, "%snote: %s\n", bullet, mixed)
	}
	for _, n := range s.Notes {
		fmt.Fprintf(&b, "%snote: %s\n", bullet, n)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func stepLoad(p *sweepfile.Point) string {
	if p.Concurrency > 0 {
		return "c=" + strconv.Itoa(p.Concurrency)
	}
	return num(p.RateScale) + "x"
}

// verdict is a point's slo cell: error, BEHIND (the fleet fell behind the
// offered load), met or MISSED.
func verdict(p *sweepfile.Point) string {
	switch {
	case p.Error != "":
		return "error"
	case p.FellBehind:
		return "BEHIND"
	case p.MeetsSLO:
		return "met" + overContextMark(p)
	}
	return "MISSED" + overContextMark(p)
}

// overContextMark marks the verdict of a point that served requests over
// the model's context (results.OverContextNote under the table).
func overContextMark(p *sweepfile.Point) string {
	if p.OverContext != nil {
		return results.OverContextMark
	}
	return ""
}

func orDash(p *sweepfile.Point, f func(*sweepfile.Point) string) string {
	if p == nil {
		return "-"
	}
	return f(p)
}

// liveCell is one figure of a step, "± half-width" with repeats.
func liveCell(p *sweepfile.Point, key string, f func(float64) string) string {
	if p == nil {
		return "-"
	}
	v, ok := p.Shown(key)
	if !ok {
		return "-"
	}
	if h, ok := p.CI95[key]; ok {
		return f(v) + "±" + f(h)
	}
	return f(v)
}

package scenarios

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Dist summarises a sample: mean and percentiles (nearest rank).
type Dist struct {
	N                        int
	Mean, P50, P90, P99, Max float64
}

func summarize(xs []float64) Dist {
	if len(xs) == 0 {
		return Dist{}
	}
	slices.Sort(xs)
	sum := 0.0
	for _, x := range xs {
		sum += x
	}
	q := func(p float64) float64 {
		i := int(math.Ceil(p*float64(len(xs)))) - 1
		return xs[min(max(i, 0), len(xs)-1)]
	}
	return Dist{N: len(xs), Mean: sum / float64(len(xs)), P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: xs[len(xs)-1]}
}

// ClassStats is what `scenario stats` measures for one class.
type ClassStats struct {
	Name string
	Kind Kind
	// Requests counts every request (agent turns and sub-agent requests
	// included); Tasks counts top-level arrivals (chat requests, agent
	// sessions, clips, trace lines).
	Requests, Tasks int
	// RatePerS is top-level arrivals per second over the sampled window.
	RatePerS float64
	Input    Dist // input tokens per request
	Output   Dist // requested output tokens per request
	// Turns and Subagents are per task (agent classes): root-session turns,
	// and sub-agent sessions spawned. Tasks cut off by the sample bound count
	// with the turns seen so far.
	Turns, Subagents Dist
	// OverContext counts the requests whose input + output exceed the
	// scenario model's context (Stats.ContextTokens); Longest is the
	// longest of them.
	OverContext, Longest int
	// PrefixReuse is the token hit rate of an infinite prefix cache: a
	// request's hit is the tokens of its leading blocks whose chained prefix
	// some earlier request (of any class) already had.
	PrefixReuse float64
}

// Stats is the result of ComputeStats.
type Stats struct {
	Requests int
	// WindowS is the last top-level arrival seen, in seconds: the window
	// arrival rates are measured over (follow-up turns may run past it).
	WindowS     float64
	PrefixReuse float64 // over all classes, token-weighted
	Classes     []ClassStats
	// ContextTokens is the context length of the scenario's model
	// (fleet.model), 0 when it names none the catalog knows; Model is its id.
	ContextTokens int
	Model         string
}

// ComputeStats drives w (zero latency, Drive) for up to n requests and
// measures it. Memory grows with n (lengths and the prefix set are kept).
func ComputeStats(s *Scenario, w *Workload, n int) (*Stats, error) {
	type acc struct {
		in, out       []float64
		turns, subs   map[uint64]int
		order         []uint64 // task ids in first-seen order, for determinism
		hit, tokens   int
		tasks, reqs   int
		over, longest int // requests over the model's context
	}
	accs := make([]acc, len(s.Classes))
	for i := range accs {
		accs[i].turns, accs[i].subs = map[uint64]int{}, map[uint64]int{}
	}
	seen := map[uint64]struct{}{}
	st := &Stats{}
	if m, ok := fleetModel(s, s.baseDir); ok {
		st.ContextTokens, st.Model = m.ContextTokens, m.ID
	}
	totalHit, totalTok := 0, 0
	err := Drive(w, n, func(r *Request) {
		a := &accs[r.ClassIndex]
		st.Requests++
		a.reqs++
		a.in = append(a.in, float64(r.InputTokens))
		a.out = append(a.out, float64(r.OutputTokens))
		if n := r.InputTokens + r.OutputTokens; st.ContextTokens > 0 && n > st.ContextTokens {
			a.over++
			a.longest = max(a.longest, n)
		}
		if r.Turn == 0 && r.Depth == 0 {
			st.WindowS = max(st.WindowS, float64(r.Arrival)/1e9)
			a.tasks++
			a.order = append(a.order, r.TaskID)
		}
		if r.Depth == 0 {
			a.turns[r.TaskID]++
		} else if r.Turn == 0 {
			a.subs[r.TaskID]++
		}
		// Chained prefix hashes: block i is a hit if the whole prefix up to
		// and including it was seen before.
		h, hitting := uint64(0), true
		for _, b := range r.Prompt {
			h = hash2(h, b.ID)
			if _, ok := seen[h]; ok && hitting {
				a.hit += int(b.Tokens)
			} else {
				hitting = false
				seen[h] = struct{}{}
			}
			a.tokens += int(b.Tokens)
		}
	})
	for i, c := range s.Classes {
		a := &accs[i]
		cs := ClassStats{Name: c.Name, Kind: c.Kind, Requests: a.reqs, Tasks: a.tasks,
			Input: summarize(a.in), Output: summarize(a.out), OverContext: a.over, Longest: a.longest}
		if st.WindowS > 0 {
			cs.RatePerS = float64(a.tasks) / st.WindowS
		}
		if c.Kind == KindAgent {
			turns := make([]float64, 0, len(a.order))
			subs := make([]float64, 0, len(a.order))
			for _, id := range a.order {
				turns = append(turns, float64(a.turns[id]))
				subs = append(subs, float64(a.subs[id]))
			}
			cs.Turns, cs.Subagents = summarize(turns), summarize(subs)
		}
		if a.tokens > 0 {
			cs.PrefixReuse = float64(a.hit) / float64(a.tokens)
		}
		totalHit += a.hit
		totalTok += a.tokens
		st.Classes = append(st.Classes, cs)
	}
	if totalTok > 0 {
		st.PrefixReuse = float64(totalHit) / float64(totalTok)
	}
	return st, err
}

// WriteTable renders the stats for humans.
func (st *Stats) WriteTable(out io.Writer) error {
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "requests %d over %.1f s; prefix reuse upper bound (infinite cache) %.1f%%\n\n", st.Requests, st.WindowS, 100*st.PrefixReuse)
	fmt.Fprintln(tw, "class\tkind\trequests\ttasks\ttasks/s\tinput mean\tp50\tp90\tp99\toutput mean\tp50\tp90\tp99\tturns/task\tsubagents/task\tprefix reuse")
	for _, c := range st.Classes {
		turns, subs := "-", "-"
		if c.Kind == KindAgent {
			turns = fmt.Sprintf("%.1f (p99 %.0f)", c.Turns.Mean, c.Turns.P99)
			subs = fmt.Sprintf("%.2f", c.Subagents.Mean)
		}
		// A clip has no tokens and no prompt: its lengths and prefix
		// reuse are absent, not 0.
		lengths := "-\t-\t-\t-\t-\t-\t-\t-"
		reuse := "-"
		if c.Kind != KindVideo {
			lengths = fmt.Sprintf("%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f\t%.0f",
				c.Input.Mean, c.Input.P50, c.Input.P90, c.Input.P99,
				c.Output.Mean, c.Output.P50, c.Output.P90, c.Output.P99)
			reuse = fmt.Sprintf("%.1f%%", 100*c.PrefixReuse)
		}
		// Arrivals all at one instant (a trace's first lines) have no
		// rate: absent, not 0.
		rate := "-"
		if st.WindowS > 0 {
			rate = fmt.Sprintf("%.3f", c.RatePerS)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\n",
			c.Name, c.Kind, c.Requests, c.Tasks, rate, lengths, turns, subs, reuse)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var over []string
	for _, c := range st.Classes {
		if c.OverContext > 0 {
			over = append(over, fmt.Sprintf("%s %d of %d requests (%.1f%%), the longest %d", c.Name, c.OverContext, c.Requests, 100*float64(c.OverContext)/float64(c.Requests), c.Longest))
		}
	}
	if len(over) > 0 {
		_, err := fmt.Fprintf(out, "over the %d-token context of %s (fleet.model), prompt + output: %s; a server refuses these (HTTP 400), sim serves and counts them (over_context)\n",
			st.ContextTokens, st.Model, strings.Join(over, "; "))
		return err
	}
	return nil
}

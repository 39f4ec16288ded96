package results

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"reflect"
	"slices"
	"sort"
	"strings"
)

// WriteJSON writes r as indented JSON followed by a newline. The output is
// byte-identical for identical results: maps are written with sorted keys
// and every float was rounded when the result was built.
func WriteJSON(w io.Writer, r *Result) error {
	if r == nil {
		return errors.New("results: WriteJSON: nil result")
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("results: encode result JSON: %w", err)
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// ReadFile reads and validates a result file.
func ReadFile(path string) (*Result, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("results: %w", err)
	}
	defer f.Close()
	return Decode(f, path)
}

// Decode reads and validates a result; name (usually the file path) is used
// in error messages. Unknown fields are accepted so that files written by
// newer versions of the v1 contract still read.
func Decode(r io.Reader, name string) (*Result, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("results: read %s: %w", name, err)
	}
	var res Result
	if err := UnmarshalFile(name, data, &res, "result"); err != nil {
		return nil, err
	}
	if err := res.validate(); err != nil {
		return nil, fmt.Errorf("results: %s: %w", name, err)
	}
	res.dropUnmeasured()
	return &res, nil
}

// dropUnmeasured removes what files written before such figures were left
// out still carry: in sim results the client-only metrics
// (Metric.ClientOnly: copies of TTFT and E2E and a schedule delay of 0),
// and in video classes the token metrics (a clip start read as a first
// token: a copy of the queue wait). Readers then see them absent, as in a
// result written now. Totals that mixed video clip starts into a token
// metric are rebuilt from the other classes' histograms, as build does.
func (r *Result) dropUnmeasured() {
	for i := range Metrics {
		m := &Metrics[i]
		mixed := false // a video class carried this token metric
		drop := func(name string, c *ClassResult) {
			if c == nil || !(m.ClientOnly(r) || (m.TokenOnly && !c.HasTokens())) {
				return
			}
			mixed = mixed || (m.TokenOnly && *m.field(c) != nil && name != "")
			*m.field(c) = nil
			if hs := r.Histograms[name]; hs != nil {
				delete(hs, m.Key)
				if len(hs) == 0 {
					delete(r.Histograms, name)
				}
			}
		}
		for name, c := range r.Classes {
			drop(name, c)
		}
		drop("", r.Totals) // the totals have no histograms
		if mixed && r.Totals != nil && *m.field(r.Totals) != nil {
			*m.field(r.Totals) = r.totalOf(m)
		}
	}
	// Ratios over nothing were written as 0.
	for _, c := range append(slices.Collect(maps.Values(r.Classes)), r.Totals) {
		if c == nil {
			continue
		}
		if !c.HasTokens() {
			// Token figures of a kind that generates none were written
			// as 0.
			c.InputTokens, c.CachedTokens, c.OutputTokens, c.OutputTokensPerS = nil, nil, nil, nil
		}
		if in, _, _ := c.Tokens(); in == 0 {
			c.CacheHitRate = nil
		}
		if c.Requests == 0 {
			c.SLOAttainment, c.GoodputRPS = nil, nil
		}
		if r.Window.DurationS <= 0 {
			// No window (a simulation stopped in its warm-up): older
			// files wrote its rates as 0.
			c.RequestsPerS, c.TasksPerS = nil, nil
		}
		if c != r.Totals && c.Cost != nil && idleCost(c) {
			// Older files wrote a class with no request a cost of 0.
			c.Cost = nil
		}
		if c.Cost != nil && c.Cost.Revenue != nil {
			if c.Cost.Revenue.Amount == 0 {
				c.Cost.Revenue.MarginPct = nil
			}
			// Older files wrote a covered break-even as a bare 0.
			c.Cost.Revenue.noteCovered()
		}
	}
	r.fixTotalsJPerToken()
	r.dropEmptyWaits()
	r.markFinishedOnly()
	r.markOverContext()
	r.Fleet.dropKnobsThatDidNotApply()
	r.fillFleetMargin()
	r.dropUnjudgedAttainment()
}

// dropUnjudgedAttainment clears what older files wrote as 0: the SLO
// attainment and goodput of a class whose requests completed but a metric
// its SLO bounds was not measured (its verdict says not_measured; a
// --no-stream run's TTFT), and then the totals'. Read as a result written
// now (see classAcc.judged).
func (r *Result) dropUnjudgedAttainment() {
	for _, c := range r.Classes {
		if c == nil || c.SLO == nil || c.Completed == 0 {
			continue
		}
		for _, tg := range c.SLO.Targets {
			if !tg.NotMeasured {
				continue
			}
			for i := range Metrics {
				if m := &Metrics[i]; m.SLO != nil && m.SLO.Key == tg.Metric && m.SLO.missingMeets == nil {
					c.SLOAttainment, c.GoodputRPS = nil, nil
				}
			}
		}
	}
	if r.Totals != nil && unjudged(r) {
		r.Totals.SLOAttainment, r.Totals.GoodputRPS = nil, nil
	}
}

// fillFleetMargin gives an older file the fleet's markup and margin
// percentages (and a revenue of 0, which such files left out) from its
// classes' revenue, as ApplyCost writes them now, and links the totals'
// cost to the fleet's for compare. A file written now reads unchanged.
func (r *Result) fillFleetMargin() {
	c := r.Cost
	if c == nil {
		return
	}
	if r.Totals != nil && r.Totals.Cost != nil {
		r.Totals.Cost.fleet = c
	}
	if c.MarkupPct != nil || c.MarginPct != nil {
		return
	}
	rev, priced := 0.0, false
	for _, cl := range r.Classes {
		if cl != nil && cl.Cost != nil && cl.Cost.Revenue != nil {
			rev += cl.Cost.Revenue.USD
			priced = true
		}
	}
	if priced {
		c.setRevenue(rev)
	}
}

// dropKnobsThatDidNotApply clears what older files named for every fleet:
// the LLM serving knobs (routing, KV block size, batch limits) of a fleet
// with no LLM pool, and the decode routing of one with no decode pool.
func (f *FleetInfo) dropKnobsThatDidNotApply() {
	if f == nil || len(f.Pools) == 0 {
		return
	}
	llm, decode := false, false
	for _, p := range f.Pools {
		llm = llm || p.Role != "video"
		decode = decode || p.Role == "decode"
	}
	if !llm {
		f.Routing, f.BlockTokens, f.MaxBatchTokens, f.MaxSeqs = "", 0, 0, 0
	}
	if !decode {
		f.DecodeRouting = ""
	}
}

// fixTotalsJPerToken recomputes the totals' J per output token of a file
// written before it left out video pools' energy (as $/Mtok leaves out
// their cost): such a file divided the whole fleet's energy by the LLM
// classes' output tokens. It is recognised by carrying exactly that figure
// while video pools used energy; a file written now reads unchanged.
func (r *Result) fixTotalsJPerToken() {
	t := r.Totals
	if t == nil || t.Cost == nil || t.Cost.JPerOutTok == 0 || r.Cost == nil {
		return
	}
	_, _, out := t.Tokens()
	if out <= 0 {
		return
	}
	video := 0.0
	for _, p := range r.Cost.ByPool {
		if e, ok := p.Energy(); ok && p.Role == "video" {
			video += e
		}
	}
	perTok := func(kwh float64) float64 { return kwh * 3.6e6 / float64(out) }
	old := perTok(t.Cost.EnergyKWh)
	if video <= 0 || math.Abs(t.Cost.JPerOutTok-old) > 1e-5*old {
		return
	}
	t.Cost.JPerOutTok = roundSig(perTok(t.Cost.EnergyKWh - video))
}

// totalOf merges metric m's class histograms into the totals' percentiles
// (nil when a class with the metric has no histogram to merge).
func (r *Result) totalOf(m *Metric) *Percentiles {
	h := newHist()
	for name, c := range r.Classes {
		if c == nil || m.Of(c) == nil {
			continue
		}
		ch, err := decodeHist(r.Histograms[name][m.Key])
		if err != nil {
			return nil
		}
		h.Merge(ch)
	}
	if h.TotalCount() == 0 {
		return nil
	}
	return summarize(h)
}

// UnmarshalFile decodes the JSON file data (named name) into v; errors
// say where (name:line:col) and, for a syntax error, ask whether this is a
// fleetbench file of the kind what ("result", "sweep").
func UnmarshalFile(name string, data []byte, v any, what string) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset-1) // Offset is just past the bad byte
		return fmt.Errorf("results: %s:%d:%d: invalid JSON: %v; is this a fleetbench %s file?", name, line, col, se, what)
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset)
		if te.Field == "" {
			return fmt.Errorf("results: %s:%d:%d: the file holds a JSON %s, want a JSON object: is this a fleetbench %s file?", name, line, col, te.Value, what)
		}
		return fmt.Errorf("results: %s:%d:%d: field %q holds a JSON %s, want %s: is this a fleetbench %s file, unedited?", name, line, col, te.Field, te.Value, jsonKind(te.Type), what)
	}
	return fmt.Errorf("results: %s: %w", name, err)
}

// jsonKind names the JSON a Go type decodes from, for messages that
// should not name Go types (a field of type map[string]*ClassResult
// wants "an object").
func jsonKind(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "an object"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return "a whole number"
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number >= 0"
	case reflect.Float32, reflect.Float64:
		return "a number"
	}
	return "another JSON type"
}

// OtherKind names the kind of fleetbench file schema is when it is not
// the reader's own kind, whose schemas start with own (e.g.
// "fleetbench.sweep/"): "a sweep file". "" for another version of its
// own kind or an unknown schema (those read "regenerate the file").
func OtherKind(schema, own string) string {
	if strings.HasPrefix(schema, own) {
		return ""
	}
	for prefix, kind := range map[string]string{
		"fleetbench.result/": "a result file",
		"fleetbench.sweep/":  "a sweep file",
		"fleetbench.scale/":  "a scale curve file",
	} {
		if strings.HasPrefix(schema, prefix) {
			return kind
		}
	}
	return ""
}

// lineCol turns a byte offset into a 1-based line and column.
func lineCol(data []byte, off int64) (int, int) {
	off = min(max(off, 0), int64(len(data)))
	line, col := 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

// validate checks what readers and Merge rely on.
func (r *Result) validate() error {
	if r.Schema != Schema {
		if r.Schema == "" {
			return fmt.Errorf("no \"schema\" field: not a fleetbench result file (want schema %q)", Schema)
		}
		if other := OtherKind(r.Schema, "fleetbench.result/"); other != "" {
			return fmt.Errorf("schema is %q: this is %s, not a result file (the results sim, run and merge -o write)", r.Schema, other)
		}
		return fmt.Errorf("schema is %q, this fleetbench reads %q: regenerate the file or use a matching fleetbench version", r.Schema, Schema)
	}
	if r.Backend != "sim" && r.Backend != "endpoint" {
		return fmt.Errorf("backend is %q, want \"sim\" or \"endpoint\"", r.Backend)
	}
	if r.Window.EndNs < r.Window.StartNs {
		return fmt.Errorf("window end_ns %d is before start_ns %d", r.Window.EndNs, r.Window.StartNs)
	}
	if r.Totals == nil {
		return errors.New("missing \"totals\"")
	}
	names := make([]string, 0, len(r.Classes))
	for n := range r.Classes {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := r.Classes[n]
		if c == nil {
			return fmt.Errorf("classes.%s is null", n)
		}
		if err := c.validate(); err != nil {
			return fmt.Errorf("classes.%s: %w", n, err)
		}
	}
	if err := r.Totals.validate(); err != nil {
		return fmt.Errorf("totals: %w", err)
	}
	for cn, hs := range r.Histograms {
		if _, ok := r.Classes[cn]; !ok {
			return fmt.Errorf("histograms.%s: no such class in \"classes\"", cn)
		}
		for mk, enc := range hs {
			if _, ok := metricByKey(mk); !ok {
				return fmt.Errorf("histograms.%s.%s: unknown metric", cn, mk)
			}
			if _, err := base64.StdEncoding.DecodeString(enc); err != nil {
				return fmt.Errorf("histograms.%s.%s: not base64: %v", cn, mk, err)
			}
			// Decoded in full here, so that a damaged histogram is the
			// file's error (exit 2, named) and not a figure's later.
			if _, err := decodeHist(enc); err != nil {
				return fmt.Errorf("histograms.%s.%s: not a fleetbench histogram: %v", cn, mk, err)
			}
		}
	}
	if t := r.Timeline; t != nil {
		if err := t.validate(); err != nil {
			return fmt.Errorf("timeline: %w", err)
		}
	}
	return nil
}

func (c *ClassResult) validate() error {
	if c.Requests < 0 || c.Completed < 0 || c.Errors < 0 || c.Tasks < 0 || c.SLOMet < 0 || c.Clips < 0 || c.Preemptions < 0 {
		return errors.New("negative count")
	}
	if in, cached, out := c.Tokens(); in < 0 || cached < 0 || out < 0 {
		return errors.New("negative token count")
	}
	if c.Completed+c.Errors != c.Requests {
		return fmt.Errorf("completed %d + errors %d != requests %d", c.Completed, c.Errors, c.Requests)
	}
	if c.SLOMet > c.Requests {
		return fmt.Errorf("slo_met %d exceeds requests %d", c.SLOMet, c.Requests)
	}
	var byClass int64
	for k, v := range c.ErrorsByClass {
		if v < 0 {
			return fmt.Errorf("errors_by_class.%s is negative", k)
		}
		byClass += v
	}
	if byClass > c.Errors {
		return fmt.Errorf("errors_by_class sums to %d, more than errors %d", byClass, c.Errors)
	}
	if c.SLO != nil {
		if _, err := sloFromVerdict(c.SLO); err != nil {
			return err
		}
	}
	return nil
}

// dropEmptyWaits reads as null what older files wrote as 0 in
// timeline.wait_max_ms: a bucket in which no request was sent. A first
// token or a gap between tokens is never 0 (a file written now has no 0
// there), so such a 0 is no request, and it marks an older file; in one,
// a queue wait of 0 in a bucket without a first token is no request
// either, unless the run has a video class (a clip admitted at once has
// no first token: that 0 cannot be told from none and is kept).
func (r *Result) dropEmptyWaits() {
	if r.Timeline == nil || r.Timeline.WaitMaxMs == nil {
		return
	}
	w := r.Timeline.WaitMaxMs
	zero := func(v *float64) bool { return v != nil && *v == 0 }
	old := false
	for _, s := range [][]*float64{w.TTFT, w.ITL} {
		for i, v := range s {
			if zero(v) {
				s[i], old = nil, true
			}
		}
	}
	if !old || w.TTFT == nil || slices.ContainsFunc(slices.Collect(maps.Values(r.Classes)), func(c *ClassResult) bool { return c != nil && c.Kind == "video" }) {
		return
	}
	for i, v := range w.Queue {
		if zero(v) && (i >= len(w.TTFT) || w.TTFT[i] == nil) {
			w.Queue[i] = nil
		}
	}
}

func (t *Timeline) validate() error {
	iv := t.IntervalNs
	if iv < timelineBaseNs || iv%timelineBaseNs != 0 || (iv/timelineBaseNs)&(iv/timelineBaseNs-1) != 0 {
		return fmt.Errorf("interval_ns %d is not 1 s times a power of two", iv)
	}
	n := max(len(t.Completions), len(t.Errors), len(t.OutputTokens))
	for _, g := range t.Gauges {
		if g != nil {
			n = max(n, len(g.N), len(g.Last), len(g.Mean), len(g.Max))
		}
	}
	if w := t.WaitMaxMs; w != nil {
		n = max(n, len(w.Queue), len(w.TTFT), len(w.ITL))
	}
	if n > timelineMaxBuckets {
		return fmt.Errorf("%d buckets, at most %d", n, timelineMaxBuckets)
	}
	return nil
}

// FileSchema returns the "schema" field of the JSON file at path (Schema
// or SweepSchema for fleetbench files), so that commands accepting either
// kind can dispatch; it returns "" for JSON without one.
func FileSchema(path string) (string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return "", fmt.Errorf("results: %w", err)
	}
	var head struct {
		Schema string `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return "", nil // not ours to diagnose: the reader reports it with line:col
	}
	return head.Schema, nil
}

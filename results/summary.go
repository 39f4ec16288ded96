package results

import (
	"maps"
	"math"
	"slices"
	"strings"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
)

// Summary aggregates Records as they stream in: per-class HDR histograms,
// counters and a bounded timeline. Its memory does not depend on the number
// of records. It is not safe for concurrent use; feed it from one goroutine
// (or keep one Summary per shard and Merge the results).
type Summary struct {
	warmupNs int64
	classes  map[string]*classAcc
	last     *classAcc // cache: consecutive records are often of one class
	timeline *timelineAcc

	// Measurement window seen so far (non-warm-up records only): the
	// latest task arrival (the end of arrivals) and the latest completion
	// (the end of the drain).
	lastArrivalNs, lastEndNs int64
	seen                     bool
}

// classAcc is one class's streaming state. Result() and Merge() both go
// through it, so a merged result is computed exactly like an unsplit one.
type classAcc struct {
	info ClassInfo
	// seesAll: the backend measures every ZeroUnknown metric (the
	// simulator sees each queue), so zeros there are "no wait" (build).
	seesAll bool
	// noClient: the backend has no client (the simulator), so the
	// client-only metrics (Metric.ClientTable) were not measured: their
	// values would be copies of TTFT and E2E and a schedule delay of 0, and
	// the result leaves them out (build).
	noClient bool
	th       thresholds
	hists    [numMetrics]*hdr.Histogram // allocated on first value
	// pend holds per-token values (ITL) not yet in hists, counted per
	// histogram bucket (see bucketPend); settle moves them in.
	pend [numMetrics]*bucketPend

	requests, completed, errors, tasks int64
	tasksFailed                        int64
	errorsBy                           map[string]int64
	errorFirst                         map[string]string // error class -> first message (ClassResult.ErrorExamples)
	input, cached, output              int64
	sloMet                             int64
	clips                              int64
	videoSeconds                       float64
	preemptions                        int64
	tiers                              *tierAcc // per price tier, or nil
	overCtx, overCtxLongest            int64    // requests over the context (context.go)
}

func newClassAcc(info ClassInfo) *classAcc {
	return &classAcc{info: info, th: newThresholds(&info.SLO), errorsBy: map[string]int64{}, tiers: newTierAcc(info.PriceTiers)}
}

// NewSummary starts a summary for the given classes. Records of tasks that
// arrived before warmupNs (see Record.ArrivalNs) are excluded from every
// metric (they still appear in the timeline, which shows the whole run).
// Records of a class not listed are accepted and get a class of their own,
// with no SLO.
func NewSummary(classes []ClassInfo, warmupNs int64) *Summary {
	s := &Summary{warmupNs: warmupNs, classes: make(map[string]*classAcc, len(classes)), timeline: newTimelineAcc()}
	for _, c := range classes {
		s.classes[c.Name] = newClassAcc(c)
	}
	return s
}

// SetWarmup moves the end of the warm-up to warmupNs. A live engine (serve)
// sets it at its first request: the warm-up counts from when load began,
// not from when the server started. Records already added keep the side
// they fell on, so call it before the first Add.
func (s *Summary) SetWarmup(warmupNs int64) { s.warmupNs = warmupNs }

// class returns the accumulator for name, creating it for unknown classes.
func (s *Summary) class(name, kind string) *classAcc {
	if s.last != nil && s.last.info.Name == name {
		return s.last
	}
	c, ok := s.classes[name]
	if !ok {
		c = newClassAcc(ClassInfo{Name: name, Kind: kind})
		s.classes[name] = c
	}
	s.last = c
	return c
}

// Includes reports whether r counts towards the metrics: its task arrived
// after the warm-up. Every request of a task is in or out together, so a
// task is charged and counted whole (see docs/metrics.md).
func (s *Summary) Includes(r *Record) bool { return r.ArrivalNs() >= s.warmupNs }

// Add records one finished (or failed) request. Latencies are recorded for
// successful requests only; failed requests count as requests and errors
// (by ErrorClass), and never meet the SLO. Token totals count successful
// requests only, as vLLM's bench serve does.
func (s *Summary) Add(r *Record) {
	end := r.endNs()
	if r.OK() {
		b := s.timeline.countAt(end)
		b.completions++
		b.tokens += int64(r.OutputTokens)
	} else {
		s.timeline.countAt(end).errors++
	}
	if !s.Includes(r) {
		return
	}
	s.lastArrivalNs = max(s.lastArrivalNs, r.ArrivalNs())
	s.lastEndNs = max(s.lastEndNs, end)
	s.seen = true

	c := s.class(r.Class, r.Kind)
	if c.info.Kind == "" {
		c.info.Kind = r.Kind // class first seen without a kind
	}
	c.requests++
	c.preemptions += int64(r.Preemptions)
	if r.TaskDone {
		switch {
		case r.OK():
			c.tasks++
		case r.ErrorClass != ErrorClassDropped: // a dropped arrival was never sent: not a failure
			c.tasksFailed++
		}
	}
	if c.th.meets(r) {
		c.sloMet++
	}
	if !r.OK() {
		c.errors++
		c.errorsBy[r.ErrorClass]++
		c.noteError(r.ErrorClass, r.Error)
		return
	}
	c.completed++
	c.overContext(r)
	c.input += int64(r.InputTokens)
	c.cached += int64(r.CachedTokens)
	c.output += int64(r.OutputTokens)
	c.tiers.add(r)
	if r.VideoSeconds > 0 || r.Kind == "video" {
		c.clips++
		c.videoSeconds += r.VideoSeconds
	}
	var gap int64 // the longest inter-token gap (one pass with the ITL metric)
	for i := range Metrics {
		m := &Metrics[i]
		if m.PerToken {
			gap = c.recordAll(metric(i), r.ITL)
		} else if v, ok := m.Value(r); ok {
			c.record(metric(i), v, 1)
		}
	}
	s.observeWait(r, gap)
}

// observeWait records in the timeline, by intended send time, how long a
// completed measured request waited for the fleet: to be admitted, for its
// first token, and the longest gap between two tokens. Lag reads the
// requests sent at the end of the window from them. gap is the longest of
// r.ITL (recordAll finds it while it records them).
func (s *Summary) observeWait(r *Record, gap int64) {
	ms := func(ns int64) float64 { return float64(ns/1e3) / 1e3 } // whole microseconds: merges exactly
	// Every completed request has a queue wait, 0 when it was admitted at
	// once (a series in which nothing waited is left out: an endpoint run
	// cannot see the server's queue).
	s.timeline.wait(r.Intended, waitQueue, ms(max(r.QueueNs, 0)))
	// A video job's clip start is no first token: its wait is QueueNs.
	// A first token or a gap between tokens is never 0 (older files' 0
	// there is read as no request: dropEmptyWaits).
	if v, ok := r.TTFT(); ok && ms(v) > 0 && r.Kind != "video" {
		s.timeline.wait(r.Intended, waitTTFT, ms(v))
	}
	if ms(gap) > 0 {
		s.timeline.wait(r.Intended, waitITL, ms(gap))
	}
}

// Observe samples a gauge (queue length, KV usage, running requests...) at
// run time tNs into the timeline. NaN and infinite values are ignored.
func (s *Summary) Observe(tNs int64, name string, v float64) {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return
	}
	s.timeline.observe(tNs, name, v)
}

// record adds count values of ns to metric m's histogram.
func (c *classAcc) record(m metric, ns, count int64) {
	// nsToUs clamps into range and count is positive, so this cannot fail
	// short of total-count overflow, which would take centuries of records.
	_ = c.hist(m).RecordValues(nsToUs(ns), count)
}

// hist is metric m's histogram, allocated on first use.
func (c *classAcc) hist(m metric) *hdr.Histogram {
	h := c.hists[m]
	if h == nil {
		h = newHist()
		c.hists[m] = h
	}
	return h
}

// recordAll adds every value of vs to metric m's histogram and returns
// the largest (0 for none). It makes one histogram update per run of
// values that fall in the same bucket (a decode batch gives its members
// runs of near-equal gaps): the histogram holds only a count per bucket,
// so it is the same as value by value. A run is found by comparing the
// nanosecond values against the bucket's nanosecond bounds (bucketNs),
// without converting each value.
func (c *classAcc) recordAll(m metric, vs []int64) int64 {
	if len(vs) == 0 {
		return 0
	}
	p := c.pend[m]
	if p == nil {
		p = &bucketPend{}
		c.pend[m] = p
	}
	h := c.hist(m)
	var top int64
	for i := 0; i < len(vs); {
		v := vs[i]
		loUs, lo, hi := bucketNs(nsToUs(v))
		width := uint64(hi - lo) // w is in [lo, hi] iff uint64(w-lo) <= width
		top = max(top, v)
		j := i + 1
		for ; j < len(vs) && uint64(vs[j]-lo) <= width; j++ {
			top = max(top, vs[j])
		}
		p.add(h, loUs, int64(j-i))
		i = j
	}
	return top
}

// bucketPend counts values per histogram bucket in a small direct-mapped
// table before they reach the histogram: a decode-heavy run records
// millions of ITL gaps into a few hundred buckets, and a table of hot
// cache lines costs less per run of gaps than the histogram's checks and
// its ~220 KB counts array. A slot taken by another bucket is moved into
// the histogram first. The histogram keeps only a count per bucket, so it
// is the same as recorded value by value once settle has run (Summary's
// Result does, and so does anything that reads a class's histograms).
type bucketPend struct {
	key [pendSlots]int64 // the bucket's lowest value in µs, plus 1 (0: free)
	n   [pendSlots]int64
}

const (
	pendBits  = 8
	pendSlots = 1 << pendBits
)

// add counts n values of the bucket whose lowest value is loUs; h is the
// histogram the bucket belongs to.
func (p *bucketPend) add(h *hdr.Histogram, loUs, n int64) {
	k := uint64(loUs) * 0x9e3779b97f4a7c15 >> (64 - pendBits) // Fibonacci hashing
	if p.key[k] != loUs+1 {
		if p.n[k] > 0 {
			_ = h.RecordValues(p.key[k]-1, p.n[k]) // in range, positive: cannot fail (see record)
		}
		p.key[k], p.n[k] = loUs+1, 0
	}
	p.n[k] += n
}

// settle moves every pending count into its histogram.
func (c *classAcc) settle() {
	for m, p := range c.pend {
		if p == nil {
			continue
		}
		for k, n := range p.n {
			if n > 0 {
				_ = c.hists[m].RecordValues(p.key[k]-1, n)
				p.n[k] = 0
			}
		}
	}
}

// known reports whether the class's histogram of m means anything: for a
// ZeroUnknown metric (queue), backends that cannot see it leave it 0, and
// an all-zero distribution outside the kinds that always measure it says
// "unknown", not "no wait".
func (c *classAcc) known(m metric) bool {
	c.settle()
	if !Metrics[m].ZeroUnknown || c.seesAll || Metrics[m].requiredFor(c.info.Kind) {
		return true
	}
	h := c.hists[m]
	return h != nil && h.TotalCount() > 0 && h.Max() > 0
}

// measures reports whether the class's result carries metric m at all:
// a backend without a client did not measure the client-only metrics, and a
// video class generates no tokens, so it has no first token (the clip start
// its records carry as FirstToken is its queue wait, queue_ms) and no
// TokenOnly metric.
func (c *classAcc) measures(m metric) bool {
	mm := &Metrics[m]
	return !(mm.ClientTable && c.noClient) && !(mm.TokenOnly && c.info.Kind == "video")
}

// mergeFrom adds o's counters and histograms into c.
func (c *classAcc) mergeFrom(o *classAcc) { c.merge(o, false) }

// mergeKnown is mergeFrom leaving out the histograms o does not know (see
// known) or does not measure (see measures): the totals must not mix
// "unknown" zeros into a measured queue, nor video clip starts into TTFT.
func (c *classAcc) mergeKnown(o *classAcc) { c.merge(o, true) }

func (c *classAcc) merge(o *classAcc, knownOnly bool) {
	c.settle()
	o.settle()
	c.requests += o.requests
	c.completed += o.completed
	c.errors += o.errors
	c.tasks += o.tasks
	c.tasksFailed += o.tasksFailed
	for k, v := range o.errorsBy {
		c.errorsBy[k] += v
	}
	for _, k := range slices.Sorted(maps.Keys(o.errorFirst)) {
		c.noteError(k, o.errorFirst[k])
	}
	c.input += o.input
	c.cached += o.cached
	c.output += o.output
	c.sloMet += o.sloMet
	c.clips += o.clips
	c.videoSeconds += o.videoSeconds
	c.preemptions += o.preemptions
	c.overCtx += o.overCtx
	c.overCtxLongest = max(c.overCtxLongest, o.overCtxLongest)
	c.info.ContextTokens = max(c.info.ContextTokens, o.info.ContextTokens)
	c.tiers = c.tiers.mergeFrom(o.tiers)
	for m, h := range o.hists {
		if h == nil || h.TotalCount() == 0 || (knownOnly && (!o.known(metric(m)) || !o.measures(metric(m)))) {
			continue
		}
		if c.hists[m] == nil {
			c.hists[m] = newHist()
		}
		c.hists[m].Merge(h)
	}
}

// MaxErrorExample bounds an error example (ClassResult.ErrorExamples): a
// server's error body can be long; its start says why.
const MaxErrorExample = 400

// noteError keeps msg as the example of error class k unless it has one.
func (c *classAcc) noteError(k, msg string) {
	if msg == "" || c.errorFirst[k] != "" {
		return
	}
	if len(msg) > MaxErrorExample {
		msg = strings.ToValidUTF8(msg[:MaxErrorExample], "") + "..."
	}
	if c.errorFirst == nil {
		c.errorFirst = map[string]string{}
	}
	c.errorFirst[k] = msg
}

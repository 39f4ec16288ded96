package results

import (
	"slices"
	"sort"
)

// Timeline bucketing: buckets start at run time 0 and are timelineBaseNs
// wide; when a sample lands past timelineMaxBuckets the width doubles and
// neighbouring buckets merge, so memory is bounded for any run length and
// two timelines always re-bucket exactly onto the wider one.
const (
	timelineBaseNs     = int64(1e9)
	timelineMaxBuckets = 600
)

// Timeline is the run over time in fixed-width buckets starting at run time
// 0 (warm-up included). Index i covers [i*IntervalNs, (i+1)*IntervalNs).
type Timeline struct {
	IntervalNs   int64                   `json:"interval_ns"`
	IntervalS    float64                 `json:"interval_s"`
	Completions  []int64                 `json:"completions"`             // successful requests finishing in the bucket
	Errors       []int64                 `json:"errors"`                  // failed requests ending in the bucket
	OutputTokens []int64                 `json:"output_tokens,omitempty"` // output tokens of requests completing in the bucket; absent in a video-only run
	Gauges       map[string]*GaugeSeries `json:"gauges,omitempty"`
	// WaitMaxMs is, per bucket of intended send time, the longest wait for
	// service of the completed measured requests sent in it (see Lag).
	WaitMaxMs *WaitSeries `json:"wait_max_ms,omitempty"`
}

// WaitSeries is the longest wait per bucket, in milliseconds, by what was
// waited for; a series in which nothing waited is absent, a bucket in which
// no completed measured request was sent is null (not a measured 0: a
// request admitted at once waited 0).
type WaitSeries struct {
	Queue []*float64 `json:"queue,omitempty"` // to be admitted (simulator)
	TTFT  []*float64 `json:"ttft,omitempty"`  // for the first token
	ITL   []*float64 `json:"itl,omitempty"`   // between two tokens
}

// Indexes of countBucket.wait.
const (
	waitQueue = iota
	waitTTFT
	waitITL
	numWaits
)

// GaugeSeries holds one sampled gauge (queue length, KV usage, ...) per
// bucket: the last sample, the mean and max of the samples, and how many
// samples there were. A bucket with N 0 had no sample; its values are 0.
type GaugeSeries struct {
	Last []float64 `json:"last"`
	Mean []float64 `json:"mean"`
	Max  []float64 `json:"max"`
	N    []int64   `json:"n"`
}

// gaugeBucket accumulates one gauge in one bucket.
type gaugeBucket struct {
	lastT int64
	last  float64
	sum   float64
	max   float64
	n     int64
}

func (a *gaugeBucket) merge(b gaugeBucket) {
	if b.n == 0 {
		return
	}
	if a.n == 0 {
		*a = b
		return
	}
	if b.lastT >= a.lastT {
		a.lastT, a.last = b.lastT, b.last
	}
	a.sum += b.sum
	a.max = max(a.max, b.max)
	a.n += b.n
}

// countBucket accumulates request counts in one bucket.
type countBucket struct {
	completions, errors, tokens int64
	wait                        [numWaits]float64 // longest waits (ms) of requests sent in the bucket
	waited                      [numWaits]bool    // wait[k] was measured (a request was sent in the bucket)
}

// mergeCounts adds b's counts into a and keeps the longer waits.
func (a *countBucket) mergeCounts(b countBucket) {
	a.completions += b.completions
	a.errors += b.errors
	a.tokens += b.tokens
	for k := range a.wait {
		a.wait[k] = max(a.wait[k], b.wait[k])
		a.waited[k] = a.waited[k] || b.waited[k]
	}
}

// timelineAcc is the streaming form of a Timeline.
type timelineAcc struct {
	interval int64
	counts   []countBucket
	gauges   map[string][]gaugeBucket
}

func newTimelineAcc() *timelineAcc {
	return &timelineAcc{interval: timelineBaseNs, gauges: map[string][]gaugeBucket{}}
}

// index returns the bucket for time t, widening buckets as needed.
func (tl *timelineAcc) index(t int64) int {
	if t < 0 {
		t = 0
	}
	for t/tl.interval >= timelineMaxBuckets {
		tl.widen()
	}
	return int(t / tl.interval)
}

// widen doubles the bucket width, merging bucket pairs.
func (tl *timelineAcc) widen() {
	tl.interval *= 2
	for i := range tl.counts {
		if i%2 == 0 {
			tl.counts[i/2] = tl.counts[i]
		} else {
			tl.counts[i/2].mergeCounts(tl.counts[i])
		}
	}
	tl.counts = tl.counts[:(len(tl.counts)+1)/2]
	for name, g := range tl.gauges {
		for i := range g {
			if i%2 == 0 {
				g[i/2] = g[i]
			} else {
				g[i/2].merge(g[i])
			}
		}
		tl.gauges[name] = g[:(len(g)+1)/2]
	}
}

func (tl *timelineAcc) countAt(t int64) *countBucket {
	i := tl.index(t)
	for len(tl.counts) <= i {
		tl.counts = append(tl.counts, countBucket{})
	}
	return &tl.counts[i]
}

func (tl *timelineAcc) observe(t int64, name string, v float64) {
	i := tl.index(t)
	g := tl.gauges[name]
	if len(g) <= i {
		for len(g) <= i {
			g = append(g, gaugeBucket{})
		}
		tl.gauges[name] = g
	}
	if t < 0 {
		t = 0
	}
	g[i].merge(gaugeBucket{lastT: t, last: v, sum: v, max: v, n: 1})
}

// export renders the accumulator; nil when nothing was recorded.
func (tl *timelineAcc) export() *Timeline {
	n := len(tl.counts)
	for _, g := range tl.gauges {
		n = max(n, len(g))
	}
	if n == 0 {
		return nil
	}
	out := &Timeline{
		IntervalNs:   tl.interval,
		IntervalS:    float64(tl.interval) / 1e9,
		Completions:  make([]int64, n),
		Errors:       make([]int64, n),
		OutputTokens: make([]int64, n),
	}
	for i, c := range tl.counts {
		out.Completions[i], out.Errors[i], out.OutputTokens[i] = c.completions, c.errors, c.tokens
	}
	out.WaitMaxMs = tl.exportWaits(n)
	if len(tl.gauges) > 0 {
		out.Gauges = make(map[string]*GaugeSeries, len(tl.gauges))
	}
	for name, g := range tl.gauges {
		s := &GaugeSeries{Last: make([]float64, n), Mean: make([]float64, n), Max: make([]float64, n), N: make([]int64, n)}
		for i, b := range g {
			if b.n == 0 {
				continue
			}
			s.Last[i], s.Mean[i], s.Max[i], s.N[i] = roundSig(b.last), roundSig(b.sum/float64(b.n)), roundSig(b.max), b.n
		}
		out.Gauges[name] = s
	}
	return out
}

// wait notes a request sent at t that waited v ms for service of kind k.
func (tl *timelineAcc) wait(t int64, k int, v float64) {
	b := tl.countAt(t)
	b.wait[k] = max(b.wait[k], v)
	b.waited[k] = true
}

// exportWaits is the WaitMaxMs of n buckets (nil when nothing waited): a
// series is written when some request waited, with null in the buckets in
// which no request was measured.
func (tl *timelineAcc) exportWaits(n int) *WaitSeries {
	var series [numWaits][]*float64
	for k := range series {
		if !slices.ContainsFunc(tl.counts, func(c countBucket) bool { return c.wait[k] > 0 }) {
			continue
		}
		series[k] = make([]*float64, n)
		for i, c := range tl.counts {
			if c.waited[k] {
				v := c.wait[k]
				series[k][i] = &v
			}
		}
	}
	if series[waitQueue] == nil && series[waitTTFT] == nil && series[waitITL] == nil {
		return nil
	}
	return &WaitSeries{Queue: series[waitQueue], TTFT: series[waitTTFT], ITL: series[waitITL]}
}

// importTimeline turns an exported timeline back into an accumulator (for
// Merge). Gauge sums are rebuilt from mean*n, so merged gauge means carry
// the 6-significant-digit rounding of the files.
func importTimeline(t *Timeline) *timelineAcc {
	tl := newTimelineAcc()
	if t == nil {
		return tl
	}
	tl.interval = t.IntervalNs
	n := max(len(t.Completions), len(t.Errors), len(t.OutputTokens))
	tl.counts = make([]countBucket, n)
	for i := range tl.counts {
		tl.counts[i] = countBucket{completions: at(t.Completions, i), errors: at(t.Errors, i), tokens: at(t.OutputTokens, i)}
	}
	if w := t.WaitMaxMs; w != nil {
		for k, s := range [numWaits][]*float64{w.Queue, w.TTFT, w.ITL} {
			for len(tl.counts) < len(s) {
				tl.counts = append(tl.counts, countBucket{})
			}
			for i, v := range s {
				if v != nil {
					tl.counts[i].wait[k], tl.counts[i].waited[k] = *v, true
				}
			}
		}
	}
	names := make([]string, 0, len(t.Gauges))
	for name := range t.Gauges {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		s := t.Gauges[name]
		if s == nil {
			continue
		}
		g := make([]gaugeBucket, len(s.N))
		for i, cnt := range s.N {
			if cnt <= 0 {
				continue
			}
			// The bucket's last sample is placed at the bucket's end so a
			// later shard's sample in the same bucket wins ties by order.
			g[i] = gaugeBucket{lastT: int64(i+1)*tl.interval - 1, last: atf(s.Last, i), sum: atf(s.Mean, i) * float64(cnt), max: atf(s.Max, i), n: cnt}
		}
		tl.gauges[name] = g
	}
	return tl
}

// mergeFrom adds o into tl, re-bucketing the narrower onto the wider.
func (tl *timelineAcc) mergeFrom(o *timelineAcc) {
	for tl.interval < o.interval {
		tl.widen()
	}
	for o.interval < tl.interval {
		o.widen()
	}
	for i, c := range o.counts {
		for len(tl.counts) <= i {
			tl.counts = append(tl.counts, countBucket{})
		}
		tl.counts[i].mergeCounts(c)
	}
	for name, g := range o.gauges {
		dst := tl.gauges[name]
		for len(dst) < len(g) {
			dst = append(dst, gaugeBucket{})
		}
		for i, b := range g {
			dst[i].merge(b)
		}
		tl.gauges[name] = dst
	}
	// Two timelines can exceed the bucket cap together; widen back under it.
	for len(tl.counts) > timelineMaxBuckets || tl.maxGaugeLen() > timelineMaxBuckets {
		tl.widen()
	}
}

func (tl *timelineAcc) maxGaugeLen() int {
	n := 0
	for _, g := range tl.gauges {
		n = max(n, len(g))
	}
	return n
}

func at(s []int64, i int) int64 {
	if i < len(s) {
		return s[i]
	}
	return 0
}

func atf(s []float64, i int) float64 {
	if i < len(s) {
		return s[i]
	}
	return 0
}

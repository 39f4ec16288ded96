package results

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestBucketNs checks bucketNs against the histogram's own notion of
// equivalent values: every nanosecond value inside [lo, hi] lands in ns's
// bucket, the values just outside do not.
func TestBucketNs(t *testing.T) {
	h := newHist()
	check := func(ns int64) {
		t.Helper()
		us := nsToUs(ns)
		loUs, lo, hi := bucketNs(us)
		require.True(t, h.ValuesAreEquivalent(us, loUs), "ns %d: loUs %d", ns, loUs)
		require.True(t, loUs == 0 || !h.ValuesAreEquivalent(us, loUs-1), "ns %d: loUs %d not lowest", ns, loUs)
		require.LessOrEqual(t, lo, ns)
		require.GreaterOrEqual(t, hi, ns)
		require.True(t, h.ValuesAreEquivalent(us, nsToUs(lo)), "ns %d: lo %d", ns, lo)
		require.True(t, h.ValuesAreEquivalent(us, nsToUs(hi)), "ns %d: hi %d", ns, hi)
		if lo != math.MinInt64 {
			require.False(t, h.ValuesAreEquivalent(us, nsToUs(lo-1)), "ns %d: below lo %d", ns, lo)
		}
		if hi != math.MaxInt64-500 {
			require.False(t, h.ValuesAreEquivalent(us, nsToUs(hi+1)), "ns %d: above hi %d", ns, hi)
		}
	}
	for _, ns := range []int64{math.MinInt64, -1e12, -1500, -501, -500, -1, 0, 499, 500, 1499, 1500,
		histHighestUs * 1000, histHighestUs*1000 + 499, histHighestUs*1000 + 500, math.MaxInt64 - 500} {
		check(ns)
	}
	// Every power of two of microseconds and its neighbours: the bucket
	// width changes there.
	for k := 0; k < 37; k++ {
		for _, us := range []int64{1<<k - 1, 1 << k, 1<<k + 1} {
			if us > histHighestUs {
				continue
			}
			for _, d := range []int64{-500, -1, 0, 1, 499} {
				check(us*1000 + d)
			}
		}
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		check(rng.Int64N(int64(histHighestUs) * 1000))
		check(rng.Int64N(200_000_000)) // up to 200 ms: where gaps are
	}
}

// TestRecordAllMatchesOneByOne: recording a slice of gaps run by run gives
// the histogram of recording them one at a time, and the largest value.
func TestRecordAllMatchesOneByOne(t *testing.T) {
	itl, ok := metricByKey("itl_ms")
	require.True(t, ok)
	rng := rand.New(rand.NewPCG(3, 4))
	// all and allOne accumulate every trial: pending slots collide and
	// carry over between calls.
	all, allOne := newClassAcc(ClassInfo{Name: "x"}), newClassAcc(ClassInfo{Name: "x"})
	for trial := range 300 {
		n := rng.IntN(400)
		vs := make([]int64, n)
		base := rng.Int64N(100_000_000)
		for i := range vs {
			switch rng.IntN(4) {
			case 0: // a decode span: slowly growing gaps
				base += rng.Int64N(3000)
				vs[i] = base
			case 1:
				vs[i] = rng.Int64N(5_000_000)
			case 2:
				vs[i] = rng.Int64N(2000) - 1000 // around zero
			default:
				vs[i] = base
			}
		}
		bulk, one := newClassAcc(ClassInfo{Name: "x"}), newClassAcc(ClassInfo{Name: "x"})
		top := bulk.recordAll(itl, vs)
		bulk.settle()
		all.recordAll(itl, vs)
		var want int64
		for _, v := range vs {
			one.record(itl, v, 1)
			allOne.record(itl, v, 1)
			want = max(want, v)
		}
		require.Equal(t, want, top, "trial %d", trial)
		if n == 0 {
			require.Nil(t, bulk.hists[itl])
			continue
		}
		require.True(t, one.hists[itl].Equals(bulk.hists[itl]), "trial %d", trial)
		require.Equal(t, one.hists[itl].Export().Counts, bulk.hists[itl].Export().Counts, "trial %d", trial)
	}
	all.settle()
	require.Equal(t, allOne.hists[itl].Export().Counts, all.hists[itl].Export().Counts)
	require.Equal(t, allOne.hists[itl].TotalCount(), all.hists[itl].TotalCount())
}

// BenchmarkRecordAll records decode-like gaps: runs of a few near-equal
// values (a batch's steps between membership changes), then a jump.
func BenchmarkRecordAll(b *testing.B) {
	itl, _ := metricByKey("itl_ms")
	rng := rand.New(rand.NewPCG(5, 6))
	vs := make([]int64, 211)
	g := int64(25_000_000)
	for i := range vs {
		if rng.IntN(4) == 0 {
			g = 20_000_000 + rng.Int64N(10_000_000)
		}
		g += rng.Int64N(4000)
		vs[i] = g
	}
	c := newClassAcc(ClassInfo{Name: "x"})
	b.ReportAllocs()
	for b.Loop() {
		c.recordAll(itl, vs)
	}
}

// TestResultMidRunSettles: a summary read while records still stream in
// (serve's progress, run's early stop) ends with the same result as one
// read once at the end: reading settles the pending ITL counts and the
// records after it keep counting.
func TestResultMidRunSettles(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	classes := []ClassInfo{{Name: "a", Kind: "chat"}, {Name: "b", Kind: "chat"}}
	read, once := NewSummary(classes, 0), NewSummary(classes, 0)
	gaps := map[string]int64{}
	for i := range 3000 {
		sent := int64(i) * 1e7
		itl := make([]int64, rng.IntN(300))
		g := 10_000_000 + rng.Int64N(40_000_000)
		for k := range itl {
			if rng.IntN(8) == 0 {
				g = 10_000_000 + rng.Int64N(40_000_000)
			}
			itl[k] = g + rng.Int64N(20_000)
		}
		r := Record{ID: uint64(i), TaskID: uint64(i), Class: []string{"a", "b"}[i%2], Kind: "chat", Intended: sent, Sent: sent,
			FirstToken: sent + 1e8, LastToken: sent + 1e8 + int64(len(itl))*3e7, InputTokens: 100, OutputTokens: len(itl) + 1, ITL: itl, TaskDone: true}
		gaps[r.Class] += int64(len(itl))
		read.Add(&r)
		once.Add(&r)
		if i%211 == 0 {
			read.Result(Meta{Backend: "sim"})
		}
	}
	res := read.Result(Meta{Backend: "sim"})
	for c, n := range gaps {
		require.Equal(t, n, res.Classes[c].ITL.Count, "class %s: every gap counted", c)
	}
	var a, b strings.Builder
	require.NoError(t, WriteJSON(&a, res))
	require.NoError(t, WriteJSON(&b, once.Result(Meta{Backend: "sim"})))
	require.Equal(t, b.String(), a.String())
	require.Contains(t, a.String(), `"itl_ms"`)
}

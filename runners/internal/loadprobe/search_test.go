package main

import (
	"math"
	"testing"
	"time"
)

func TestJudged(t *testing.T) {
	ok := outcome{Rate: 1000, Want: 10000, Sent: 10000, OK: 10000, DelayP99: 3, Achieved: 1001}
	cases := []struct {
		name  string
		edit  func(*outcome)
		clean bool
	}{
		{"on time", func(*outcome) {}, true},
		{"one not sent", func(o *outcome) { o.Sent, o.OK = 9999, 9999 }, false},
		{"one error", func(o *outcome) { o.OK, o.Errs = 9999, 1 }, false},
		{"delay p99 at the bound", func(o *outcome) { o.DelayP99 = maxDelayP99Ms }, true},
		{"delay p99 over the bound", func(o *outcome) { o.DelayP99 = maxDelayP99Ms + 0.01 }, false},
		{"delay not measured", func(o *outcome) { o.DelayP99 = math.NaN() }, false},
		{"achieved 99%", func(o *outcome) { o.Achieved = 990 }, true},
		{"achieved under 99%", func(o *outcome) { o.Achieved = 989 }, false},
		{"process failed", func(o *outcome) { o.Failed = "exit 2" }, false},
	}
	for _, c := range cases {
		o := ok
		c.edit(&o)
		if got := o.judged().Clean; got != c.clean {
			t.Errorf("%s: clean = %v, want %v", c.name, got, c.clean)
		}
	}
}

func TestBisectionNext(t *testing.T) {
	b := &bisection{lo: 1000, hi: 16000}
	r, ok := b.next(1.05, 50)
	if !ok || r != 4000 {
		t.Fatalf("first rate %g %v, want 4000 (geometric midpoint)", r, ok)
	}
	b.lo, b.hi = 4000, 4150
	if _, ok := b.next(1.05, 50); ok {
		t.Fatal("a bracket narrower than the resolution must stop")
	}
	b.lo, b.hi = 4000, 4100
	if _, ok := b.next(1.01, 100); ok {
		t.Fatal("no multiple of the quantum strictly inside: must stop")
	}
}

func TestMajority(t *testing.T) {
	c, n := outcome{Clean: true}, outcome{}
	for _, tc := range []struct {
		runs []outcome
		want bool
	}{{[]outcome{c, c, n}, true}, {[]outcome{c, n, n}, false}, {[]outcome{c, n}, false}, {[]outcome{c}, true}} {
		if got := majority(tc.runs); got != tc.want {
			t.Errorf("majority(%v) = %v, want %v", tc.runs, got, tc.want)
		}
	}
}

func TestMedian(t *testing.T) {
	if got := median([]float64{1.2, 0.8}); got != 1.0 {
		t.Errorf("median of two = %g, want their mean 1", got)
	}
	if got := median([]float64{3, 1, 2}); got != 2 {
		t.Errorf("median = %g, want 2", got)
	}
	if !math.IsNaN(median(nil)) {
		t.Error("median of nothing must be NaN")
	}
}

func TestSummary(t *testing.T) {
	got := summary("fleetbench", []float64{1.2, math.NaN(), 0.9},
		fmtRates([]float64{3600, 1000, 2700}, []bool{false, true, false}), fmtRates([]float64{3000, 0, 3000}, nil),
		"3 runs per rate of 10s each", []float64{7.5, 12.25}, time.Date(2026, 11, 29, 14, 50, 0, 0, time.UTC))
	want := "summary fleetbench/vegeta max clean open-loop rate ratio per search: 1.200 NaN 0.900 (median 0.900, min NaN, >= 1.0 in 1 of 3); " +
		"fleetbench 3600 1000+ 2700 req/s; vegeta 3000 none 3000 req/s; 3 runs per rate of 10s each; load average 7.50-12.25; 2026-11-29 14:50 UTC"
	if got != want {
		t.Errorf("summary:\n got %s\nwant %s", got, want)
	}
}

package runners

import (
	"context"
	"math"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

// benchRun runs sc against srv and reports req/s, schedule delay p99 and
// the client's timing overhead p99: how much later the client stamped a
// chunk than the server flushed it (same process, same monotonic clock),
// over first and last tokens.
func benchRun(b *testing.B, srv *openaitest.Server, sc *scenarios.Scenario, cfg Config, overhead bool) {
	benchRunN(b, srv, sc, cfg, overhead, b.N)
}

// benchRunN is benchRun with n requests instead of b.N.
func benchRunN(b *testing.B, srv *openaitest.Server, sc *scenarios.Scenario, cfg Config, overhead bool, n int) {
	var mu sync.Mutex
	var recs []results.Record
	cfg.Records = func(r *results.Record) error {
		mu.Lock()
		recs = append(recs, results.Record{ID: r.ID, Intended: r.Intended, Sent: r.Sent, FirstToken: r.FirstToken, LastToken: r.LastToken, ErrorClass: r.ErrorClass})
		mu.Unlock()
		return nil
	}
	b.ReportAllocs()
	b.StartTimer() // stopped by the previous call when called in a loop
	b.ResetTimer()
	_, st, err := Run(context.Background(), sc, cfg, scenarios.WorkloadOptions{Requests: n})
	b.StopTimer()
	if err != nil {
		b.Fatal(err)
	}
	var delay []int64
	errs := 0
	for _, r := range recs {
		if !r.OK() {
			errs++
			continue
		}
		delay = append(delay, r.Sent-r.Intended)
	}
	if errs > 0 {
		b.Fatalf("%d of %d requests failed", errs, len(recs))
	}
	b.ReportMetric(float64(len(recs))/st.Elapsed.Seconds(), "req/s")
	b.ReportMetric(float64(peakOpen(recs)), "peak-streams")
	b.ReportMetric(float64(p99abs(delay))/1e6, "sched-p99-ms")
	if !overhead {
		return
	}
	byID := map[string]*openaitest.Request{}
	for _, q := range srv.Requests() {
		byID[q.ID] = q
	}
	var over []int64
	for _, r := range recs {
		q := byID["fleetbench-"+itoa(int(r.ID))]
		if q == nil || len(q.Writes) == 0 {
			continue
		}
		over = append(over, int64(st.Start.Add(time.Duration(r.FirstToken)).Sub(q.Writes[0])),
			int64(st.Start.Add(time.Duration(r.LastToken)).Sub(q.Writes[len(q.Writes)-1])))
	}
	sort.Slice(over, func(i, j int) bool { return over[i] < over[j] })
	b.ReportMetric(float64(p99abs(over))/1e6, "overhead-p99-ms")
}

// BenchmarkRunStreamingOpenLoop: new streaming requests per second the
// client sustains on its own schedule (open loop at 3,000/s; 8 tokens each).
func BenchmarkRunStreamingOpenLoop(b *testing.B) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return openaitest.Steady(8, 0, 0) })
	defer srv.Close()
	sc := chatScenario(b, 3000, 1, 16, 8)
	benchRun(b, srv, sc, Config{Target: srv.BaseURL(), Model: "m", MaxInflight: 0}, true)
}

// BenchmarkRunStreamingClosedLoop: the most new streaming requests per
// second the client completes (64 workers, back to back; 8 tokens each).
func BenchmarkRunStreamingClosedLoop(b *testing.B) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return openaitest.Steady(8, 0, 0) })
	defer srv.Close()
	srv.Keep = false
	sc := chatScenario(b, 1, 1, 16, 8)
	benchRun(b, srv, sc, Config{Target: srv.BaseURL(), Model: "m", Concurrency: 64}, false)
}

// BenchmarkRunConcurrentStreams: about 5,000 streams open at once. Open
// loop at 1,000 new streams/s, each 10 tokens 500 ms apart (5 s long), so
// arrivals are staggered as in real traffic rather than one synchronized
// burst; reports the peak number of streams open and the client's timing
// overhead.
func BenchmarkRunConcurrentStreams(b *testing.B) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply {
		return openaitest.Steady(10, 500*time.Millisecond, 500*time.Millisecond)
	})
	defer srv.Close()
	sc := chatScenario(b, 1000, 1, 16, 10)
	// A fixed 8,000 requests per iteration: the load's shape (streams
	// open at once) is the point, not b.N.
	for range b.N {
		benchRunN(b, srv, sc, Config{Target: srv.BaseURL(), Model: "m", Senders: 8192}, true, 8000)
	}
}

// BenchmarkRunNonStreaming and BenchmarkVegetaAttacker: non-streaming
// requests per second, fleetbench's loop versus vegeta's own Attacker, on
// the same server with 64 in flight.
func BenchmarkRunNonStreaming(b *testing.B) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return openaitest.Steady(8, 0, 0) })
	defer srv.Close()
	srv.Keep = false
	sc := chatScenario(b, 1, 1, 16, 8)
	benchRun(b, srv, sc, Config{Target: srv.BaseURL(), Model: "m", Concurrency: 64, NoStream: true}, false)
}

func BenchmarkVegetaAttacker(b *testing.B) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return openaitest.Steady(8, 0, 0) })
	defer srv.Close()
	srv.Keep = false
	// The same body fleetbench sends for a 16-token prompt, non-streaming.
	sc := chatScenario(b, 1, 1, 16, 8)
	wl, _ := sc.NewWorkload(scenarios.WorkloadOptions{})
	r, _ := wl.Next()
	cfg := Config{Target: srv.BaseURL(), Model: "m", NoStream: true}
	_ = cfg.Validate()
	body := cfg.appendBody(nil, r, nil)
	hdr := map[string][]string{"Content-Type": {"application/json"}}
	tgt := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: cfg.endpoint(), Body: body, Header: hdr})
	atk := vegeta.NewAttacker(vegeta.Workers(64), vegeta.MaxWorkers(64), vegeta.Connections(10000))
	n := 0
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	pacer := NewTimesPacer(func() (int64, bool) { // b.N hits, as fast as the workers take them
		n++
		return 0, n <= b.N
	}, nil)
	got := 0
	for res := range atk.Attack(tgt, pacer, 0, "b") {
		if res.Code != 200 {
			b.Fatalf("status %d: %s", res.Code, res.Error)
		}
		got++
	}
	b.ReportMetric(float64(got)/time.Since(start).Seconds(), "req/s")
}

// peakOpen is the most requests open at once ([sent, last token]).
func peakOpen(recs []results.Record) int {
	type edge struct {
		t int64
		d int
	}
	edges := make([]edge, 0, 2*len(recs))
	for _, r := range recs {
		edges = append(edges, edge{r.Sent, 1}, edge{max(r.LastToken, r.Sent), -1})
	}
	sort.Slice(edges, func(i, j int) bool {
		return edges[i].t < edges[j].t || edges[i].t == edges[j].t && edges[i].d < edges[j].d
	})
	cur, peak := 0, 0
	for _, e := range edges {
		cur += e.d
		peak = max(peak, cur)
	}
	return peak
}

// BenchmarkRunOverload is the runner's overload acceptance check: first
// the rate the client sustains against a trivial in-process server (closed
// loop, 64 workers, non-streaming, 3 s), then the open loop at 1.5x that
// rate for 10 s. The client must stay bounded (heap in use under 300 MB),
// make no connection errors of its own, and report how far behind it fell
// (schedule delay p99). Reported: the sustained and offered rates, the
// achieved rate, the schedule delay p99, the peak heap in use and the
// process's peak RSS (server and client together).
func BenchmarkRunOverload(b *testing.B) {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return openaitest.Steady(8, 0, 0) })
	defer srv.Close()
	srv.Keep = false
	base := Config{Target: srv.BaseURL(), Model: "m", NoStream: true, Grace: time.Second}

	calib := base
	calib.Concurrency = 64
	sc := chatScenario(b, 1000000, 1, 16, 8) // arrival times are ignored; enough arrivals for 3 s
	_, st, err := Run(context.Background(), sc, calib, scenarios.WorkloadOptions{Requests: 100_000_000, Duration: 3 * time.Second})
	if err != nil {
		b.Fatal(err)
	}
	sustained := float64(st.Records) / st.Elapsed.Seconds()
	offered := 1.5 * sustained

	for i := 0; i < b.N; i++ {
		runtime.GC()
		var connErrs, errs, n atomic.Int64
		cfg := base
		if v, _ := strconv.Atoi(os.Getenv("SENDERS")); v > 0 {
			cfg.Senders = v
		}
		cfg.Records = func(r *results.Record) error {
			n.Add(1)
			switch r.ErrorClass {
			case "":
			case ClassConnect, ClassTimeoutConnect:
				connErrs.Add(1)
				errs.Add(1)
			default:
				errs.Add(1)
			}
			return nil
		}
		stop := make(chan struct{})
		peak := make(chan uint64)
		go func() { // sample the heap in use every 100 ms
			var m runtime.MemStats
			var hi uint64
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				runtime.ReadMemStats(&m)
				hi = max(hi, m.HeapInuse)
				select {
				case <-stop:
					peak <- hi
					return
				case <-t.C:
				}
			}
		}()
		sc := chatScenario(b, math.Round(offered), 100_000_000, 16, 8)
		res, st, err := Run(context.Background(), sc, cfg, scenarios.WorkloadOptions{Requests: 100_000_000, Duration: 10 * time.Second})
		close(stop)
		heapPeak := <-peak
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(sustained, "sustained-req/s")
		b.ReportMetric(offered, "offered-req/s")
		b.ReportMetric(float64(n.Load())/st.Elapsed.Seconds(), "achieved-req/s")
		if sd := res.Totals.ScheduleDelay; sd != nil {
			b.ReportMetric(sd.P99, "sched-p99-ms")
		} else {
			b.Fatal("no schedule delay reported")
		}
		b.ReportMetric(float64(heapPeak)/(1<<20), "heap-peak-MB")
		b.ReportMetric(float64(peakRSS())/(1<<20), "rss-peak-MB")
		b.ReportMetric(float64(errs.Load()), "errors")
		b.ReportMetric(float64(st.Senders), "senders")
		if connErrs.Load() > 0 {
			b.Errorf("%d client-made connection errors at %.0f req/s", connErrs.Load(), offered)
		}
		if heapPeak > 300<<20 {
			b.Errorf("heap in use peaked at %d MB, want < 300 MB", heapPeak>>20)
		}
	}
}

// peakRSS is the process's peak resident set (VmHWM), 0 where unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

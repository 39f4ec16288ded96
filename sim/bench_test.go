package sim

import (
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
)

// benchChat simulates n chat requests of the built-in chat scenario on a
// fleet, with the arrival rate scaled so the fleet runs loaded but stable.
func benchChat(b *testing.B, fleet string, n int, rateScale float64) {
	sc, err := scenarios.Builtin("chat")
	require.NoError(b, err)
	cfg := ConfigFromScenario(sc)
	cfg.Fleet = fleet
	b.ReportAllocs()
	var st Stats
	var virt time.Duration
	start := time.Now()
	for i := 0; i < b.N; i++ {
		_, s, err := Run(sc, cfg, scenarios.WorkloadOptions{Requests: n, Duration: 24 * time.Hour, RateScale: rateScale})
		require.NoError(b, err)
		st = s
		virt = time.Duration(s.EndNs)
	}
	wall := time.Since(start).Seconds() / float64(b.N)
	b.ReportMetric(float64(st.Requests)/wall, "req/s")
	b.ReportMetric(float64(st.Events+st.Spans)/wall, "events/s")
	b.ReportMetric(wall*1e9/float64(st.Requests), "ns/req")
	b.ReportMetric(virt.Seconds()/wall, "x-realtime")
}

// BenchmarkSimChat64 is the speed goal at a bench-friendly size:
// 64 instances (16P48D of llama-3.1-70b TP4 on H100), chat at ~30x the
// scenario's rate. `make bench-sim` runs the full 1,000,000 requests.
func BenchmarkSimChat64(b *testing.B) { benchChat(b, "16P48D", 20000, 30) }

// BenchmarkSimChat200k is the steady-state check between the two.
func BenchmarkSimChat200k(b *testing.B) { benchChat(b, "16P48D", 200_000, 30) }

// BenchmarkSimChat1M is the full speed goal: 1,000,000 chat
// requests on a 64-instance fleet (`make bench-sim`), colocated and
// disaggregated (the latter also tracks prefix blocks on the decode side).
func BenchmarkSimChat1M(b *testing.B) {
	b.Run("fleet=64C", func(b *testing.B) { benchChat(b, "64C", 1_000_000, 30) })
	b.Run("fleet=16P48D", func(b *testing.B) { benchChat(b, "16P48D", 1_000_000, 30) })
}

// BenchmarkSimScale shows per-request simulation cost and memory per
// cached KV block against fleet size at proportional load: 1 chat request/s
// per colocated 70B TP4 instance, 200 requests per instance, default 16-token
// blocks, so every instance's prefix cache fills with tens of thousands of
// blocks. Routing, the prefix index and the event queue must not grow with
// the fleet: compare ns/req (wall) and cpu-ns/req (CPU time, steadier on a
// shared machine) across sizes. B/cached-block is the heap that the
// instances' KV caches and the prefix index hold at the end (measured: the
// live heap, after GC, with them and without them) over the blocks cached;
// heap-B/cached-block is the whole run's heap growth over the same count
// (it adds fixed costs, such as the result histograms' ~2 MB).
// kv-state-MB is that state's size: the working set whose cache lines a
// request reads at random. Compare it with BenchmarkMemoryLatency's sizes
// (`make bench-scale` runs both): the instructions per request are flat,
// the time per request follows the memory latency of that working set.
//
// The 10,000-instance size simulates 2,000,000 requests and holds ~95M
// cached blocks (1.9 GB of KV state, several GB of heap); it runs only
// with FLEETBENCH_SIMSCALE_10K=1.
// FLEETBENCH_SIMSCALE_SIZES=64,2048 runs other sizes instead (up to 4,096
// without the 10K switch):
//
//	FLEETBENCH_SIMSCALE_10K=1 GOMAXPROCS=1 go test ./sim -run '^$' -bench SimScale -benchtime 1x -timeout 30m
func BenchmarkSimScale(b *testing.B) {
	sc, err := scenarios.Builtin("chat")
	require.NoError(b, err)
	sizes := []int{8, 512, 10000}
	if v := os.Getenv("FLEETBENCH_SIMSCALE_SIZES"); v != "" {
		sizes = sizes[:0]
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			require.NoError(b, err, "FLEETBENCH_SIMSCALE_SIZES: a comma-separated list of instance counts")
			sizes = append(sizes, n)
		}
	}
	for _, n := range sizes {
		b.Run(fmt.Sprintf("instances=%d", n), func(b *testing.B) {
			if n > 4096 && os.Getenv("FLEETBENCH_SIMSCALE_10K") == "" {
				b.Skip("set FLEETBENCH_SIMSCALE_10K=1 to run the 10,000-instance size (2M requests, several GB)")
			}
			cfg := ConfigFromScenario(sc)
			cfg.Fleet = fmt.Sprintf("%dC", n)
			reqs := 200 * n
			rate := float64(n) / 5.5 // the scenario's 5.5 req/s -> 1 req/s per instance
			b.ReportAllocs()
			var st Stats
			var wall, cpu time.Duration
			var perBlock, runGrowth, stateMB float64
			var use usage
			for i := 0; i < b.N; i++ {
				wl, err := sc.NewWorkload(scenarios.WorkloadOptions{Requests: reqs, Duration: 24 * time.Hour, RateScale: rate})
				require.NoError(b, err)
				e, err := newEngine(sc, wl, sc.Seed, cfg)
				require.NoError(b, err)
				before := heapAlloc()
				u0 := usageNow()
				start, cpu0 := time.Now(), cpuTime()
				e.loop()
				wall += time.Since(start)
				cpu += cpuTime() - cpu0
				use.add(usageNow().sub(u0))
				require.NoError(b, e.err)
				st = e.stats
				b.StopTimer()
				cached := 0
				for _, in := range e.fleet.instances {
					cached += in.cache.Cached()
				}
				// What the caches and the prefix index hold: the heap freed
				// by dropping them (the rest of the run's growth is fixed
				// costs such as the result histograms).
				held := heapAlloc()
				runGrowth = float64(held-before) / float64(cached)
				for _, in := range e.fleet.instances {
					in.cache = nil
				}
				for _, p := range e.fleet.pools {
					p.prefix = nil
				}
				state := held - heapAlloc()
				perBlock = float64(state) / float64(cached)
				stateMB = float64(state) / (1 << 20)
				runtime.KeepAlive(e)
				wl.Close()
				b.StartTimer()
			}
			b.ReportMetric(float64(wall.Nanoseconds())/float64(b.N)/float64(st.Requests), "ns/req")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N)/float64(st.Requests), "cpu-ns/req")
			b.ReportMetric(perBlock, "B/cached-block")
			b.ReportMetric(runGrowth, "heap-B/cached-block")
			b.ReportMetric(stateMB, "kv-state-MB")
			use.report(b, float64(b.N)*float64(st.Requests))
		})
	}
}

// BenchmarkMoEPlatform runs the moe-platform built-in whole (`make
// bench-moe`, GOMAXPROCS=1: the goal is under a minute on one core).
func BenchmarkMoEPlatform(b *testing.B) {
	sc := mustBuiltin(b, "moe-platform")
	cfg := ConfigFromScenario(sc)
	for b.Loop() {
		if _, _, err := Run(sc, cfg, scenarios.WorkloadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}

// cpuTime is the CPU time this process has used (user + system, all
// threads): per-request cost that a busy shared machine does not inflate
// the way it inflates wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// usage is where a loop's CPU went: system time (mostly first-touch page
// faults as the heap grows), the garbage collector's share (all of its
// workers and assists), and the minor page faults and GC cycles behind them.
type usage struct {
	sys, gc     time.Duration
	faults, gcs int64
}

func usageNow() usage {
	var u usage
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
		u.sys = time.Duration(ru.Stime.Nano())
		u.faults = ru.Minflt
	}
	ms := []metrics.Sample{{Name: "/cpu/classes/gc/total:cpu-seconds"}, {Name: "/gc/cycles/total:gc-cycles"}}
	metrics.Read(ms)
	if ms[0].Value.Kind() == metrics.KindFloat64 {
		u.gc = time.Duration(ms[0].Value.Float64() * 1e9)
	}
	if ms[1].Value.Kind() == metrics.KindUint64 {
		u.gcs = int64(ms[1].Value.Uint64())
	}
	return u
}

func (u usage) sub(v usage) usage {
	return usage{sys: u.sys - v.sys, gc: u.gc - v.gc, faults: u.faults - v.faults, gcs: u.gcs - v.gcs}
}

func (u *usage) add(v usage) {
	u.sys += v.sys
	u.gc += v.gc
	u.faults += v.faults
	u.gcs += v.gcs
}

// report adds sys-ns/req, gc-ns/req (both inside cpu-ns/req), faults per
// 1,000 requests and the loop's GC cycles per run.
func (u usage) report(b *testing.B, reqs float64) {
	b.ReportMetric(float64(u.sys.Nanoseconds())/reqs, "sys-ns/req")
	b.ReportMetric(float64(u.gc.Nanoseconds())/reqs, "gc-ns/req")
	b.ReportMetric(float64(u.faults)*1000/reqs, "faults/kreq")
	b.ReportMetric(float64(u.gcs)/float64(b.N), "gc-cycles")
}

// heapAlloc is the live heap after a full collection.
func heapAlloc() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

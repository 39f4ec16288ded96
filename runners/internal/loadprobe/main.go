// Command loadprobe is the yardstick for the runner's open loop under load
// (scripts/overload.sh, make overload, make overload-search): it serves a
// trivial OpenAI-compatible endpoint on loopback, drives it with vegeta's
// own Attacker for comparison, and judges both tools' runs by one rule.
//
//	loadprobe serve URLFILE              serve until SIGTERM; the base URL goes to URLFILE
//	loadprobe vegeta URL RATE DUR [OUT]  vegeta Attacker, open loop, constant RATE, RATE×DUR hits
//	                                     (LOADPROBE_CPUPROFILE=FILE: its CPU profile, as run --cpuprofile)
//	loadprobe judge RESULT.json RATE DUR verdict on a fleetbench run result
//	loadprobe pairs [flags] RATE...      alternated runs of both tools at each rate
//	loadprobe search [flags]             each tool's max clean rate, by bisection (search.go)
//
// # Clean
//
// A run of N = RATE×DUR scheduled requests is clean when all four hold:
//
//  1. every scheduled request was sent: N of N (a late request still
//     counts as sent; vegeta's attack is given no duration cut-off, its
//     pacer stops after hit N, so it too sends every hit, late if need be);
//  2. no errors: every request sent was answered 200 with a response;
//  3. the schedule delay (actual minus intended send time) has p99 at most
//     results.ClientSaturatedP99Ms (50 ms), the bound above which fleetbench
//     itself flags a run as client-saturated;
//  4. the achieved rate, answers per second from the first intended send to
//     the last answer, is at least 99% of RATE: a backlog in the last 1% of
//     the run, which p99 cannot see, still fails it.
//
// Each verdict is one line:
// "tool rate sent ok errors delay_p99_ms latency_p99_ms achieved clean".
package main

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"os/signal"
	"runtime/pprof"
	"slices"
	"strconv"
	"syscall"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners"
	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "loadprobe:", err)
		os.Exit(2)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: loadprobe serve URLFILE | vegeta URL RATE DUR | judge RESULT RATE DUR | pairs [flags] RATE... | search [flags]")
	}
	switch {
	case args[0] == "serve" && len(args) == 2:
		return serve(args[1])
	case args[0] == "vegeta" && (len(args) == 4 || len(args) == 5):
		rate, dur, err := rateDur(args[2], args[3])
		if err != nil {
			return err
		}
		if path := os.Getenv("LOADPROBE_CPUPROFILE"); path != "" {
			// The vegeta side's profile, to compare with run --cpuprofile.
			f, err := os.Create(path)
			if err != nil {
				return err
			}
			defer f.Close()
			if err := pprof.StartCPUProfile(f); err != nil {
				return err
			}
			defer pprof.StopCPUProfile()
		}
		o, err := attack(args[1], rate, dur)
		if err != nil {
			return err
		}
		fmt.Println(o)
		if len(args) == 5 { // search and pairs read the outcome back (gob keeps NaN)
			return writeOutcome(args[4], o)
		}
		return nil
	case args[0] == "judge" && len(args) == 4:
		rate, dur, err := rateDur(args[2], args[3])
		if err != nil {
			return err
		}
		o, err := judge(args[1], rate, dur)
		if err != nil {
			return err
		}
		fmt.Println(o)
		return nil
	case args[0] == "pairs":
		return pairs(args[1:])
	case args[0] == "search":
		return search(args[1:])
	}
	return fmt.Errorf("unknown command or wrong arguments: %q", args)
}

func rateDur(r, d string) (float64, time.Duration, error) {
	rate, err := strconv.ParseFloat(r, 64)
	if err != nil || !(rate > 0) || rate > 1e6 {
		return 0, 0, fmt.Errorf("rate %q: want a number of requests per second, 0 to 1,000,000", r)
	}
	dur, err := time.ParseDuration(d)
	if err != nil || dur <= 0 || dur > time.Hour {
		return 0, 0, fmt.Errorf("duration %q: want e.g. 10s, at most 1h", d)
	}
	return rate, dur, nil
}

// serve answers every request at once with 8 one-token chunks (the
// runner benchmarks' trivial server) until SIGTERM or SIGINT.
func serve(urlFile string) error {
	srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return openaitest.Steady(8, 0, 0) })
	srv.Keep = false
	defer srv.Close()
	if err := os.WriteFile(urlFile, []byte(srv.BaseURL()+"\n"), 0o644); err != nil {
		return err
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	<-sig
	return nil
}

// firstN is a pacer that stops after n hits: vegeta then sends every one
// of them, late if it must, as fleetbench does, instead of having the
// attack's duration cut off the hits it is behind on.
type firstN struct {
	vegeta.Pacer
	n uint64
}

func (p firstN) Pace(el time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.n {
		return 0, true
	}
	return p.Pacer.Pace(el, hits)
}

// attack runs vegeta's Attacker (default workers, as the vegeta CLI) with
// the body fleetbench sends for const-chat.yaml, non-streaming.
func attack(url string, rate float64, dur time.Duration) (outcome, error) {
	sc, err := scenarios.Load("runners/internal/loadprobe/const-chat.yaml")
	if err != nil {
		return outcome{}, err
	}
	wl, err := sc.NewWorkload(scenarios.WorkloadOptions{})
	if err != nil {
		return outcome{}, err
	}
	r, _ := wl.Next()
	wl.Close()
	body := runners.RequestBody(runners.Config{Target: url, Model: "m", NoStream: true, IgnoreEOS: true}, r)
	hdr := http.Header{"Content-Type": {"application/json"}}
	tgt := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: url + "/chat/completions", Body: body, Header: hdr})
	atk := vegeta.NewAttacker()
	want := scheduled(rate, dur)
	// The constant pacer's hit h is due h/rate after the attack began.
	pacer := firstN{vegeta.ConstantPacer{Freq: int(math.Round(rate)), Per: time.Second}, uint64(want)}
	o := outcome{Tool: "vegeta", Rate: rate, Want: want}
	var delay, lat []int64
	type hit struct {
		seq  uint64
		at   time.Time
		done time.Time
	}
	var hits []hit
	var origin time.Time
	for res := range atk.Attack(tgt, pacer, 0, "probe") {
		o.Sent++
		if res.Code == 200 && res.Error == "" {
			o.OK++
		} else {
			o.Errs++
		}
		lat = append(lat, int64(res.Latency))
		hits = append(hits, hit{res.Seq, res.Timestamp, res.Timestamp.Add(res.Latency)})
		if res.Seq == 0 {
			origin = res.Timestamp
		}
	}
	// vegeta stamps each result with its send time; hit Seq was due at
	// hit 0's send time + Seq intervals.
	iv := float64(time.Second) / float64(pacer.Pacer.(vegeta.ConstantPacer).Freq)
	var last time.Time
	for _, h := range hits {
		delay = append(delay, int64(h.at.Sub(origin))-int64(float64(h.seq)*iv))
		if h.done.After(last) {
			last = h.done
		}
	}
	o.DelayP99, o.LatP99 = p99(delay), p99(lat)
	if span := last.Sub(origin).Seconds(); span > 0 {
		o.Achieved = float64(o.OK) / span
	}
	return o.judged(), nil
}

// judge reads a fleetbench run result and gives the same verdict.
func judge(path string, rate float64, dur time.Duration) (outcome, error) {
	f, err := os.Open(path)
	if err != nil {
		return outcome{}, err
	}
	defer f.Close()
	res, err := results.Decode(f, path)
	if err != nil {
		return outcome{}, err
	}
	t := res.Totals
	o := outcome{Tool: "fleetbench", Rate: rate, Want: scheduled(rate, dur),
		Sent: int(t.Requests), OK: int(t.Completed), Errs: int(t.Requests - t.Completed),
		DelayP99: math.NaN(), LatP99: math.NaN()}
	if t.ScheduleDelay != nil {
		o.DelayP99 = t.ScheduleDelay.P99
	}
	if t.E2E != nil {
		o.LatP99 = t.E2E.P99
	}
	if n, ok := res.Extra["senders"].(float64); ok {
		o.Senders = int(n)
	}
	// Record times are ns since the first intended send; the drain ends
	// with the last answer.
	if d := res.Window.DrainEndS; d > 0 {
		o.Achieved = float64(o.OK) / d
	}
	return o.judged(), nil
}

// scheduled is how many requests RATE for DUR schedules.
func scheduled(rate float64, dur time.Duration) int {
	return int(math.Round(rate * dur.Seconds()))
}

func p99(v []int64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	return float64(v[(len(v)*99+99)/100-1]) / 1e6
}

// outcome is one run's verdict (delays and latencies in ms). Exported
// fields: the vegeta command hands it to search as JSON.
type outcome struct {
	Tool                 string
	Rate                 float64
	Want, Sent, OK, Errs int
	Senders              int     // fleetbench: senders the pool grew to
	DelayP99, LatP99     float64 // ms; NaN when not measured
	Achieved             float64 // answers per second, first intended send to last answer
	Clean                bool
	WallS, CPUS, RSSMiB  float64 // whole process (pairs and search only)
	Load1                float64 // 1-minute load average at the run's start
	Failed               string  // the run could not be judged (process failed)
}

// Clean-run bounds (see the package comment).
const (
	maxDelayP99Ms    = results.ClientSaturatedP99Ms
	minAchievedShare = 0.99
)

func (o outcome) judged() outcome {
	o.Clean = o.Failed == "" && o.Sent == o.Want && o.Errs == 0 && o.OK == o.Sent &&
		o.DelayP99 <= maxDelayP99Ms && o.Achieved >= minAchievedShare*o.Rate
	return o
}

func (o outcome) String() string {
	s := fmt.Sprintf("%s rate=%g sent=%d/%d ok=%d errors=%d delay_p99_ms=%.2f latency_p99_ms=%.2f achieved=%.0f clean=%v",
		o.Tool, o.Rate, o.Sent, o.Want, o.OK, o.Errs, o.DelayP99, o.LatP99, o.Achieved, o.Clean)
	if o.Senders > 0 {
		s += fmt.Sprintf(" senders=%d", o.Senders)
	}
	if o.WallS > 0 {
		s += fmt.Sprintf(" wall_s=%.2f cpu_s=%.2f peak_rss_mib=%.0f load1=%.2f", o.WallS, o.CPUS, o.RSSMiB, o.Load1)
	}
	if o.Failed != "" {
		s += " failed=" + strconv.Quote(o.Failed)
	}
	return s
}

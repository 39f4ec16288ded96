// Command loadprobe is the yardstick for the runner's overload behaviour
// (scripts/overload.sh, make overload): it serves a trivial
// OpenAI-compatible endpoint on loopback, drives it with vegeta's own
// Attacker for comparison, and judges both tools' runs by one rule.
//
//	loadprobe serve URLFILE            serve until SIGTERM; the base URL goes to URLFILE
//	loadprobe vegeta URL RATE DUR      vegeta Attacker, open loop, constant RATE for DUR
//	loadprobe judge RESULT.json RATE DUR   verdict on a fleetbench run result
//
// A run is clean when at least 99.9% of the RATE×DUR requests were sent,
// every one sent was answered 200, and the schedule delay (actual minus intended send time) has p99 at
// most results.ClientSaturatedP99Ms. Each verdict is one line:
// "tool rate sent ok errors delay_p99_ms latency_p99_ms clean".
package main

import (
	"fmt"
	"math"
	"net/http"
	"os"
	"os/signal"
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
		return fmt.Errorf("usage: loadprobe serve URLFILE | vegeta URL RATE DUR | judge RESULT RATE DUR")
	}
	switch {
	case args[0] == "serve" && len(args) == 2:
		return serve(args[1])
	case args[0] == "vegeta" && len(args) == 4:
		rate, dur, err := rateDur(args[2], args[3])
		if err != nil {
			return err
		}
		return attack(args[1], rate, dur)
	case args[0] == "judge" && len(args) == 4:
		rate, dur, err := rateDur(args[2], args[3])
		if err != nil {
			return err
		}
		return judge(args[1], rate, dur)
	}
	return fmt.Errorf("unknown command or wrong arguments: %q", args)
}

func rateDur(r, d string) (float64, time.Duration, error) {
	rate, err := strconv.ParseFloat(r, 64)
	if err != nil || !(rate > 0) {
		return 0, 0, fmt.Errorf("rate %q: want a positive number", r)
	}
	dur, err := time.ParseDuration(d)
	if err != nil || dur <= 0 {
		return 0, 0, fmt.Errorf("duration %q: want e.g. 10s", d)
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

// attack runs vegeta's Attacker (default workers, as the vegeta CLI) with
// the body fleetbench sends for const-chat.yaml, non-streaming.
func attack(url string, rate float64, dur time.Duration) error {
	sc, err := scenarios.Load("runners/internal/loadprobe/const-chat.yaml")
	if err != nil {
		return err
	}
	wl, err := sc.NewWorkload(scenarios.WorkloadOptions{})
	if err != nil {
		return err
	}
	r, _ := wl.Next()
	wl.Close()
	body := runners.RequestBody(runners.Config{Target: url, Model: "m", NoStream: true, IgnoreEOS: true}, r)
	hdr := http.Header{"Content-Type": {"application/json"}}
	tgt := vegeta.NewStaticTargeter(vegeta.Target{Method: "POST", URL: url + "/chat/completions", Body: body, Header: hdr})
	atk := vegeta.NewAttacker()
	pacer := vegeta.ConstantPacer{Freq: int(math.Round(rate)), Per: time.Second}
	var sent, lat []int64
	var origin time.Time
	ok, errs := 0, 0
	type hit struct {
		seq uint64
		at  time.Time
	}
	var hits []hit
	for res := range atk.Attack(tgt, pacer, dur, "probe") {
		if res.Code == 200 && res.Error == "" {
			ok++
		} else {
			errs++
		}
		lat = append(lat, int64(res.Latency))
		hits = append(hits, hit{res.Seq, res.Timestamp})
		if res.Seq == 0 {
			origin = res.Timestamp
		}
	}
	// vegeta stamps each result with its send time; hit Seq was due at
	// hit 0's send time + Seq intervals.
	iv := float64(time.Second) / float64(pacer.Freq)
	for _, h := range hits {
		sent = append(sent, int64(h.at.Sub(origin))-int64(float64(h.seq)*iv))
	}
	return verdict("vegeta", rate, dur, ok+errs, ok, errs, p99(sent), p99(lat))
}

// judge reads a fleetbench run result and gives the same verdict.
func judge(path string, rate float64, dur time.Duration) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	res, err := results.Decode(f, path)
	if err != nil {
		return err
	}
	t := res.Totals
	ok := t.Completed
	delay, lat := math.NaN(), math.NaN()
	if t.ScheduleDelay != nil {
		delay = t.ScheduleDelay.P99
	}
	if t.E2E != nil {
		lat = t.E2E.P99
	}
	return verdict("fleetbench", rate, dur, int(t.Requests), int(ok), int(t.Requests-ok), delay, lat)
}

func p99(v []int64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	slices.Sort(v)
	return float64(v[(len(v)*99+99)/100-1]) / 1e6
}

// verdict prints the one-line judgement (delays and latencies in ms).
func verdict(tool string, rate float64, dur time.Duration, sent, ok, errs int, delayMs, latMs float64) error {
	want := int(math.Round(rate * dur.Seconds()))
	// 99.9% of the schedule: vegeta's attack ends when the duration has
	// elapsed, which can cut the last hit or two of an on-time run.
	clean := sent*1000 >= want*999 && errs == 0 && delayMs <= results.ClientSaturatedP99Ms
	fmt.Printf("%s rate=%g sent=%d/%d ok=%d errors=%d delay_p99_ms=%.2f latency_p99_ms=%.2f clean=%v\n",
		tool, rate, sent, want, ok, errs, delayMs, latMs, clean)
	return nil
}

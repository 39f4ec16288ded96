package main

import (
	"context"
	"encoding/gob"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// probe runs whole processes, one run at a time, against one server: the
// fleetbench binary under test, and this command's own vegeta mode.
type probe struct {
	ctx        context.Context // cancelled by SIGINT/SIGTERM: the run in progress is killed
	fleetbench string
	also       []string // more fleetbench binaries, "name=path", run as tools of those names
	fbArgs     []string // extra arguments for fleetbench run
	dur        time.Duration
	url        string
	tmp        string
	self       string
	server     *os.Process   // the loadprobe serve this probe started (nil with -target)
	stall      time.Duration // -stall: the server is stopped this long in every run
}

func (p *probe) flags(fs *flag.FlagSet) (fbArgs *string) {
	fs.StringVar(&p.fleetbench, "fleetbench", "bin/fleetbench", "fleetbench binary to measure")
	fs.Func("also", "another fleetbench binary to compare, NAME=PATH (e.g. before=bin/fleetbench-main), alternated with the others; repeatable", func(v string) error {
		name, path, ok := strings.Cut(v, "=")
		if !ok || name == "" || path == "" || name == "fleetbench" || name == "vegeta" || strings.ContainsAny(name, " \t") {
			return fmt.Errorf("%q: want NAME=PATH, NAME not fleetbench or vegeta", v)
		}
		p.also = append(p.also, v)
		return nil
	})
	fs.DurationVar(&p.dur, "dur", 10*time.Second, "length of each run's schedule")
	fs.StringVar(&p.url, "target", "", "base URL of a running loadprobe serve (default: start one)")
	fs.DurationVar(&p.stall, "stall", 0, "stop the server (SIGSTOP) for this long at 30% of every run, then let it go on (SIGCONT): how each tool recovers from a server stall (not with -target)")
	return fs.String("fb-args", "", "extra arguments for fleetbench run, space-separated (e.g. \"--senders 512\")")
}

// start makes the scratch folder and, unless -target was given, starts
// loadprobe serve as a child process; stop ends both.
func (p *probe) start(fbArgs string) (stop func(), err error) {
	p.fbArgs = strings.Fields(fbArgs)
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	p.ctx = ctx
	defer func() {
		if err != nil {
			cancel()
			return
		}
		inner := stop
		stop = func() { inner(); cancel() }
	}()
	if p.self, err = os.Executable(); err != nil {
		return nil, err
	}
	if p.tmp, err = os.MkdirTemp("", "loadprobe"); err != nil {
		return nil, err
	}
	if p.url != "" {
		if p.stall > 0 {
			os.RemoveAll(p.tmp)
			return nil, errors.New("-stall needs the server this command starts: leave -target out")
		}
		return func() { os.RemoveAll(p.tmp) }, nil
	}
	urlFile := filepath.Join(p.tmp, "url")
	srv := exec.Command(p.self, "serve", urlFile)
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		os.RemoveAll(p.tmp)
		return nil, err
	}
	p.server = srv.Process
	stop = func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
		os.RemoveAll(p.tmp)
	}
	for range 100 {
		if b, err := os.ReadFile(urlFile); err == nil && len(b) > 0 {
			p.url = strings.TrimSpace(string(b))
			return stop, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	stop()
	return nil, errors.New("loadprobe serve did not start within 5 s")
}

// tools are the tools compared: fleetbench, those of -also, vegeta.
func (p *probe) tools() []string {
	t := []string{"fleetbench"}
	for _, a := range p.also {
		name, _, _ := strings.Cut(a, "=")
		t = append(t, name)
	}
	return append(t, "vegeta")
}

// binary is the fleetbench binary of tool.
func (p *probe) binary(tool string) string {
	for _, a := range p.also {
		if name, path, _ := strings.Cut(a, "="); name == tool {
			return path
		}
	}
	return p.fleetbench
}

// run runs tool (a fleetbench binary's name, or "vegeta") once at rate and judges it,
// with its whole-process wall time, CPU and peak RSS.
func (p *probe) run(tool string, rate float64) outcome {
	load := load1()
	out := filepath.Join(p.tmp, "out")
	_ = os.Remove(out)
	r := strconv.FormatFloat(rate, 'f', -1, 64)
	var cmd *exec.Cmd
	if tool != "vegeta" {
		bin := p.binary(tool)
		args := append([]string{"run", "runners/internal/loadprobe/const-chat.yaml", "--target", p.url, "--model", "m",
			"--rate", r, "--duration", p.dur.String(), "--no-stream", "--gpu-telemetry", "off", "-q",
			"-o", out, "--format", "json"}, p.fbArgs...)
		cmd = exec.CommandContext(p.ctx, bin, args...)
	} else {
		cmd = exec.CommandContext(p.ctx, p.self, "vegeta", p.url, r, p.dur.String(), out)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	start := time.Now()
	err := cmd.Start()
	if err == nil {
		if p.stall > 0 && p.server != nil {
			stop := time.AfterFunc(p.dur*3/10, func() {
				_ = p.server.Signal(syscall.SIGSTOP)
				time.Sleep(p.stall)
				_ = p.server.Signal(syscall.SIGCONT)
			})
			defer func() {
				if !stop.Stop() {
					time.Sleep(p.stall) // let a stall in progress end before the next run
				}
				_ = p.server.Signal(syscall.SIGCONT)
			}()
		}
		err = cmd.Wait()
	}
	wall := time.Since(start)
	var o outcome
	var jerr error
	switch {
	case tool != "vegeta" && cmd.ProcessState != nil:
		// Exit 1 is a run that failed a limit (client saturated): still judged.
		o, jerr = judge(out, rate, p.dur)
		o.Tool = tool
	case err == nil:
		o, jerr = readOutcome(out)
	default:
		jerr = err
	}
	if jerr != nil {
		o = outcome{Tool: tool, Rate: rate, Want: scheduled(rate, p.dur), DelayP99: math.NaN(), LatP99: math.NaN(),
			Failed: fmt.Sprintf("%v (%v): %s", jerr, err, lastLine(stderr.String()))}
		o = o.judged()
	}
	o.WallS, o.Load1 = wall.Seconds(), load
	if ps := cmd.ProcessState; ps != nil {
		o.CPUS = (ps.UserTime() + ps.SystemTime()).Seconds()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			o.RSSMiB = float64(ru.Maxrss) / 1024
		}
	}
	return o
}

func lastLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.LastIndexByte(s, '\n'); i >= 0 {
		s = s[i+1:]
	}
	return s
}

// load1 is the 1-minute load average (NaN when unknown).
func load1() float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return math.NaN()
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(f[0], 64)
	if err != nil {
		return math.NaN()
	}
	return v
}

func writeOutcome(path string, o outcome) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := gob.NewEncoder(f).Encode(o); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readOutcome(path string) (outcome, error) {
	var o outcome
	f, err := os.Open(path)
	if err != nil {
		return o, err
	}
	defer f.Close()
	return o, gob.NewDecoder(f).Decode(&o)
}

// pairs runs fleetbench then vegeta, -runs times, at each rate given:
// alternated A B A B, so drift in the machine's speed hits both alike.
func pairs(args []string) error {
	fs := flag.NewFlagSet("pairs", flag.ContinueOnError)
	var p probe
	fbArgs := p.flags(fs)
	runs := fs.Int("runs", 1, "pairs per rate")
	if err := fs.Parse(args); err != nil {
		return err
	}
	rates := fs.Args()
	if len(rates) == 0 {
		rates = []string{"4000", "8000", "12000", "16000"}
	}
	var rs []float64
	for _, a := range rates {
		r, _, err := rateDur(a, p.dur.String())
		if err != nil {
			return err
		}
		rs = append(rs, r)
	}
	stop, err := p.start(*fbArgs)
	if err != nil {
		return err
	}
	defer stop()
	for _, r := range rs {
		for range *runs {
			for _, t := range p.tools() {
				fmt.Println(p.run(t, r))
				if p.ctx.Err() != nil {
					return errors.New("interrupted")
				}
			}
		}
	}
	return nil
}

// bisection is one tool's search for its highest clean rate: lo is the
// highest rate found clean, hi the lowest found not clean (the starting
// bracket's ends are assumptions until tested).
type bisection struct {
	tool             string
	lo, hi           float64
	loTested, hiSeen bool
	done             bool
}

// next is the rate to try next, or false when the bracket is narrower than
// step (a ratio) or the rate quantum.
func (b *bisection) next(step, quantum float64) (float64, bool) {
	if b.done {
		return 0, false
	}
	if b.hi/b.lo <= step {
		return 0, false
	}
	mid := math.Round(math.Sqrt(b.lo*b.hi)/quantum) * quantum
	if mid <= b.lo || mid >= b.hi {
		return 0, false
	}
	return mid, true
}

// majority: a rate is clean for a tool when more than half its runs there
// were clean (the median run's verdict).
func majority(runs []outcome) bool {
	return 2*countClean(runs) > len(runs)
}

// search finds each tool's max clean rate by geometric bisection between
// -lo and -hi: each step runs both tools -runs times, alternated
// (fleetbench, vegeta, fleetbench, vegeta, ...), each at its own bracket's
// midpoint; a rate is clean for a tool when most of its runs there were.
// The whole search is repeated -searches times; each gives one ratio of
// max clean rates (fleetbench / vegeta).
func search(args []string) error {
	fs := flag.NewFlagSet("search", flag.ContinueOnError)
	var p probe
	fbArgs := p.flags(fs)
	runs := fs.Int("runs", 3, "runs per tool at each rate tried (alternated)")
	searches := fs.Int("searches", 3, "independent searches, each giving one ratio")
	lo := fs.Float64("lo", 1000, "bracket's low end (req/s), assumed clean until tested")
	hi := fs.Float64("hi", 32000, "bracket's high end (req/s), assumed not clean")
	step := fs.Float64("resolution", 1.05, "stop when hi/lo is at most this")
	quantum := fs.Float64("quantum", 50, "rates tried are multiples of this (req/s)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *runs < 1 || *runs > 9:
		return fmt.Errorf("-runs %d: want 1 to 9", *runs)
	case *searches < 1 || *searches > 20:
		return fmt.Errorf("-searches %d: want 1 to 20", *searches)
	case !(*lo > 0) || !(*hi > *lo) || *hi > 1e6:
		return fmt.Errorf("-lo %g -hi %g: want 0 < lo < hi <= 1,000,000", *lo, *hi)
	case !(*step > 1):
		return fmt.Errorf("-resolution %g: want more than 1", *step)
	case !(*quantum > 0):
		return fmt.Errorf("-quantum %g: want a positive rate", *quantum)
	}
	stop, err := p.start(*fbArgs)
	if err != nil {
		return err
	}
	defer stop()
	fmt.Printf("# clean: all %s of RATE×DUR sent, 0 errors, schedule delay p99 <= %g ms, achieved >= %g%% of RATE; a rate is clean for a tool when most of its %d runs there are\n",
		"requests", float64(maxDelayP99Ms), minAchievedShare*100, *runs)
	ratios := make([][]float64, len(p.tools())-1)
	maxRates := make([][]float64, len(p.tools())) // per tool, per search (0: not clean at -lo)
	capped := make([][]bool, len(p.tools()))      // ... and clean up to the bracket's top: a lower bound
	var allLoads []float64
	for k := 1; k <= *searches; k++ {
		var tools []*bisection
		for _, t := range p.tools() {
			tools = append(tools, &bisection{tool: t, lo: *lo, hi: *hi})
		}
		loads := []float64{}
		for {
			rates := make([]float64, len(tools))
			anyRate := false
			for i, b := range tools {
				r, ok := b.next(*step, *quantum)
				if !ok && !b.loTested && !b.done {
					r, ok = b.lo, true // the bracket closed on an untested low end: test it
				}
				if ok {
					rates[i], anyRate = r, true
				} else {
					b.done = true
				}
			}
			if !anyRate {
				break
			}
			got := make([][]outcome, len(tools))
			for range *runs {
				for i, b := range tools {
					if rates[i] == 0 {
						continue
					}
					o := p.run(b.tool, rates[i])
					fmt.Printf("search %d: %v\n", k, o)
					if p.ctx.Err() != nil {
						return errors.New("interrupted")
					}
					got[i] = append(got[i], o)
					loads = append(loads, o.Load1)
				}
			}
			for i, b := range tools {
				if rates[i] == 0 {
					continue
				}
				clean := majority(got[i])
				fmt.Printf("search %d: %s %g req/s: %s (%d of %d runs clean)\n", k, b.tool, rates[i], verdictWord(clean), countClean(got[i]), len(got[i]))
				switch {
				case rates[i] == b.lo && !clean:
					b.lo, b.done = 0, true // not even the low end is clean
				case rates[i] == b.lo:
					b.loTested = true
				case clean:
					b.lo, b.loTested = rates[i], true
				default:
					b.hi, b.hiSeen = rates[i], true
				}
			}
		}
		vg := tools[len(tools)-1]
		for i, b := range tools {
			maxRates[i] = append(maxRates[i], b.lo)
			capped[i] = append(capped[i], b.lo > 0 && !b.hiSeen && b.hi == *hi)
		}
		allLoads = append(allLoads, loads...)
		var line []string
		for i, b := range tools[:len(tools)-1] {
			ratio := math.NaN()
			if b.lo > 0 && vg.lo > 0 {
				ratio = b.lo / vg.lo
			}
			ratios[i] = append(ratios[i], ratio)
			line = append(line, fmt.Sprintf("%s %s, ratio to vegeta %.3f", b.tool, describe(b, *hi), ratio))
		}
		fmt.Printf("search %d: max clean rate %s; vegeta %s; load average %.2f-%.2f\n",
			k, strings.Join(line, "; "), describe(vg, *hi), slices.Min(loads), slices.Max(loads))
	}
	cfg := fmt.Sprintf("%d runs per rate of %s each, bracket %g-%g req/s to %gx", *runs, p.dur, *lo, *hi, *step)
	for i, t := range p.tools()[:len(p.tools())-1] {
		fmt.Println(summary(t, ratios[i], fmtRates(maxRates[i], capped[i]), fmtRates(maxRates[len(maxRates)-1], capped[len(capped)-1]), cfg, allLoads, time.Now()))
	}
	return nil
}

// summary is the line a report can quote whole: per search, the ratio of
// max clean rates and both rates, with the search's settings, the load
// average range and the date. rates and vegeta are fmtRates'.
func summary(tool string, ratios []float64, rates, vegeta string, cfg string, loads []float64, at time.Time) string {
	above := 0
	for _, r := range ratios {
		if r >= 1 {
			above++
		}
	}
	lr := "load average unknown"
	if len(loads) > 0 {
		lr = fmt.Sprintf("load average %.2f-%.2f", slices.Min(loads), slices.Max(loads))
	}
	return fmt.Sprintf("summary %s/vegeta max clean open-loop rate ratio per search: %s (median %.3f, min %.3f, >= 1.0 in %d of %d); %s %s req/s; vegeta %s req/s; %s; %s; %s",
		tool, fmtRatios(ratios), median(ratios), minRatio(ratios), above, len(ratios),
		tool, rates, vegeta, cfg, lr, at.UTC().Format("2006-01-02 15:04 UTC"))
}

// minRatio is the smallest ratio, NaN (a tool not clean at the bracket's
// low end) counting as the smallest.
func minRatio(v []float64) float64 {
	if len(v) == 0 {
		return math.NaN()
	}
	m := v[0]
	for _, r := range v {
		if math.IsNaN(r) || r < m {
			m = r
		}
	}
	return m
}

// fmtRates lists max clean rates: "none" where not even the bracket's low
// end was clean, a trailing "+" where the top was never found (a lower
// bound).
func fmtRates(rs []float64, capped []bool) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = strconv.FormatFloat(r, 'f', -1, 64)
		switch {
		case r == 0:
			s[i] = "none"
		case i < len(capped) && capped[i]:
			s[i] += "+"
		}
	}
	return strings.Join(s, " ")
}

func verdictWord(clean bool) string {
	if clean {
		return "clean"
	}
	return "not clean"
}

func countClean(runs []outcome) int {
	n := 0
	for _, o := range runs {
		if o.Clean {
			n++
		}
	}
	return n
}

// describe is a tool's max clean rate with how sure the bracket is.
func describe(b *bisection, hi float64) string {
	switch {
	case b.lo == 0:
		return "below the bracket"
	case !b.hiSeen && b.hi == hi:
		return fmt.Sprintf("%g req/s (or more: %g not tested)", b.lo, hi)
	}
	return fmt.Sprintf("%g req/s (%g not clean)", b.lo, b.hi)
}

// median of v (NaN, a search where a tool was not clean at the low end,
// sorts first).
func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func fmtRatios(rs []float64) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprintf("%.3f", r)
	}
	return strings.Join(s, " ")
}

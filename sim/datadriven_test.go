package sim

import (
	"flag"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/datadriven"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

var update = flag.Bool("update", false, "rewrite the expected output of sim/testdata/datadriven")

// TestDataDriven runs the text cases in testdata/datadriven: each file is
// a list of directives, each with its input and, after "----", the output
// the simulator must print. sim/testdata/README.md describes the format
// and how to add a case; `go test ./sim -run TestDataDriven -update`
// rewrites the expected outputs (review the diff before committing).
func TestDataDriven(t *testing.T) {
	if *update {
		if err := flag.Set("rewrite", "true"); err != nil {
			t.Fatal(err)
		}
	}
	datadriven.Walk(t, "testdata/datadriven", func(t *testing.T, path string) {
		datadriven.RunTest(t, path, func(t *testing.T, d *datadriven.TestData) string {
			switch d.Cmd {
			case "sim":
				return ddSim(t, d)
			case "scenario":
				return ddScenario(t, d)
			}
			d.Fatalf(t, "unknown directive %q (want sim or scenario)", d.Cmd)
			return ""
		})
	})
}

// ddConfig reads the fleet arguments of a directive onto the unit fleet
// (1C, llama-3.1-8b, h100, TP 1 unless the scenario or arguments say
// otherwise).
func ddConfig(t *testing.T, d *datadriven.TestData, cfg Config) Config {
	for _, a := range d.CmdArgs {
		v := ""
		if len(a.Vals) > 0 {
			v = a.Vals[0]
		}
		atoi := func() int {
			n, err := strconv.Atoi(v)
			if err != nil {
				d.Fatalf(t, "%s=%q: want an integer", a.Key, v)
			}
			return n
		}
		switch a.Key {
		case "fleet":
			cfg.Fleet = v
		case "model":
			cfg.Model = v
		case "gpu":
			cfg.GPU = v
		case "tp":
			cfg.TP = atoi()
		case "routing":
			cfg.Routing = v
		case "block-tokens":
			cfg.BlockTokens = atoi()
		case "kv-tokens":
			cfg.KVTokens = int64(atoi())
		case "max-seqs":
			cfg.MaxSeqs = atoi()
		case "decode-prefix-cache":
			cfg.NoDecodePrefixCache = v == "off"
		case "show", "requests", "seed":
			// read by the directive
		default:
			d.Fatalf(t, "unknown argument %q", a.Key)
		}
	}
	return cfg
}

// ddShow is the set of sections a directive prints (show=records,summary).
func ddShow(d *datadriven.TestData, def ...string) []string {
	for _, a := range d.CmdArgs {
		if a.Key == "show" {
			var out []string
			for _, v := range a.Vals {
				out = append(out, strings.Split(v, ",")...)
			}
			return out
		}
	}
	return def
}

// ddSim: "sim [fleet args] [show=...]" with one request per input line,
//
//	req id=1 at=0s out=10 blocks=7:1000,8:24
//
// (blocks are content id:tokens; equal ids are identical tokens). It
// prints the per-request timeline, the summary and the engine's counters.
func ddSim(t *testing.T, d *datadriven.TestData) string {
	cfg := ddConfig(t, d, unitCfg)
	var reqs []*scenarios.Request
	for _, line := range strings.Split(strings.TrimSpace(d.Input), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		reqs = append(reqs, ddRequest(t, d, line))
	}
	recs := map[uint64]results.Record{}
	cfg.Records = func(r *results.Record) error { recs[r.ID] = *r; return nil }
	e, err := newEngine(oneClass(), &sliceSource{reqs: reqs}, 1, cfg)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	e.loop()
	if e.err != nil {
		return "error: " + e.err.Error() + "\n"
	}
	var b strings.Builder
	for _, s := range ddShow(d, "records", "summary", "stats") {
		switch s {
		case "records":
			ddRecords(&b, recs)
		case "summary":
			ddSummary(&b, e.result())
		case "stats":
			fmt.Fprintf(&b, "stats: steps=%d preemptions=%d transfers=%d end=%s\n",
				e.stats.Steps, e.stats.Preemptions, e.stats.Transfers, ms(e.stats.EndNs))
		case "cache":
			for _, p := range e.fleet.pools {
				for i, in := range p.insts {
					fmt.Fprintf(&b, "cache %s[%d]: %d blocks cached\n", p.spec.Role, i, in.cache.Cached())
				}
			}
		default:
			d.Fatalf(t, "show=%s: want records, summary, stats or cache", s)
		}
	}
	return b.String()
}

// ddRequest parses one "req key=value..." line.
func ddRequest(t *testing.T, d *datadriven.TestData, line string) *scenarios.Request {
	f := strings.Fields(line)
	if len(f) == 0 || f[0] != "req" {
		d.Fatalf(t, "%q: want req id=N at=DURATION out=N blocks=ID:TOKENS,...", line)
	}
	var id uint64
	var at time.Duration
	out := 1
	var blocks []scenarios.Block
	for _, kv := range f[1:] {
		k, v, _ := strings.Cut(kv, "=")
		var err error
		switch k {
		case "id":
			id, err = strconv.ParseUint(v, 10, 64)
		case "at":
			at, err = time.ParseDuration(v)
		case "out":
			out, err = strconv.Atoi(v)
		case "blocks":
			for _, bv := range strings.Split(v, ",") {
				bid, bt, ok := strings.Cut(bv, ":")
				n, err1 := strconv.ParseUint(bid, 10, 64)
				tok, err2 := strconv.Atoi(bt)
				if !ok || err1 != nil || err2 != nil {
					d.Fatalf(t, "%q: block %q: want ID:TOKENS", line, bv)
				}
				blocks = append(blocks, scenarios.Block{ID: n, Tokens: int32(tok)})
			}
		default:
			d.Fatalf(t, "%q: unknown key %q", line, k)
		}
		if err != nil {
			d.Fatalf(t, "%q: %s: %v", line, k, err)
		}
	}
	return req(id, int64(at), out, blocks...)
}

// ddScenario: "scenario [fleet args] [requests=N] [seed=N] [show=...]" with
// a scenario YAML as input; the scenario's default fleet (else the unit
// fleet) applies, then the arguments. It prints the summary (and, with
// show=records, the timeline); a scenario the loader refuses prints its
// errors, positions relative to the snippet ("snippet:line:col").
func ddScenario(t *testing.T, d *datadriven.TestData) string {
	sc, err := scenarios.Parse("snippet", []byte(d.Input), ".")
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	cfg := ConfigFromScenario(sc)
	if cfg.Fleet == "" {
		cfg = unitCfg
	}
	cfg = ddConfig(t, d, cfg)
	var wo scenarios.WorkloadOptions
	if d.HasArg("requests") {
		d.ScanArgs(t, "requests", &wo.Requests)
	}
	if d.HasArg("seed") {
		var seed uint64
		d.ScanArgs(t, "seed", &seed)
		wo.Seed = &seed
	}
	recs := map[uint64]results.Record{}
	cfg.Records = func(r *results.Record) error { recs[r.ID] = *r; return nil }
	res, st, err := Run(sc, cfg, wo)
	if err != nil {
		return "error: " + err.Error() + "\n"
	}
	var b strings.Builder
	for _, s := range ddShow(d, "summary") {
		switch s {
		case "records":
			ddRecords(&b, recs)
		case "summary":
			ddSummary(&b, res)
		case "stats":
			fmt.Fprintf(&b, "stats: steps=%d preemptions=%d transfers=%d end=%s\n", st.Steps, st.Preemptions, st.Transfers, ms(st.EndNs))
		default:
			d.Fatalf(t, "show=%s: want records, summary or stats", s)
		}
	}
	return b.String()
}

// ddRecords prints one line per request, by id: times in ms from the
// request's send (exact to the nanosecond), token counts, and whatever
// went wrong.
func ddRecords(b *strings.Builder, recs map[uint64]results.Record) {
	ids := make([]uint64, 0, len(recs))
	for id := range recs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		r := recs[id]
		if r.Kind == "video" {
			// A clip: its wait in the pool's queue, then its generation.
			fmt.Fprintf(b, "clip %d: sent=%s queue=%s gen=%s video=%gs", id, ms(r.Sent), ms(r.QueueNs), ms(r.LastToken-r.FirstToken), r.VideoSeconds)
		} else {
			fmt.Fprintf(b, "req %d: sent=%s ttft=%s e2e=%s in=%d cached=%d out=%d", id, ms(r.Sent), ms(r.FirstToken-r.Sent), ms(r.LastToken-r.Sent),
				r.InputTokens, r.CachedTokens, r.OutputTokens)
		}
		if r.Preemptions > 0 {
			fmt.Fprintf(b, " preempted=%d", r.Preemptions)
		}
		if r.Retries > 0 {
			fmt.Fprintf(b, " retries=%d", r.Retries)
		}
		if r.ErrorClass != "" {
			fmt.Fprintf(b, " error=%s", r.ErrorClass)
		}
		if r.Instance != "" {
			fmt.Fprintf(b, " on=%s", r.Instance)
		}
		b.WriteByte('\n')
	}
}

// ddSummary prints the totals and each class's headline figures.
func ddSummary(b *strings.Builder, res *results.Result) {
	line := func(name string, c *results.ClassResult) {
		hit, _ := results.Ratio(c.CacheHitRate) // 0 when undefined (video), as the golden has it
		in, cached, out := c.Tokens()           // 0 when absent (video), likewise
		fmt.Fprintf(b, "%s: requests=%d completed=%d errors=%d in=%d cached=%d out=%d hit=%.4f", name, c.Requests, c.Completed, c.Errors,
			in, cached, out, hit)
		for _, m := range []struct {
			name string
			p    *results.Percentiles
		}{{"ttft", c.TTFT}, {"tpot", c.TPOT}, {"e2e", c.E2E}} {
			if m.p != nil && m.p.Count > 0 {
				fmt.Fprintf(b, " %s_p50=%.3fms %s_p99=%.3fms", m.name, m.p.P50, m.name, m.p.P99)
			}
		}
		b.WriteByte('\n')
	}
	names := make([]string, 0, len(res.Classes))
	for n := range res.Classes {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		line("class "+n, res.Classes[n])
	}
	line("total", res.Totals)
}

// ms renders nanoseconds as milliseconds, exactly.
func ms(ns int64) string { return strconv.FormatFloat(float64(ns)/1e6, 'f', -1, 64) + "ms" }

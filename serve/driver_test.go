package serve

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/scenarios/text"
	"github.com/fleetbench/fleetbench/sim"
)

// This file is a minimal open-loop client for serve's own tests: it sends
// a scenario's chat requests at their arrival times, renders prompts with
// the shared text convention (system blocks, then the user's), streams
// each reply and times every chunk on the monotonic clock, producing the
// same Records the endpoint runner does (DESIGN.md metric definitions).

// drive plays wl against url and returns one record per request.
func drive(t testing.TB, url, model string, wl *scenarios.Workload) []results.Record {
	t.Helper()
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4096, MaxConnsPerHost: 0, DisableCompression: true}}
	defer client.CloseIdleConnections()
	var reqs []*scenarios.Request
	for {
		r, ok := wl.Next()
		if !ok {
			break
		}
		require.Nil(t, r.Task, "the test driver plays independent requests only")
		reqs = append(reqs, r)
	}
	require.NoError(t, wl.Err())
	recs := make([]results.Record, len(reqs))
	var wg sync.WaitGroup
	start := time.Now()
	for i, r := range reqs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d := time.Until(start.Add(time.Duration(r.Arrival))); d > 0 {
				time.Sleep(d)
			}
			recs[i] = send(client, url, model, r, start)
		}()
	}
	wg.Wait()
	return recs
}

// chatBody renders r as a chat completion request body.
func chatBody(model string, r *scenarios.Request) []byte {
	var sys, user []byte
	for _, b := range r.Prompt {
		if b.Role == scenarios.RoleSystem {
			sys = text.AppendBlock(sys, b.ID, int(b.Tokens))
		} else {
			user = text.AppendBlock(user, b.ID, int(b.Tokens))
		}
	}
	var msgs []map[string]string
	if len(sys) > 0 {
		msgs = append(msgs, map[string]string{"role": "system", "content": string(sys)})
	}
	msgs = append(msgs, map[string]string{"role": "user", "content": string(user)})
	body, _ := json.Marshal(map[string]any{"model": model, "messages": msgs, "max_tokens": max(r.OutputTokens, 1),
		"ignore_eos": true, "stream": true, "stream_options": map[string]bool{"include_usage": true}})
	return body
}

// send performs one streaming request and measures it.
func send(client *http.Client, url, model string, r *scenarios.Request, start time.Time) results.Record {
	rec := results.Record{ID: r.ID, Class: r.Class, Kind: string(r.Kind), TaskID: r.TaskID,
		Intended: r.Arrival, InputTokens: r.InputTokens, TaskDone: true}
	since := func() int64 { return int64(time.Since(start)) }
	fail := func(class string, err error) results.Record {
		rec.ErrorClass, rec.Error = class, err.Error()
		return rec
	}
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, url+"/v1/chat/completions", bytes.NewReader(chatBody(model, r)))
	if err != nil {
		return fail("client", err)
	}
	req.Header.Set("Content-Type", "application/json")
	rec.Sent = since()
	resp, err := client.Do(req)
	if err != nil {
		return fail("connect", err)
	}
	defer resp.Body.Close()
	rec.Status = resp.StatusCode
	if resp.StatusCode != http.StatusOK {
		return fail("http", fmt.Errorf("status %d", resp.StatusCode))
	}
	br := bufio.NewReaderSize(resp.Body, 64<<10)
	var last int64
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return fail("stream", fmt.Errorf("stream ended without [DONE]: %w", err))
		}
		now := since()
		data, ok := bytes.CutPrefix(bytes.TrimRight(line, "\r\n"), []byte("data: "))
		if !ok {
			continue
		}
		if string(data) == "[DONE]" {
			return rec
		}
		var c struct {
			Choices []struct {
				Delta struct{ Content string } `json:"delta"`
			} `json:"choices"`
			Usage *struct {
				PromptTokens        int `json:"prompt_tokens"`
				PromptTokensDetails struct {
					CachedTokens int `json:"cached_tokens"`
				} `json:"prompt_tokens_details"`
			} `json:"usage"`
		}
		if err := json.Unmarshal(data, &c); err != nil {
			return fail("malformed", err)
		}
		if c.Usage != nil {
			rec.InputTokens = c.Usage.PromptTokens
			rec.CachedTokens = c.Usage.PromptTokensDetails.CachedTokens
		}
		n := 0
		for _, ch := range c.Choices {
			n += text.CountTokens(ch.Delta.Content)
		}
		if n == 0 {
			continue
		}
		gap, gaps := int64(0), n
		if rec.FirstToken == 0 {
			rec.FirstToken = now
			gaps = n - 1 // the first token has no gap before it
		} else {
			gap = (now - last) / int64(n) // k tokens: k gaps of gap/k (DESIGN.md)
		}
		for range gaps {
			rec.ITL = append(rec.ITL, gap)
		}
		rec.OutputTokens += n
		rec.LastToken = now
		last = now
	}
}

// summarize builds the endpoint result from records.
func summarize(sc *scenarios.Scenario, recs []results.Record) *results.Result {
	var infos []results.ClassInfo
	for _, c := range sc.Classes {
		infos = append(infos, results.ClassInfo{Name: c.Name, Kind: string(c.Kind)})
	}
	sum := results.NewSummary(infos, int64(sc.Warmup))
	for i := range recs {
		sum.Add(&recs[i])
	}
	return sum.Result(results.Meta{Backend: "endpoint", Scenario: results.ScenarioInfo{Name: sc.Name, Seed: sc.Seed, Hash: sc.Hash()}})
}

// comparison is one metric of sim and endpoint side by side.
type comparison struct {
	metric      string
	sim, served float64
	tol         float64 // relative (or absolute for rates) tolerance
	absolute    bool
}

func (c comparison) ok() bool {
	if c.absolute {
		return abs(c.sim-c.served) <= c.tol
	}
	return abs(c.sim-c.served) <= c.tol*abs(c.sim)
}

func abs(v float64) float64 {
	if v < 0 {
		return -v
	}
	return v
}

// compare lines up class cls of the two results.
func compare(t testing.TB, simRes, ep *results.Result, cls string) []comparison {
	t.Helper()
	s, e := simRes.Classes[cls], ep.Classes[cls]
	require.NotNil(t, s, "sim class %s", cls)
	require.NotNil(t, e, "endpoint class %s", cls)
	require.NotNil(t, s.TTFT)
	require.NotNil(t, e.TTFT)
	return []comparison{
		{metric: "requests", sim: float64(s.Requests), served: float64(e.Requests), tol: 0, absolute: true},
		{metric: "errors", sim: float64(s.Errors), served: float64(e.Errors), tol: 0, absolute: true},
		{metric: "ttft p50 ms", sim: s.TTFT.P50, served: e.TTFT.P50, tol: 0.05},
		{metric: "ttft p99 ms", sim: s.TTFT.P99, served: e.TTFT.P99, tol: 0.05},
		{metric: "tpot p50 ms", sim: s.TPOT.P50, served: e.TPOT.P50, tol: 0.05},
		{metric: "tpot p99 ms", sim: s.TPOT.P99, served: e.TPOT.P99, tol: 0.05},
		{metric: "itl p50 ms", sim: s.ITL.P50, served: e.ITL.P50, tol: 0.05},
		{metric: "itl p99 ms", sim: s.ITL.P99, served: e.ITL.P99, tol: 0.05},
		{metric: "cache hit rate", sim: s.CacheHitRate, served: e.CacheHitRate, tol: 0.02, absolute: true},
	}
}

// table renders comparisons for the test log.
func table(cs []comparison) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%-16s %12s %12s %8s\n", "metric", "sim", "serve", "ok")
	for _, c := range cs {
		fmt.Fprintf(&b, "%-16s %12.4g %12.4g %8v\n", c.metric, c.sim, c.served, c.ok())
	}
	return b.String()
}

// simulate runs sc through the batch simulator on cfg.
func simulate(t testing.TB, sc *scenarios.Scenario, cfg sim.Config) *results.Result {
	t.Helper()
	res, _, err := sim.Run(sc, cfg, scenarios.WorkloadOptions{})
	require.NoError(t, err)
	return res
}

// assertAgree fails unless every named comparison is within tolerance.
func assertAgree(t testing.TB, cs []comparison, metrics ...string) {
	t.Helper()
	for _, m := range metrics {
		found := false
		for _, c := range cs {
			if c.metric == m {
				found = true
				require.True(t, c.ok(), "%s: sim %.4g, serve %.4g\n%s", c.metric, c.sim, c.served, table(cs))
			}
		}
		require.True(t, found, "no comparison named %q", m)
	}
}

package sim

import (
	"bufio"
	"container/list"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/fleetbench/fleetbench/sim/perf"
)

// sliceSource feeds hand-made requests to the engine.
type sliceSource struct {
	reqs []*scenarios.Request
	i    int
}

func (s *sliceSource) Next() (*scenarios.Request, bool) {
	if s.i >= len(s.reqs) {
		return nil, false
	}
	s.i++
	return s.reqs[s.i-1], true
}
func (s *sliceSource) Err() error   { return nil }
func (s *sliceSource) Close() error { return nil }

func oneClass() *scenarios.Scenario {
	return &scenarios.Scenario{Name: "unit", Classes: []scenarios.Class{{Name: "c", Kind: scenarios.KindChat}}}
}

// req builds a chat request whose prompt is the given content blocks.
func req(id uint64, at int64, out int, blocks ...scenarios.Block) *scenarios.Request {
	n := 0
	for _, b := range blocks {
		n += int(b.Tokens)
	}
	return &scenarios.Request{ID: id, Class: "c", Kind: scenarios.KindChat, Arrival: at, Prompt: blocks,
		InputTokens: n, OutputTokens: out, TaskID: id, TaskStart: at}
}

// run simulates reqs and returns the records by request id.
func run(t *testing.T, cfg Config, reqs ...*scenarios.Request) (map[uint64]results.Record, *results.Result, Stats) {
	t.Helper()
	recs := map[uint64]results.Record{}
	cfg.Records = func(r *results.Record) error { recs[r.ID] = *r; return nil }
	res, st, err := RunSource(oneClass(), &sliceSource{reqs: reqs}, 1, cfg)
	require.NoError(t, err)
	return recs, res, st
}

func testModel(t *testing.T) *perf.Model {
	m, err := models.Lookup("llama-3.1-8b")
	require.NoError(t, err)
	g, err := hardware.Lookup("h100")
	require.NoError(t, err)
	pm, err := perf.New(m, g, perf.Config{TP: 1, MemFraction: 0.9})
	require.NoError(t, err)
	return pm
}

var unitCfg = Config{Fleet: "1C", Model: "llama-3.1-8b", GPU: "h100", TP: 1}

// One request on an idle instance: TTFT is exactly the prefill step and
// every later token exactly one decode step of the growing context.
func TestIdleInstanceExactTimings(t *testing.T) {
	const in, out = 1000, 10
	recs, _, _ := run(t, unitCfg, req(1, 0, out, scenarios.Block{ID: 7, Tokens: in}))
	r := recs[1]
	pm := testModel(t)
	prefill := pm.StepTime(perf.Step{PrefillTokens: in, PrefillAttn: attn(0, in)})
	require.Equal(t, prefill, r.FirstToken)
	var decode int64
	for j := 1; j < out; j++ {
		decode += pm.StepTime(perf.Step{DecodeSeqs: 1, DecodeCtx: int64(in + j)})
	}
	require.Equal(t, prefill+decode, r.LastToken)
	tpot, ok := r.TPOT()
	require.True(t, ok)
	require.Equal(t, decode/(out-1), tpot)
	require.Equal(t, out, r.OutputTokens)
	require.Zero(t, r.CachedTokens)
}

// mooncakeEntry is one line of the Mooncake trace.
type mooncakeEntry struct {
	Timestamp int64    `json:"timestamp"`
	Input     int      `json:"input_length"`
	Output    int      `json:"output_length"`
	HashIDs   []uint64 `json:"hash_ids"`
}

func readMooncake(t *testing.T) []mooncakeEntry {
	f, err := os.Open("kvcache/testdata/mooncake_conversation_1000.jsonl")
	require.NoError(t, err)
	defer f.Close()
	var out []mooncakeEntry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		var e mooncakeEntry
		require.NoError(t, json.Unmarshal(sc.Bytes(), &e))
		out = append(out, e)
	}
	require.NoError(t, sc.Err())
	return out
}

// referenceLRU is an independent model of one instance's prefix cache
// replaying requests one at a time: capacity in 512-token blocks, hits are
// the longest prefix of complete blocks present, new blocks come from free
// space and then from the least recently released block, and on release the
// complete blocks become evictable tail-first (head blocks outlive tails)
// while the partial last block is freed.
func referenceLRU(entries []mooncakeEntry, capacity int) float64 {
	lru := list.New() // front = evicted first
	where := map[uint64]*list.Element{}
	free := capacity
	var hit, total int
	for _, e := range entries {
		full := e.Input / 512
		blocks := (e.Input + 511) / 512
		h := 0
		for h < full && where[e.HashIDs[h]] != nil {
			h++
		}
		for _, id := range e.HashIDs[:h] { // pinned while running
			lru.Remove(where[id])
		}
		for need := blocks - h; need > 0; need-- {
			if free > 0 {
				free--
				continue
			}
			old := lru.Remove(lru.Front()).(uint64)
			delete(where, old)
		}
		for i := blocks - 1; i >= 0; i-- { // release, tail first
			if i >= full {
				free++
				continue
			}
			where[e.HashIDs[i]] = lru.PushBack(e.HashIDs[i])
		}
		hit += h * 512
		total += e.Input
	}
	return float64(hit) / float64(total)
}

// The simulator's prefix cache, on one instance fed the Mooncake slice one
// request at a time, reports exactly the reference LRU's hit rate.
func TestMooncakeHitRateMatchesReferenceLRU(t *testing.T) {
	entries := readMooncake(t)
	for _, capacity := range []int{300, 1000, 4000, 20000} {
		var reqs []*scenarios.Request
		for i, e := range entries {
			var blocks []scenarios.Block
			left := e.Input
			for _, id := range e.HashIDs {
				n := min(left, 512)
				blocks = append(blocks, scenarios.Block{ID: id ^ 0x9e3779b97f4a7c15, Tokens: int32(n)})
				left -= n
			}
			reqs = append(reqs, req(uint64(i+1), e.Timestamp*1e6, 1, blocks...))
		}
		cfg := unitCfg
		cfg.BlockTokens = 512
		cfg.MaxSeqs = 1 // strictly one request at a time, in trace order
		cfg.KVTokens = int64(capacity) * 512
		recs, res, _ := run(t, cfg, reqs...)
		var cached, input int
		for _, r := range recs {
			cached += r.CachedTokens
			input += r.InputTokens
		}
		got := float64(cached) / float64(input)
		want := referenceLRU(entries, capacity)
		t.Logf("capacity %5d blocks: sim hit rate %.9f, reference %.9f", capacity, got, want)
		require.Equal(t, want, got) // an algorithm, not a model: exactly equal
		require.InDelta(t, want, *res.Totals.CacheHitRate, 1e-6)
		require.EqualValues(t, len(entries), res.Totals.Completed)
	}
}

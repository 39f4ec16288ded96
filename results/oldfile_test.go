package results

import (
	"bytes"
	"encoding/json"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// testdata/old-mixed-platform.json was written by fleetbench at cb700f2
// (before fc65321), `fleetbench sim mixed-platform --requests 500`, its
// timeline section removed to keep it small. Its totals' J per output
// token divides the video pool's energy by the LLM classes' tokens
// (10.5143); the same run written now says 10.3752.
const oldMixed = "testdata/old-mixed-platform.json"

func TestDecodeRecomputesOldTotalsJPerToken(t *testing.T) {
	res, err := ReadFile(oldMixed)
	require.NoError(t, err)
	require.Equal(t, 10.3752, res.Totals.Cost.JPerOutTok, "the totals leave out the video pool's energy")
	require.Equal(t, 6.40655, res.Classes["chat"].Cost.JPerOutTok, "class figures were right")
	require.Equal(t, 15.3949, res.Classes["coding"].Cost.JPerOutTok)

	// A file written now reads back unchanged.
	var buf bytes.Buffer
	require.NoError(t, WriteJSON(&buf, res))
	again, err := Decode(bytes.NewReader(buf.Bytes()), "new.json")
	require.NoError(t, err)
	require.Equal(t, 10.3752, again.Totals.Cost.JPerOutTok)
}

// oldFile reads testdata name as raw JSON text (for tests that check what
// an older file carried before decoding).
func oldFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	require.NoError(t, err)
	return string(b)
}

func TestOldFixtureIsOld(t *testing.T) {
	s := oldFile(t, oldMixed)
	require.Contains(t, s, `"j_per_output_token": 10.5143`)
}

// A video class generates no tokens: its result wrote input, cached and
// output token counts of 0 and output_tokens_per_s 0 (tables showed -).
// They are absent in the video class and in video-only totals; an LLM
// class that generated nothing still says 0, a measured count.
func TestVideoHasNoTokenFigures(t *testing.T) {
	keys := []string{"input_tokens", "cached_tokens", "output_tokens", "output_tokens_per_s"}
	s := synthSummary(synthRecords(300, 2))
	idle := NewSummary([]ClassInfo{{Name: "v", Kind: "video"}, {Name: "c", Kind: "chat"}}, 0)
	idle.Add(&Record{Class: "v", Kind: "video", Sent: 1, FirstToken: 2e9, LastToken: 9e9, VideoSeconds: 5, TaskDone: true})
	idle.Add(&Record{Class: "c", Kind: "chat", Sent: 1, ErrorClass: "http_5xx", Error: "down", Status: 503})
	onlyVideo := NewSummary([]ClassInfo{{Name: "v", Kind: "video"}}, 0)
	onlyVideo.Add(&Record{Class: "v", Kind: "video", Sent: 1, FirstToken: 2e9, LastToken: 9e9, VideoSeconds: 5, TaskDone: true})
	for _, tc := range []struct {
		res     *Result
		without []string // classes without token figures ("totals" too)
		with    []string
	}{
		{s.Result(testMeta), []string{"video"}, []string{"chat", "agent", "totals"}},
		{idle.Result(testMeta), []string{"v"}, []string{"c", "totals"}},
		{onlyVideo.Result(testMeta), []string{"v", "totals"}, nil},
	} {
		var buf bytes.Buffer
		require.NoError(t, WriteJSON(&buf, tc.res))
		var raw struct {
			Classes  map[string]map[string]any `json:"classes"`
			Totals   map[string]any            `json:"totals"`
			Timeline map[string]any            `json:"timeline"`
		}
		require.NoError(t, json.Unmarshal(buf.Bytes(), &raw))
		raw.Classes["totals"] = raw.Totals
		for _, n := range tc.without {
			for _, k := range keys {
				require.NotContains(t, raw.Classes[n], k, "%s", n)
			}
		}
		for _, n := range tc.with {
			for _, k := range keys {
				require.Contains(t, raw.Classes[n], k, "%s", n)
			}
		}
		if len(tc.with) == 0 {
			require.NotContains(t, raw.Timeline, "output_tokens", "a video-only run has no token timeline")
		} else {
			require.Contains(t, raw.Timeline, "output_tokens")
		}
		back, err := Decode(&buf, "r.json")
		require.NoError(t, err)
		for _, n := range tc.without {
			c := back.Totals
			if n != "totals" {
				c = back.Classes[n]
			}
			require.Nil(t, c.OutputTokensPerS, n)
			require.Nil(t, c.OutputTokens, n)
		}
	}
	require.EqualValues(t, 0, *idle.Result(testMeta).Classes["c"].OutputTokens)
}

// Older files carry the video class's zeros: reading drops them.
func TestDecodeDropsOldVideoTokenZeros(t *testing.T) {
	var raw struct {
		Classes map[string]map[string]any `json:"classes"`
	}
	require.NoError(t, json.Unmarshal([]byte(oldFile(t, oldMixed)), &raw))
	require.Equal(t, 0.0, raw.Classes["t2v"]["output_tokens_per_s"], "the fixture is of the old format")
	res, err := ReadFile(oldMixed)
	require.NoError(t, err)
	v := res.Classes["t2v"]
	require.Nil(t, v.InputTokens)
	require.Nil(t, v.CachedTokens)
	require.Nil(t, v.OutputTokens)
	require.Nil(t, v.OutputTokensPerS)
	require.NotNil(t, res.Totals.OutputTokensPerS)
	require.EqualValues(t, 187260, *res.Totals.OutputTokens)
}

// Files written before the fleet section named only the knobs that
// applied said routing cache-aware (and block tokens, batch limits) for
// video-only fleets and decode_routing for colocated ones: reading drops
// them, as the simulator writes them now.
func TestDecodeDropsFleetKnobsThatDidNotApply(t *testing.T) {
	read := func(pools ...PoolInfo) *FleetInfo {
		r := synthSummary(synthRecords(60, 1)).Result(testMeta)
		r.Fleet = &FleetInfo{Spec: "x", Pools: pools, Routing: "cache-aware", DecodeRouting: "least-loaded",
			BlockTokens: 16, MaxBatchTokens: 8192, MaxSeqs: 256}
		var buf bytes.Buffer
		require.NoError(t, WriteJSON(&buf, r))
		back, err := Decode(&buf, "old.json")
		require.NoError(t, err)
		return back.Fleet
	}
	v := read(PoolInfo{Role: "video", Instances: 2, GPU: "h100", GPUsPerInstance: 8, GPUs: 16})
	require.Equal(t, FleetInfo{Spec: "x", Pools: v.Pools}, *v)
	c := read(PoolInfo{Role: "colocated", Instances: 2, GPU: "h100", GPUsPerInstance: 1, GPUs: 2})
	require.Equal(t, "cache-aware", c.Routing)
	require.Empty(t, c.DecodeRouting)
	require.Equal(t, 256, c.MaxSeqs)
	pd := read(PoolInfo{Role: "prefill", Instances: 1, GPU: "h100", GPUsPerInstance: 1, GPUs: 1},
		PoolInfo{Role: "decode", Instances: 1, GPU: "h100", GPUsPerInstance: 1, GPUs: 1})
	require.Equal(t, "least-loaded", pd.DecodeRouting)
}

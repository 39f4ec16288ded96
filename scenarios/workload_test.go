package scenarios

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func mustParse(t testing.TB, src string) *Scenario {
	t.Helper()
	s, err := Parse("test.yaml", []byte(src), "")
	require.NoError(t, err)
	return s
}

func mustWorkload(t testing.TB, s *Scenario, o WorkloadOptions) *Workload {
	t.Helper()
	w, err := s.NewWorkload(o)
	require.NoError(t, err)
	t.Cleanup(func() { w.Close() })
	return w
}

func sample(t testing.TB, s *Scenario, seed *uint64, n int) []byte {
	var b bytes.Buffer
	w := mustWorkload(t, s, WorkloadOptions{Seed: seed})
	require.NoError(t, WriteSample(&b, w, n, FormatJSONL))
	return b.Bytes()
}

func TestDeterminismBuiltins(t *testing.T) {
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			s, err := Builtin(name)
			require.NoError(t, err)
			a := sample(t, s, nil, 3000)
			b := sample(t, s, nil, 3000)
			require.NotEmpty(t, a)
			require.Equal(t, a, b, "same seed must give byte-identical requests")
			other := uint64(99)
			c := sample(t, s, &other, 3000)
			if s.Classes[0].Kind == KindTrace {
				return // a pure trace replay at rate_scale 1 draws nothing
			}
			require.NotEqual(t, a, c, "another seed must give other requests")
		})
	}
}

const chatPool = `name: t
requests: 40000
classes:
  - kind: chat
    arrival: {process: poisson, rate: 100}
    system_prompts: {count: 8, tokens: {dist: uniform, min: 100, max: 200}, zipf: 1}
    input: {dist: uniform, min: 10, max: 50}
    output: 5
`

func TestChatPoolZipfAndSharing(t *testing.T) {
	s := mustParse(t, chatPool)
	w := mustWorkload(t, s, WorkloadOptions{})
	poolLen := map[uint64]int32{}
	picks := map[uint64]int{}
	users := map[uint64]bool{}
	n := 0
	for r, ok := w.Next(); ok; r, ok = w.Next() {
		n++
		require.Len(t, r.Prompt, 2)
		sys, user := r.Prompt[0], r.Prompt[1]
		require.Equal(t, RoleSystem, sys.Role)
		require.Equal(t, int(sys.Tokens+user.Tokens), r.InputTokens)
		if l, ok := poolLen[sys.ID]; ok {
			require.Equal(t, l, sys.Tokens, "a pool entry has one length")
		} else {
			poolLen[sys.ID] = sys.Tokens
		}
		picks[sys.ID]++
		require.False(t, users[user.ID], "user blocks are fresh")
		users[user.ID] = true
		require.Nil(t, r.Task)
		require.Equal(t, r.ID, r.TaskID)
	}
	require.Equal(t, 40000, n)
	require.Len(t, poolLen, 8)
	for id := range poolLen {
		require.False(t, users[id], "pool and user ids never collide")
	}
	// Zipf(1): entry i has weight 1/(i+1); entry 0 vs 1 is 2:1, 0 vs 3 is 4:1.
	ids := make([]uint64, 8)
	for i := range 8 {
		ids[i] = blockID(0, purposePool, uint64(i))
	}
	h := 0.0
	for i := 1; i <= 8; i++ {
		h += 1 / float64(i)
	}
	for i, id := range ids {
		want := 40000 / h / float64(i+1)
		require.InDelta(t, want, float64(picks[id]), 4*math.Sqrt(want)+0.02*want, "entry %d", i)
	}
}

func TestStatsPrefixReuseChat(t *testing.T) {
	// All system prompts are seen early; afterwards each request hits its
	// system prompt exactly, so reuse ~ sys/(sys+user) = 150/(150+30).
	s := mustParse(t, chatPool)
	w := mustWorkload(t, s, WorkloadOptions{})
	st, err := ComputeStats(s, w, 0)
	require.NoError(t, err)
	require.InDelta(t, 150.0/180.0, st.PrefixReuse, 0.01)
	require.InDelta(t, 100, st.Classes[0].RatePerS, 2)
	require.InDelta(t, 180, st.Classes[0].Input.Mean, 15, "input = system prompt (~150) + user (~30)")
}

func TestRequestsAndDurationBounds(t *testing.T) {
	s := mustParse(t, chatPool)
	w := mustWorkload(t, s, WorkloadOptions{Requests: 10})
	n := 0
	require.NoError(t, Drive(w, 0, func(*Request) { n++ }))
	require.Equal(t, 10, n)

	w = mustWorkload(t, s, WorkloadOptions{Duration: 2e9, Requests: 1 << 29})
	var last int64
	n = 0
	require.NoError(t, Drive(w, 0, func(r *Request) { n++; last = r.Arrival }))
	require.Less(t, last, int64(2e9))
	require.InDelta(t, 200, n, 50)

	w = mustWorkload(t, s, WorkloadOptions{Duration: 2e9, RateScale: 3, Requests: 1 << 29})
	n = 0
	require.NoError(t, Drive(w, 0, func(*Request) { n++ }))
	require.InDelta(t, 600, n, 100)
}

const videoMix = `name: v
requests: 20000
classes:
  - kind: video
    arrival: {process: poisson, rate: 10}
    video:
      mix:
        - {weight: 3, resolution: 720p}
        - {weight: 1, resolution: 480p, seconds: 2, fps: 24, steps: 30, model: hunyuanvideo-13b}
`

func TestVideoMix(t *testing.T) {
	s := mustParse(t, videoMix)
	w := mustWorkload(t, s, WorkloadOptions{})
	count := map[int]int{}
	for r, ok := w.Next(); ok; r, ok = w.Next() {
		require.NotNil(t, r.Video)
		require.Equal(t, KindVideo, r.Kind)
		count[r.Video.Height]++
		if r.Video.Height == 480 {
			require.Equal(t, VideoSpec{Model: "hunyuanvideo-13b", Width: 832, Height: 480, Seconds: 2, FPS: 24, Steps: 30}, *r.Video)
		} else {
			require.Equal(t, VideoSpec{Model: "wan2.1-14b", Width: 1280, Height: 720, Seconds: 5, FPS: 16, Steps: 50}, *r.Video)
		}
	}
	require.InDelta(t, 15000, count[720], 300)
	require.InDelta(t, 5000, count[480], 300)
}

func TestTraceReplayMooncake(t *testing.T) {
	s, err := Builtin("mooncake-conversation")
	require.NoError(t, err)
	w := mustWorkload(t, s, WorkloadOptions{})
	var reqs []*Request
	require.NoError(t, Drive(w, 0, func(r *Request) { reqs = append(reqs, r) }))
	require.Len(t, reqs, 1000)
	// Line 1: input 6758, output 500, hash ids 0..13.
	r0, r1 := reqs[0], reqs[1]
	require.Equal(t, KindTrace, r0.Kind)
	require.Len(t, r0.Prompt, 14)
	require.Equal(t, 6758, r0.InputTokens)
	require.Equal(t, 500, r0.OutputTokens)
	require.EqualValues(t, 512, r0.Prompt[0].Tokens)
	require.EqualValues(t, 6758-13*512, r0.Prompt[13].Tokens)
	for i, b := range r0.Prompt {
		require.Equal(t, blockID(0, purposeTrace, uint64(i)), b.ID)
	}
	// Line 2 shares hash id 0 only.
	require.Equal(t, r0.Prompt[0].ID, r1.Prompt[0].ID)
	require.NotEqual(t, r0.Prompt[1].ID, r1.Prompt[1].ID)
	for i := 1; i < len(reqs); i++ {
		require.GreaterOrEqual(t, reqs[i].Arrival, reqs[i-1].Arrival)
	}

	// time_scale 2 replays twice as fast; rate_scale thins and clones.
	fast := *s
	fast.Classes = append([]Class(nil), s.Classes...)
	tr := *s.Classes[0].Trace
	tr.TimeScale = 2
	fast.Classes[0].Trace = &tr
	w = mustWorkload(t, &fast, WorkloadOptions{})
	var last int64
	require.NoError(t, Drive(w, 0, func(r *Request) { last = r.Arrival }))
	require.InDelta(t, float64(reqs[999].Arrival)/2, float64(last), 1)

	for _, rs := range []float64{0.5, 2.5} {
		tr := *s.Classes[0].Trace
		tr.RateScale = rs
		sc := *s
		sc.Classes = []Class{s.Classes[0]}
		sc.Classes[0].Trace = &tr
		w = mustWorkload(t, &sc, WorkloadOptions{})
		ids := map[uint64]bool{}
		n := 0
		require.NoError(t, Drive(w, 0, func(r *Request) {
			n++
			ids[r.Prompt[0].ID] = true
		}))
		require.InDelta(t, 1000*rs, n, 4*math.Sqrt(1000*rs), "rate_scale %v", rs)
		if rs > 1 {
			require.Greater(t, len(ids), 1, "clones have their own block ids")
		}
	}
}

func TestAzureTraceFromFile(t *testing.T) {
	src := `name: az
classes:
  - kind: trace
    trace: {file: builtin:traces/azure-conv-1000.csv}
`
	s := mustParse(t, src)
	require.Equal(t, "azure", s.Classes[0].Trace.Format, "format from the extension")
	w := mustWorkload(t, s, WorkloadOptions{})
	var reqs []*Request
	require.NoError(t, Drive(w, 0, func(r *Request) { reqs = append(reqs, r) }))
	require.Len(t, reqs, 1000)
	require.Equal(t, 374, reqs[0].InputTokens)
	require.Equal(t, 44, reqs[0].OutputTokens)
	require.Len(t, reqs[0].Prompt, 1)
	require.NotEqual(t, reqs[0].Prompt[0].ID, reqs[1].Prompt[0].ID)
	require.InDelta(t, 4.314578e9, float64(reqs[1].Arrival), 1e3)
}

func TestTraceMissingFile(t *testing.T) {
	_, err := Parse("t.yaml", []byte("name: x\nclasses:\n  - kind: trace\n    trace: {file: nope.jsonl}\n"), t.TempDir())
	require.ErrorContains(t, err, "t.yaml:4:13: classes[0].trace.file: cannot read trace file")
	_, err = Parse("t.yaml", []byte("name: x\nclasses:\n  - kind: trace\n    trace: {file: builtin:traces/nope.jsonl}\n"), "")
	require.ErrorContains(t, err, "no embedded trace")
}

// `scenario stats mixed-platform` printed a video class's input and output
// lengths as 0 0 0 0 and its prefix reuse as 0.0%: a clip has no tokens
// and no prompt. Those cells are "-".
func TestStatsTableVideoHasNoTokens(t *testing.T) {
	s, err := Resolve("mixed-platform")
	require.NoError(t, err)
	w := mustWorkload(t, s, WorkloadOptions{}) // 4,341 requests, 18 clips
	st, err := ComputeStats(s, w, 0)
	require.NoError(t, err)
	var b strings.Builder
	require.NoError(t, st.WriteTable(&b))
	var video string
	for _, l := range strings.Split(b.String(), "\n") {
		if strings.HasPrefix(l, "t2v ") {
			video = l
		}
	}
	require.Regexp(t, `^t2v +video +\d+ +\d+ +[0-9.]+( +-){11}$`, video)
}

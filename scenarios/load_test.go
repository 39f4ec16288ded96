package scenarios

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestBuiltinsValidate(t *testing.T) {
	names := BuiltinNames()
	require.NotEmpty(t, names)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s, err := Builtin(name)
			require.NoError(t, err)
			require.Equal(t, "builtin:"+name, s.Source)
			require.NotEmpty(t, s.Description, "list shows the description")
			require.NotNil(t, s.Fleet, "every built-in has a default fleet so `fleetbench sim NAME` runs")
			// Normalized output parses back to the same scenario.
			b, err := s.Normalized()
			require.NoError(t, err)
			s2, err := Parse("normalized.yaml", b, "")
			require.NoError(t, err, string(b))
			require.Equal(t, s.Hash(), s2.Hash())
			b2, err := s2.Normalized()
			require.NoError(t, err)
			require.Equal(t, string(b), string(b2))
		})
	}
}

func TestBuiltinUnknown(t *testing.T) {
	_, err := Builtin("no-such")
	require.ErrorContains(t, err, "built-ins: ")
	_, err = Builtin("../load")
	require.Error(t, err)
	_, err = Resolve("no-such")
	require.ErrorContains(t, err, "neither a built-in")
}

const minimal = `name: t
duration: 60
classes:
  - kind: chat
    arrival: {process: poisson, rate: 2}
    input: 100
    output: 20
`

func TestParseDefaults(t *testing.T) {
	s, err := Parse("t.yaml", []byte(minimal), "")
	require.NoError(t, err)
	require.Equal(t, uint64(1), s.Seed, "seed defaults to 1")
	require.Equal(t, "chat", s.Classes[0].Name, "class name defaults to its kind")
	require.Equal(t, "fixed", s.Classes[0].Input.Dist, "a bare number is a fixed distribution")
	require.EqualValues(t, 100, s.Classes[0].Input.Value)
	require.EqualValues(t, 60e9, s.Duration, "a bare number of seconds")
}

func TestParseDurations(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want string
	}{{"10m", "10m0s"}, {"90s", "1m30s"}, {"1.5", "1.5s"}, {"1h30m", "1h30m0s"}} {
		s, err := Parse("t.yaml", []byte(strings.Replace(minimal, "duration: 60", "duration: "+tc.in, 1)), "")
		require.NoError(t, err, tc.in)
		require.Equal(t, tc.want, s.Duration.String())
	}
}

// TestParseErrors: each bad input gives file:line:col naming the key, with a hint.
func TestParseErrors(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		want           []string
	}{
		{"misspelled top key", "duration: 60", "duraton: 60", []string{`t.yaml:2:1: unknown key "duraton"`, `did you mean "duration"?`}},
		{"misspelled class key", "    arrival:", "    arival:", []string{`t.yaml:5:5: unknown key "arival"`, `did you mean "arrival"?`}},
		{"negative rate", "rate: 2", "rate: -2", []string{"t.yaml:5:33: classes[0].arrival.rate", "negative"}},
		{"wrong type", "input: 100", "input: lots", []string{"t.yaml:6:12: input: expected a number or a mapping", `"lots"`}},
		{"wrong scalar type", "rate: 2", "rate: fast", []string{"t.yaml:5:39: rate: expected a number", `"fast"`}},
		{"min above max", "input: 100", "input: {dist: uniform, min: 500, max: 100}", []string{"t.yaml:6:"}},
		{"unknown kind", "kind: chat", "kind: chatt", []string{`t.yaml:4:5: classes[0].kind: unknown kind "chatt"`, `did you mean "chat"?`}},
		{"missing arrival", "    arrival: {process: poisson, rate: 2}\n", "", []string{`missing required key "arrival"`}},
		// An explicit 0 bound was read as unset: dropped beside another
		// percentile, or "set at least one of ..." alone.
		{"zero bound", "    output: 20\n", "    output: 20\n    slo: {ttft_ms: {p50: 300, p99: 0}}\n", []string{"t.yaml:8:31: classes[0].slo.ttft_ms.p99: a latency target must be > 0, got 0 (leave the key out for no bound)"}},
		{"zero bound alone", "    output: 20\n", "    output: 20\n    slo: {e2e_ms: {p99: 0}}\n", []string{"t.yaml:8:20: classes[0].slo.e2e_ms.p99: a latency target must be > 0, got 0"}},
		{"p99 below p50", "    output: 20\n", "    output: 20\n    slo: {ttft_ms: {p50: 300, p99: 200}}\n", []string{"t.yaml:8:31: classes[0].slo.ttft_ms.p99: 200 is below p50 300"}},
		{"autoscale target", "duration: 60", "duration: 60\nfleet:\n  autoscale:\n    - {pool: decode, target: 1.5, min: 1, max: 4}",
			[]string{"t.yaml:5:22: fleet.autoscale[0].target: 1.5 out of range (utilization, kv: (0,1]; concurrency: > 0)"}},
		{"failure policy", "duration: 60", "duration: 60\nfleet:\n  failures: {policy: crash}",
			[]string{`t.yaml:4:14: fleet.failures.policy: unknown policy "crash" (use retry or fail)`}},
		{"bad duration", "duration: 60", "duration: soon", []string{`t.yaml:2:11: duration: "soon" is not a duration`}},
		{"no end", "duration: 60", "seed: 3", []string{"set duration"}},
		{"wrong section for kind", "    output: 20\n", "    output: 20\n    video: {fps: 16}\n", []string{`t.yaml:8:5: classes[0].video: chat classes do not use "video"`}},
		{"token SLO on video", "  - kind: chat\n    arrival: {process: poisson, rate: 2}\n    input: 100\n    output: 20\n",
			"  - kind: video\n    arrival: {process: poisson, rate: 2}\n    slo: {ttft_ms: {p99: 100}, queue_s: {p99: 60}}\n",
			[]string{"t.yaml:6:11: classes[0].slo.ttft_ms: video classes generate no tokens, so ttft_ms is not measured: bound queue_s"}},
		{"duplicate key", "duration: 60", "duration: 60\nduration: 70", []string{"t.yaml:3:1:", `"duration" already defined`}},
		{"syntax", "duration: 60", "duration: [60", []string{"t.yaml:", "syntax error"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(minimal, tc.old, tc.new, 1)
			require.NotEqual(t, minimal, src, "test edit did not apply")
			_, err := Parse("t.yaml", []byte(src), "")
			require.Error(t, err)
			var el ErrorList
			require.True(t, errors.As(err, &el), "errors are an ErrorList")
			for _, w := range tc.want {
				require.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestParseReportsAllErrors(t *testing.T) {
	src := `name: t
duraton: 60
requests: 10
classes:
  - kind: chat
    arrival: {process: poisson, rate: -1}
    input: 100
    output: {dist: uniform, min: 50, max: 10}
  - kind: agent
    arrival: {process: poisson, rate: 1}
    input: 100
    output: 10
    agent: {turns: 0, append: 100}
`
	_, err := Parse("t.yaml", []byte(src), "")
	var el ErrorList
	require.True(t, errors.As(err, &el))
	require.Len(t, el, 4, err.Error())
	require.Equal(t, 2, el[0].Line)
	require.Equal(t, 6, el[1].Line)
	require.Equal(t, 8, el[2].Line)
	require.Equal(t, 13, el[3].Line)
	require.Contains(t, el[3].Msg, "turns: must be at least 1")
}

func TestLoadRelativeAndErrors(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(p, []byte(minimal), 0o644))
	s, err := Load(p)
	require.NoError(t, err)
	require.Equal(t, p, s.Source)
	s2, err := Resolve(p)
	require.NoError(t, err)
	require.Equal(t, s.Hash(), s2.Hash())

	_, err = Load(filepath.Join(dir, "missing.yaml"))
	require.ErrorContains(t, err, "cannot read scenario")
	_, err = Load(dir)
	require.ErrorContains(t, err, "is a directory")

	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte(strings.Replace(minimal, "rate: 2", "rate: -2", 1)), 0o644))
	_, err = Load(bad)
	require.ErrorContains(t, err, bad+":5:33:")
}

func TestAliasesAndBombs(t *testing.T) {
	src := `name: t
duration: 60
classes:
  - kind: chat
    arrival: {process: poisson, rate: 2}
    input: &len {dist: uniform, min: 10, max: 20}
    output: *len
`
	s, err := Parse("t.yaml", []byte(src), "")
	require.NoError(t, err)
	require.Equal(t, *s.Classes[0].Input, *s.Classes[0].Output)

	var b strings.Builder
	b.WriteString("a0: &a0 [1,1,1,1,1,1,1,1,1,1]\n")
	for i := 1; i < 9; i++ {
		b.WriteString("a" + string(rune('0'+i)) + ": &a" + string(rune('0'+i)) + " [")
		for j := 0; j < 10; j++ {
			if j > 0 {
				b.WriteString(",")
			}
			b.WriteString("*a" + string(rune('0'+i-1)))
		}
		b.WriteString("]\n")
	}
	_, err = Parse("bomb.yaml", []byte(b.String()), "")
	require.Error(t, err)
}

func TestHashStable(t *testing.T) {
	a, err := Parse("a.yaml", []byte(minimal), "")
	require.NoError(t, err)
	// The same scenario spelled differently (defaults written out).
	b, err := Parse("b.yaml", []byte(strings.Replace(minimal, "input: 100", "input: {dist: fixed, value: 100}", 1)+"seed: 1\n"), "")
	require.NoError(t, err)
	require.Equal(t, a.Hash(), b.Hash())
	c, err := Parse("c.yaml", []byte(minimal+"seed: 2\n"), "")
	require.NoError(t, err)
	require.NotEqual(t, a.Hash(), c.Hash())
}

func FuzzParse(f *testing.F) {
	for _, name := range BuiltinNames() {
		data, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
		require.NoError(f, err)
		f.Add(data)
	}
	f.Add([]byte(minimal))
	f.Add([]byte("a: *b"))
	f.Add([]byte("- [1, {a: b}]\n"))
	f.Add([]byte(strings.NewReplacer("duration: 60", "duration: 6e1\nseed: 1e3", "input: 100", "input: .nan", "rate: 2", "rate: \"2\"").Replace(minimal)))
	dir := f.TempDir() // relative file references resolve into an empty directory
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse("fuzz.yaml", data, dir)
		if err != nil {
			var el ErrorList
			require.True(t, errors.As(err, &el), "error type %T: %v", err, err)
			return
		}
		// A valid scenario normalizes and re-parses to the same hash.
		b, err := s.Normalized()
		require.NoError(t, err)
		s2, err := Parse("n.yaml", b, dir)
		require.NoError(t, err, string(b))
		require.Equal(t, s.Hash(), s2.Hash())
	})
}

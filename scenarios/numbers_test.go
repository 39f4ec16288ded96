package scenarios

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// docs/scenarios.md says numbers may be written 1e9 and that a bare
// number is a fixed distribution, but `input: 1e3` was refused ("expected
// a mapping (key: value pairs), got the string \"1e3\""), and so were
// `duration: 6e1` ("not a duration") and `seed: 1e3`: the YAML parser
// leaves an exponent without a dot as a string, which only plain numeric
// keys read as a number.
func TestExponentNumbersEverywhere(t *testing.T) {
	src := strings.NewReplacer("duration: 60", "duration: 6e1\nseed: 1e3", "input: 100", "input: 1e2", "output: 20", "output: 2E1").Replace(minimal)
	s, err := Parse("t.yaml", []byte(src), "")
	require.NoError(t, err)
	require.EqualValues(t, 60e9, s.Duration)
	require.EqualValues(t, 1000, s.Seed)
	require.Equal(t, "fixed", s.Classes[0].Input.Dist)
	require.EqualValues(t, 100, s.Classes[0].Input.Value)
	require.EqualValues(t, 20, s.Classes[0].Output.Value)
}

// .nan and .inf read "expected a mapping (key: value pairs), got a Nan"
// for a length, and "expected a number, got a Infinity" for a rate. A
// duration or requests refused for its value also drew "set duration
// (e.g. duration: 10m) or requests ...: without one the workload never
// ends" at 1:1, though the file sets it.
func TestNonFiniteAndBadEndSayWhatIsWrong(t *testing.T) {
	for _, tc := range []struct {
		name, old, new string
		want           string
	}{
		{"nan length", "input: 100", "input: .nan", "t.yaml:6:12: input: expected a finite number, got .nan"},
		{"inf length", "input: 100", "input: -.inf", "t.yaml:6:12: input: expected a finite number, got -.inf"},
		{"inf rate", "rate: 2", "rate: .Inf", "t.yaml:5:39: rate: expected a finite number, got .Inf"},
		{"nan duration", "duration: 60", "duration: .nan", "t.yaml:2:11: duration: expected a finite number, got .nan"},
		{"negative duration", "duration: 60", "duration: -5s", "t.yaml:2:11: duration: must not be negative, got -5s"},
		{"fractional requests", "duration: 60", "requests: 2.5", "t.yaml:2:11: requests: expected a whole number, got 2.5"},
		{"quoted length", "input: 100", `input: "100"`, `quoted numbers are strings`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := strings.Replace(minimal, tc.old, tc.new, 1)
			require.NotEqual(t, minimal, src)
			_, err := Parse("t.yaml", []byte(src), "")
			require.Error(t, err)
			require.Contains(t, err.Error(), tc.want)
			require.NotContains(t, err.Error(), "without one the workload never ends")
			require.NotContains(t, err.Error(), "got a ")
		})
	}
}

// A resolution over the limit read "\"99999x2\" is not WIDTHxHEIGHT", which
// it is.
func TestResolutionOverTheLimitSaysSo(t *testing.T) {
	src := strings.Replace(minimal, "  - kind: chat\n    arrival: {process: poisson, rate: 2}\n    input: 100\n    output: 20\n",
		"  - kind: video\n    arrival: {process: poisson, rate: 2}\n    video: {resolution: 99999x2}\n", 1)
	_, err := Parse("t.yaml", []byte(src), "")
	require.Error(t, err)
	require.Contains(t, err.Error(), `classes[0].video.resolution: resolution "99999x2": each side must be 1 to 16384 pixels`)
}

// slo: {ttft_ms: {p50: -1}} also read "set at least one of p50, ..." at
// ttft_ms, though p50 was set (and refused at its key).
func TestRefusedSLOTargetIsNotAlsoMissing(t *testing.T) {
	src := strings.Replace(minimal, "    output: 20\n", "    output: 20\n    slo: {ttft_ms: {p50: -1}}\n", 1)
	_, err := Parse("t.yaml", []byte(src), "")
	require.Error(t, err)
	require.Contains(t, err.Error(), "classes[0].slo.ttft_ms.p50: a latency target must be > 0, got -1")
	require.NotContains(t, err.Error(), "set at least one")
}

// scenario stats of arrivals all at one instant (a trace's first lines,
// timestamp 0) printed "tasks/s 0.000" beside 3 tasks: a rate over no
// time is absent.
func TestStatsRateOverNoTimeIsAbsent(t *testing.T) {
	st := &Stats{Requests: 3, Classes: []ClassStats{{Name: "trace", Kind: KindTrace, Requests: 3, Tasks: 3}}}
	var b strings.Builder
	require.NoError(t, st.WriteTable(&b))
	require.Regexp(t, `(?m)^trace\s+trace\s+3\s+3\s+-\s`, b.String())
	require.NotContains(t, b.String(), "0.000")
}

// A scenario or price file saved with a UTF-8 byte order mark (Windows
// editors) read "unknown key \"\ufeffname\"" and "missing required key
// \"name\"".
func TestByteOrderMarkAccepted(t *testing.T) {
	bom := "\xef\xbb\xbf"
	s, err := Parse("t.yaml", []byte(bom+strings.ReplaceAll(minimal, "\n", "\r\n")), "")
	require.NoError(t, err)
	require.Equal(t, "t", s.Name)
	_, err = Parse("t.yaml", []byte(bom+"nme: t\n"), "")
	require.ErrorContains(t, err, "t.yaml:1:1: unknown key \"nme\"")
	pf, err := ParsePriceFile("p.yaml", []byte(bom+"default: {output_per_mtok: 1}\n"))
	require.NoError(t, err)
	require.Contains(t, pf, "*")
}

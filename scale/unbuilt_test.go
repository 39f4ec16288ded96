package scale

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweepfile"
)

// `scale moe-platform --traffic 1` answered "(colocated, pd)" with a PD
// fleet and no word that none of its 13 colocated probes (1C to 4096C)
// could be built ("configuration: colocated pool: perf: deepseek-v3 (671
// GB of fp8 weights) does not fit on 1×h100"): the colocated shape was
// never compared, though the header said it was searched. The curve now
// says so, once per kind, with an example.
func TestScaleSaysAKindNoProbeOfWhichCouldRun(t *testing.T) {
	s := fakeSearcher(t, "chat", func(fleet string, level float64) probeOut {
		if strings.HasSuffix(fleet, "C") {
			return probeOut{pt: sweepfile.Point{Fleet: fleet, GPUs: 4 * atoiPrefix(fleet), Error: "configuration: colocated pool: perf: the model does not fit"}}
		}
		return probeOut{pass: true, pt: sweepfile.Point{Fleet: fleet, GPUs: 8, MeetsSLO: true, Metrics: map[string]float64{"requests_per_s": 5}}}
	})
	c, err := s.Run(Spec{Levels: []float64{1, 2}, Kinds: []string{KindColocated, KindPD}, MaxInstances: 16})
	require.NoError(t, err)
	require.Equal(t, "1P1D", c.Levels[0].Fleet)
	notes := strings.Join(c.Notes, "\n")
	require.Contains(t, notes, "the colocated shape was not compared: none of its probes could run")
	require.Contains(t, notes, "at 1x, 2x")
	require.Contains(t, notes, "e.g. 1C: configuration: colocated pool: perf: the model does not fit")
	require.Equal(t, 1, strings.Count(notes, "was not compared"))
}

// atoiPrefix is the leading number of a fleet ("16C": 16).
func atoiPrefix(s string) int {
	n := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			break
		}
		n = n*10 + int(r-'0')
	}
	return n
}

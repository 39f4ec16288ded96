package results

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// twoClassResult: classes a and b, b's every request failing when bFails.
func twoClassResult(bFails bool) *Result {
	s := NewSummary([]ClassInfo{{Name: "a", Kind: "chat"}, {Name: "b", Kind: "chat"}}, 0)
	for i := range 20 {
		at := int64(i) * 1e8
		s.Add(&Record{Class: "a", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 1e7, LastToken: at + 2e7, OutputTokens: 2, TaskDone: true})
		rb := &Record{Class: "b", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 9e7, LastToken: at + 10e7, OutputTokens: 2, TaskDone: true}
		if bFails {
			rb.FirstToken, rb.LastToken, rb.OutputTokens, rb.ErrorClass = 0, 0, 0, "too_long"
		}
		s.Add(rb)
	}
	return s.Result(Meta{Backend: "sim"})
}

// compare's totals latency rows of a NEW side on which a class completed
// nothing fell (ttft.p99 90 -> 10 ms, "-88.9%") as if the fleet were
// faster: that side's totals leave the class out. The rows and gates on
// the totals' latencies now say so.
func TestCompareTotalsSayAClassCompletedNothing(t *testing.T) {
	base, nw := twoClassResult(false), twoClassResult(true)
	gates, err := ParseGates("total:ttft.p99>+10%")
	require.NoError(t, err)
	cmp, err := Compare(base, nw, CompareOptions{Gates: gates})
	require.NoError(t, err)
	const want = "class b completed nothing in NEW: that side's totals leave it out"
	for _, cd := range cmp.Classes {
		if cd.Class != TotalClass {
			continue
		}
		for _, md := range cd.Rows {
			if strings.HasPrefix(md.Metric, "ttft.") {
				require.Contains(t, md.Note, want, md.Metric)
			}
			if md.Metric == "requests" {
				require.Empty(t, md.Note)
			}
		}
	}
	require.Contains(t, cmp.Gates[0].Note, "class b completed nothing in NEW")
	require.True(t, cmp.Gates[0].Failed, "not judged over different mixes: fails (TestTotalsGateFails...)")

	cmp, err = Compare(base, base, CompareOptions{})
	require.NoError(t, err)
	for _, cd := range cmp.Classes {
		for _, md := range cd.Rows {
			require.NotContains(t, md.Note, "completed nothing")
		}
	}
}

// A totals latency gate over sides on which one class completed nothing
// on one side only compares different request mixes (NEW's totals leave
// the class out): it passed (NEW looked faster) with a note. It now fails,
// saying it was not judged, which class and what to gate on instead, in
// either direction; a class failed on both sides leaves the mix the same.
func TestTotalsGateFailsWhenAClassCompletedNothingOnOneSide(t *testing.T) {
	gates, err := ParseGates("total:ttft.p99>+10%,total:requests>+50%")
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		base, nw *Result
		fail     bool
		side     string
	}{
		{"NEW lost b", twoClassResult(false), twoClassResult(true), true, "NEW"},
		{"BASE lost b", twoClassResult(true), twoClassResult(false), true, "BASE"},
		{"both lost b", twoClassResult(true), twoClassResult(true), false, ""},
		{"neither", twoClassResult(false), twoClassResult(false), false, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmp, err := Compare(tc.base, tc.nw, CompareOptions{Gates: gates})
			require.NoError(t, err)
			require.Len(t, cmp.Gates, 2)
			lat, req := cmp.Gates[0], cmp.Gates[1]
			require.Equal(t, tc.fail, lat.Failed, lat.Note)
			require.Equal(t, tc.fail, cmp.Failed)
			require.False(t, req.Failed, "requests counts every request: judged as usual")
			if tc.fail {
				require.Nil(t, lat.Change, "a change over different mixes is no figure")
				require.Contains(t, lat.Note, "not judged: class b completed nothing in "+tc.side)
				require.Contains(t, lat.Note, "different request mixes")
				require.Contains(t, lat.Note, "instead (a:ttft.p99) or fix class b's errors")
			} else {
				require.NotContains(t, lat.Note, "not judged")
			}
		})
	}
}

// compare --format json wrote a latency row's unit with the table's
// separator in it ("unit": " ms"); it is "ms" now, and the table and
// markdown still read "ttft.p99 ms".
func TestCompareUnitHasNoPadding(t *testing.T) {
	r := twoClassResult(false)
	cmp, err := Compare(r, r, CompareOptions{})
	require.NoError(t, err)
	seen := false
	for _, md := range cmp.Classes[0].Rows {
		if md.Metric == "ttft.p99" {
			require.Equal(t, "ms", md.Unit)
			seen = true
		}
		require.Equal(t, strings.TrimSpace(md.Unit), md.Unit, md.Metric)
	}
	require.True(t, seen)
	for _, format := range []string{"table", "markdown"} {
		var b strings.Builder
		require.NoError(t, RenderComparison(&b, cmp, format))
		require.Contains(t, b.String(), "ttft.p99 ms", format)
		if format == "markdown" {
			require.Contains(t, b.String(), "| requests |", "a unitless row gains no space")
		}
	}
}

// The same holds when the class is missing from one side's totals for
// another reason: it sent no request there (a short run without a video
// burst), or the other result has no such class at all. Each makes the
// totals pool different request mixes; the gate is not judged, and says
// which.
func TestTotalsGateNotJudgedOverAnyDifferentClassSet(t *testing.T) {
	gates, err := ParseGates("total:ttft.p99>+10%")
	require.NoError(t, err)
	idle := twoClassResult(false)
	idle.Classes["b"] = &ClassResult{Kind: "chat"} // no request in the window
	onlyA := twoClassResult(false)
	delete(onlyA.Classes, "b")
	for _, tc := range []struct {
		name     string
		base, nw *Result
		want     string
	}{
		{"idle in NEW", twoClassResult(false), idle, "class b sent no request in NEW"},
		{"absent from NEW", twoClassResult(false), onlyA, "class b is not in NEW"},
		{"absent from BASE", onlyA, twoClassResult(false), "class b is not in BASE"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmp, err := Compare(tc.base, tc.nw, CompareOptions{Gates: gates})
			require.NoError(t, err)
			g := cmp.Gates[0]
			require.True(t, g.Failed, g.Note)
			require.Contains(t, g.Note, "not judged: "+tc.want)
			require.Contains(t, g.Note, "(a:ttft.p99)")
		})
	}
}

// A baseline recorded from another scenario (or from the scenario before
// it changed) compares two workloads: compare said nothing. It warns now,
// in the header and the JSON, and says what to do; the same scenario, or a
// file without a hash, has no such warning.
func TestCompareWarnsOfDifferentScenarios(t *testing.T) {
	for _, tc := range []struct {
		name             string
		baseName, bHash  string
		newName, newHash string
		warn             bool
	}{
		{"same", "chat", "aaaa", "chat", "aaaa", false},
		{"scenario changed", "chat", "aaaa", "chat", "bbbb", true},
		{"other scenario", "chat", "aaaa", "mixed", "cccc", true},
		{"no hash, same name", "chat", "", "chat", "bbbb", false},
		{"no hash, other name", "chat", "", "mixed", "", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			base, nw := twoClassResult(false), twoClassResult(false)
			base.Scenario.Name, base.Scenario.Hash = tc.baseName, tc.bHash
			nw.Scenario.Name, nw.Scenario.Hash = tc.newName, tc.newHash
			cmp, err := Compare(base, nw, CompareOptions{})
			require.NoError(t, err)
			var b strings.Builder
			require.NoError(t, RenderComparison(&b, cmp, "table"))
			if !tc.warn {
				require.Empty(t, cmp.Warnings)
				require.NotContains(t, b.String(), "different scenarios")
				return
			}
			require.Len(t, cmp.Warnings, 1)
			require.Contains(t, cmp.Warnings[0], "the two results come from different scenarios (base "+tc.baseName)
			require.Contains(t, cmp.Warnings[0], "record the baseline again")
			require.Contains(t, b.String(), "\nWARNING: the two results come from different scenarios")
		})
	}
}

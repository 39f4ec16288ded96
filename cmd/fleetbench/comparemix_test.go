package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// writeTwoClass writes a result of classes a (fast) and b (slow), b's
// every request failing when bFails.
func writeTwoClass(t *testing.T, path string, bFails bool) {
	t.Helper()
	s := results.NewSummary([]results.ClassInfo{{Name: "a", Kind: "chat"}, {Name: "b", Kind: "chat"}}, 0)
	for i := range 20 {
		at := int64(i) * 1e8
		s.Add(&results.Record{Class: "a", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 1e7, LastToken: at + 2e7, OutputTokens: 2, TaskDone: true})
		rb := &results.Record{Class: "b", Kind: "chat", Intended: at, Sent: at, FirstToken: at + 9e7, LastToken: at + 10e7, OutputTokens: 2, TaskDone: true}
		if bFails {
			rb.FirstToken, rb.LastToken, rb.OutputTokens, rb.ErrorClass = 0, 0, 0, "too_long"
		}
		s.Add(rb)
	}
	require.NoError(t, writeFileAtomic(path, resultJSON(s.Result(results.Meta{Backend: "sim"}))))
}

// compare base.json new.json --fail-on total:ttft.p99>+10%, NEW's class
// b completing nothing: NEW's totals leave b out and read 89% faster;
// the gate passed (exit 0). It now fails (exit 1), naming the class,
// why and what to gate on instead.
func TestCompareTotalsGateOverDifferentMixesExits1(t *testing.T) {
	dir := t.TempDir()
	base, nw := filepath.Join(dir, "base.json"), filepath.Join(dir, "new.json")
	writeTwoClass(t, base, false)
	writeTwoClass(t, nw, true)
	var out, errb bytes.Buffer
	code := execute([]string{"compare", base, nw, "--fail-on", "total:ttft.p99>+10%"}, &out, &errb)
	require.Equal(t, 1, code, out.String()+errb.String())
	require.Contains(t, out.String(), "not judged: class b completed nothing in NEW, so the totals compare different request mixes")
	require.Contains(t, errb.String(), "total:ttft.p99>+10% not judged: class b completed nothing in NEW")
	require.Contains(t, errb.String(), "a:ttft.p99")

	out.Reset()
	errb.Reset()
	code = execute([]string{"compare", base, base, "--fail-on", "total:ttft.p99>+10%"}, &out, &errb)
	require.Equal(t, 0, code, out.String()+errb.String())
}

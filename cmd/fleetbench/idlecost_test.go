package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/stretchr/testify/require"
)

// sim mixed-platform --duration 30s printed, for class t2v (no clip
// arrived in the window: bursts come every 5 minutes), "USD 0",
// "revenue ¤ 0", "revenue USD 0" and "margin USD 0" in its class cost
// table, and the result file held t2v's cost {usd: 0, revenue: {amount: 0,
// margin_usd: 0, ...}}: accounting zeros of nothing measured. A class with
// no request in the window, and nothing charged to it, has no cost now:
// "-" in the table, the key left out in JSON (docs/metrics.md, What was
// not measured is absent), and report and price read the file the same.
func TestSimClassCostAbsentForAClassWithNoRequest(t *testing.T) {
	out := filepath.Join(t.TempDir(), "mp.json")
	code, stdout, stderr := runCLI("sim", "mixed-platform", "--duration", "30s", "-o", out)
	require.Equal(t, 0, code, stderr)
	// columns: chat, coding, t2v, total
	for _, row := range []string{"USD", "revenue ¤", "revenue USD", "margin USD"} {
		re := regexp.MustCompile(`(?m)^  ` + regexp.QuoteMeta(row) + `\s+(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$`)
		m := re.FindStringSubmatch(stdout)
		require.NotNil(t, m, "row %q in\n%s", row, stdout)
		require.Equal(t, "-", m[3], "t2v's %s: %s", row, m[0])
	}

	data, err := os.ReadFile(out)
	require.NoError(t, err)
	var res struct {
		Classes map[string]map[string]json.RawMessage `json:"classes"`
	}
	require.NoError(t, json.Unmarshal(data, &res))
	require.NotContains(t, res.Classes["t2v"], "cost")
	require.Contains(t, res.Classes["chat"], "cost")

	// report reads the file as sim printed it.
	code, rep, stderr := runCLI("report", out)
	require.Equal(t, 0, code, stderr)
	require.Contains(t, stdout, costSection(t, rep))

	// price on the file (lists from a price file) does not price t2v.
	pf := filepath.Join(t.TempDir(), "prices.yaml")
	require.NoError(t, os.WriteFile(pf, []byte("default: {per_task: 0.01}\nclasses:\n  t2v: {per_video_second: 0.1}\n"), 0o644))
	code, pr, stderr := runCLI("price", out, "--price-file", pf)
	require.Equal(t, 1, code, stderr)
	require.Contains(t, pr, "t2v: not priced: class t2v: no request of the class arrived in the measured window")
	require.Contains(t, pr, "chat at list prices")

	// Nor does a plan priced on its cost per task (exit 2, "has none", before).
	code, _, stderr = runCLI("price", out, "--plan", "name=pro,fee=20,mean=40,median=15,class=t2v")
	require.Equal(t, 1, code, stderr)
	require.Contains(t, stderr, "--plan pro: class t2v: no request of the class arrived in the measured window")
}

// costSection is the text from the class cost table on.
func costSection(t *testing.T, s string) string {
	t.Helper()
	i := regexp.MustCompile(`(?m)^  class cost \(USD\)`).FindStringIndex(s)
	require.NotNil(t, i, s)
	return s[i[0]:]
}

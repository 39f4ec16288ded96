package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestRatesAbsentWithoutAWindow: a simulation stopped before its warm-up
// ended has no measurement window, and its result said requests_per_s 0
// and tasks_per_s 0 beside 0 requests (trust7, sim Ctrl-C at 3m23s of
// platform-hour's 5-minute warm-up): a rate over no time is not a
// measured 0. They are absent then (JSON, and older files read so; the
// table leaves the row out or shows '-'; compare skips them); a window in
// which nothing completed keeps its measured 0.
func TestRatesAbsentWithoutAWindow(t *testing.T) {
	cls := []ClassInfo{{Name: "c", Kind: "chat"}}

	none := NewSummary(cls, 0).Result(Meta{Backend: "sim"})
	for name, c := range map[string]*ClassResult{"class": none.Classes["c"], "totals": none.Totals} {
		require.Nil(t, c.RequestsPerS, name)
		require.Nil(t, c.TasksPerS, name)
	}
	var js bytes.Buffer
	require.NoError(t, WriteJSON(&js, none))
	require.NotContains(t, js.String(), `"requests_per_s"`)
	require.NotContains(t, js.String(), `"tasks_per_s"`)
	var b strings.Builder
	require.NoError(t, RenderTable(&b, none))
	require.NotContains(t, b.String(), "completed/s", "a row of '-' only is left out")

	// An older file wrote both as 0: read as absent.
	old := strings.Replace(js.String(), `"tasks": 0,`, `"tasks": 0, "requests_per_s": 0, "tasks_per_s": 0,`, -1)
	require.NotEqual(t, js.String(), old)
	back, err := Decode(strings.NewReader(old), "old.json")
	require.NoError(t, err)
	require.Nil(t, back.Classes["c"].RequestsPerS)
	require.Nil(t, back.Totals.TasksPerS)

	// A window where nothing completed: 0 per second is measured.
	empty := NewSummary(cls, 0).Result(Meta{Backend: "sim", StartNs: 0, EndNs: 2e9})
	require.NotNil(t, empty.Classes["c"].RequestsPerS)
	require.Zero(t, *empty.Classes["c"].RequestsPerS)
	require.Zero(t, *empty.Totals.TasksPerS)

	// Two completions over 2 s.
	s := NewSummary(cls, 0)
	for i := range 2 {
		s.Add(&Record{Class: "c", Kind: "chat", Sent: int64(i) * 1e8, FirstToken: int64(i)*1e8 + 1e8, LastToken: int64(i)*1e8 + 5e8, OutputTokens: 10})
	}
	got := s.Result(Meta{Backend: "sim", StartNs: 0, EndNs: 2e9})
	require.Equal(t, 1.0, *got.Classes["c"].RequestsPerS)
}

package runners

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/scenarios"
)

// Each record keeps the server's response id (the first chunk's "id",
// else the X-Request-Id response header), and every request names its
// scenario class in scenarios.ClassHeader.
func TestRecordsKeepResponseID(t *testing.T) {
	classes := make(chan string, 8)
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		classes <- r.Header.Get(scenarios.ClassHeader)
		id := strings.TrimPrefix(r.Header.Get("X-Request-Id"), "fleetbench-")
		w.Header().Set("X-Request-Id", "hdr-"+id)
		w.Header().Set("Content-Type", "text/event-stream")
		if id == "1" { // no body id: the header is kept
			fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a b\"}}]}\n\ndata: [DONE]\n\n")
			return
		}
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-%s\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\n", id)
		fmt.Fprintf(w, "data: {\"id\":\"other\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" b\"}}]}\n\ndata: [DONE]\n\n")
	}))
	defer ts.Close()
	cfg := Config{Target: ts.URL + "/v1", Model: "m", Grace: 2 * time.Second, FirstTokenTimeout: 5 * time.Second, Timeout: 10 * time.Second}
	c := runCollect(t, context.Background(), chatScenario(t, 50, 3, 4, 2), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Len(t, c.recs, 3)
	got := map[string]bool{}
	for _, r := range c.recs {
		require.Empty(t, r.ErrorClass, r.Error)
		got[r.ResponseID] = true
	}
	require.Equal(t, map[string]bool{"hdr-1": true, "chatcmpl-2": true, "chatcmpl-3": true}, got)
	for range 3 {
		require.Equal(t, "chat", <-classes)
	}
	require.Equal(t, strings.Repeat("x", maxResponseID), responseID([]byte(`{"id":"`+strings.Repeat("x", 500)+`"}`)))
	require.Empty(t, responseID([]byte(`not json`)))
}

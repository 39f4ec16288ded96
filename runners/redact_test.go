package runners

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

func TestRedactURL(t *testing.T) {
	cases := map[string]string{
		"http://127.0.0.1:8000/v1":                         "http://127.0.0.1:8000/v1",
		"http://user:hunter2@h:8000/v1":                    "http://REDACTED@h:8000/v1",
		"https://tok3n@h/v1":                               "https://REDACTED@h/v1",
		"https://h/openai?api-key=s3cret&api-version=2024": "https://h/openai?api-key=REDACTED&api-version=2024",
		"https://h/v1?key=abc&Token=def&sig=xyz":           "https://h/v1?Token=REDACTED&key=REDACTED&sig=REDACTED",
		"http://u:p@h/v1?api_key=k1":                       "http://REDACTED@h/v1?api_key=REDACTED",
	}
	for in, want := range cases {
		require.Equal(t, want, RedactURL(in), in)
	}
	require.Equal(t, Redacted, RedactURL("http://u:p@h/%zz?x"), "unparsable with credentials")
}

// Credentials in --target used to be written into the result (extra.target)
// and into every error record (transport errors and server error bodies
// quote the URL).
func TestTargetCredentialsRedacted(t *testing.T) {
	srv := openaitest.New(func(r *openaitest.Request) openaitest.Reply {
		// A server that echoes what it got, credentials included.
		return openaitest.Reply{Status: http.StatusUnauthorized, Body: "bad key hunter2 / s3cretkey for " + r.Path}
	})
	defer srv.Close()
	base := strings.Replace(srv.BaseURL(), "http://", "http://alice:hunter2@", 1) + "?api-key=s3cretkey&api-version=2024-06-01"
	for _, target := range []string{base, "http://alice:hunter2@127.0.0.1:1/v1?api-key=s3cretkey"} {
		cfg := baseConfig(srv)
		cfg.Target = target
		cfg.ConnectTimeout = time.Second
		c := runCollect(t, context.Background(), chatScenario(t, 100, 3, 10, 2), cfg, scenarios.WorkloadOptions{})
		require.Len(t, c.recs, 3)
		recs, err := json.Marshal(c.recs)
		require.NoError(t, err)
		for _, leak := range []string{"hunter2", "s3cretkey", "alice"} {
			require.NotContains(t, string(recs), leak, "records")
			require.NotContains(t, string(c.bytes), leak, "result file")
		}
		require.Contains(t, c.res.Extra["target"], "REDACTED")
		for _, r := range c.recs {
			require.False(t, r.OK())
			require.Contains(t, r.Error, Redacted)
		}
	}
	// The query survives on the wire, after the API path.
	q := srv.Requests()[0]
	require.Equal(t, "/v1/chat/completions", q.Path)
}

func TestAPIKeyAndAuthorizationHeaderConflict(t *testing.T) {
	cfg := Config{Target: "http://h/v1", APIKey: "k", Header: http.Header{"Authorization": {"Bearer x"}}}
	require.ErrorContains(t, cfg.Validate(), "both --api-key-env and an Authorization header")
	cfg = Config{Target: "ftp://u:secretpw@h/v1"}
	err := cfg.Validate()
	require.Error(t, err)
	require.NotContains(t, err.Error(), "secretpw")
}

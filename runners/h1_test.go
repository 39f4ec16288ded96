package runners

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/runners/openaitest"
	"github.com/fleetbench/fleetbench/scenarios"
)

// transportConfig sends through http.Transport (a client of the caller's
// own), not on direct connections.
func transportConfig(cfg Config) Config {
	cfg.Client = newHTTPClient(time.Second, 64, 4<<10)
	return cfg
}

// TestH1Which: direct connections for plain HTTP only; everything the
// transport does that they do not goes through the transport.
func TestH1Which(t *testing.T) {
	h := http.Header{"Content-Type": {"application/json"}}
	for _, tc := range []struct {
		url    string
		header http.Header
		direct bool
	}{
		{"http://127.0.0.1:8000/v1/chat/completions", h, true},
		{"http://localhost/v1/chat/completions?api-version=1", h, true},
		{"https://127.0.0.1:8000/v1/chat/completions", h, false},
		{"http://u:p@127.0.0.1:8000/v1/chat/completions", h, false},
		{"http://127.0.0.1:8000/v1", http.Header{"Host": {"x"}}, false},
		{"http://127.0.0.1:8000/v1", http.Header{"Connection": {"close"}}, false},
		{"http://127.0.0.1:8000/v1", http.Header{"X-A": {"b\r\nX-B: c"}}, false},
	} {
		u, err := url.Parse(tc.url)
		require.NoError(t, err)
		require.Equal(t, tc.direct, newH1Pool(u, tc.header, nil, time.Second, 4) != nil, tc.url)
	}
	p := newH1Pool(&url.URL{Scheme: "http", Host: "127.0.0.1:1", Path: "/v1/chat/completions"}, h, http.ProxyFromEnvironment, time.Second, 4)
	require.Equal(t, "127.0.0.1:1", p.addr)
	require.Equal(t, "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:1\r\nUser-Agent: Go-http-client/1.1\r\n"+
		"Content-Type: application/json\r\nContent-Length: 2\r\nX-Request-Id: fleetbench-7\r\nX-Fleetbench-Class: chat\r\n\r\n{}",
		string(p.appendRequest(nil, &scenarios.Request{ID: 7, Class: "chat"}, []byte("{}"))))
	require.False(t, p.sends(&scenarios.Request{Class: "a\nb"}))

	u, _ := url.Parse("http://10.1.2.3:8000/v1/chat/completions")
	proxy := func(*http.Request) (*url.URL, error) { return url.Parse("http://127.0.0.1:3128") }
	require.Nil(t, newH1Pool(u, h, proxy, time.Second, 4), "a proxy for the target: through the transport")
}

// TestH1SameRequest: the server sees the same request either way (path,
// query, host, headers, body).
func TestH1SameRequest(t *testing.T) {
	srv := openaitest.New(nil)
	defer srv.Close()
	seen := func(cfg Config) *openaitest.Request {
		cfg.Target += "?api-version=2"
		cfg.APIKey = "k"
		cfg.Header = http.Header{"X-Tenant": {"a", "b"}, "X-Request-Id": {"overridden"}}
		n := len(srv.Requests())
		c := runCollect(t, context.Background(), chatScenario(t, 100, 1, 10, 2), cfg, scenarios.WorkloadOptions{})
		require.NoError(t, c.err)
		require.True(t, c.recs[0].OK(), c.recs[0].Error)
		return srv.Requests()[n]
	}
	d, tr := seen(baseConfig(srv)), seen(transportConfig(baseConfig(srv)))
	require.Equal(t, tr.Path, d.Path)
	require.Equal(t, tr.Raw, d.Raw)
	require.Equal(t, tr.ID, d.ID)
	require.Equal(t, "fleetbench-1", d.ID)
	for _, h := range []http.Header{d.Header, tr.Header} {
		h.Del("Accept-Encoding") // the transport's own (DisableCompression leaves it off; a custom client may not)
	}
	require.Equal(t, tr.Header, d.Header)
	require.Equal(t, []string{"a", "b"}, d.Header["X-Tenant"])
	require.Equal(t, "Bearer k", d.Header.Get("Authorization"))
}

// TestH1ServerClosesIdle: a server that closes keep-alive connections
// while they are idle (uvicorn's default is after 5 s) costs no request:
// one found closed is sent again on a new connection, as often as the
// idle connections taken turn out closed. A server that says
// "Connection: close" gets a new connection per request.
//
// "silent close" is the deterministic form of the idle timeout: the
// server closes every connection right after its response without
// saying so, and overlapping requests leave several such connections
// idle at once. "idle timeout" is http.Server's own IdleTimeout; which
// connections it closes depends on the host's timing (a request sent
// within 5 ms of the last response on a connection may reuse it), so it
// checks only that no request is lost or sent twice.
func TestH1ServerClosesIdle(t *testing.T) {
	for _, tc := range []struct {
		name    string
		rate    float64
		n       int
		reply   openaitest.Reply
		oneEach bool // every request had a connection of its own
	}{
		{name: "idle timeout", rate: 20, n: 6},
		{name: "silent close", rate: 400, n: 12, reply: openaitest.Steady(2, 15*time.Millisecond, 5*time.Millisecond), oneEach: true},
		{name: "connection close", rate: 20, n: 6, oneEach: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var script func(*openaitest.Request) openaitest.Reply
			if tc.reply.Chunks != nil {
				script = func(*openaitest.Request) openaitest.Reply { return tc.reply }
			}
			o := openaitest.New(script)
			defer o.Close()
			h := o.Config.Handler
			switch tc.name {
			case "connection close":
				h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					w.Header().Set("Connection", "close")
					o.Config.Handler.ServeHTTP(w, r)
				})
			case "silent close":
				h = silentClose(t, o.Config.Handler)
			}
			srv := httptest.NewUnstartedServer(h)
			if tc.name == "idle timeout" {
				srv.Config.IdleTimeout = 5 * time.Millisecond
			}
			srv.Start()
			defer srv.Close()
			cfg := baseConfig(o)
			cfg.Target = srv.URL + "/v1"
			for _, stream := range []bool{false, true} {
				cfg.NoStream = !stream
				c := runCollect(t, context.Background(), chatScenario(t, tc.rate, tc.n, 10, 2), cfg, scenarios.WorkloadOptions{})
				require.NoError(t, c.err)
				require.Len(t, c.recs, tc.n)
				for _, r := range c.recs {
					require.True(t, r.OK(), r.Error)
				}
			}
			reqs := o.Requests()
			require.Len(t, reqs, 2*tc.n, "every request reached the server once")
			if tc.oneEach {
				conns := map[string]bool{}
				for _, r := range reqs {
					conns[r.Remote] = true
				}
				require.Len(t, conns, 2*tc.n, "no connection carried two requests")
			}
		})
	}
}

// silentClose serves each request with h, then writes the response as
// keep-alive (no "Connection: close") and closes the connection: the
// client learns only when it next uses it.
func silentClose(t *testing.T, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		c, bw, err := w.(http.Hijacker).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		resp := rec.Result()
		resp.ContentLength = int64(rec.Body.Len()) // known length: Write adds no "Connection: close"
		if err := resp.Write(bw); err == nil {
			_ = bw.Flush()
		}
	})
}

// TestErrorClassesTransport: the transport path classes failures as the
// direct one does (TestErrorClasses), timeouts included.
func TestErrorClassesTransport(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply openaitest.Reply
		cfg   func(*Config)
		class string
	}{
		{"stall before first token", openaitest.Reply{Stall: true}, func(c *Config) { c.FirstTokenTimeout = 100 * time.Millisecond }, ClassTimeoutFirstToken},
		{"stall mid-stream", openaitest.Reply{Stall: true, Chunks: openaitest.Steady(2, time.Millisecond, time.Millisecond).Chunks},
			func(c *Config) { c.Timeout = 150 * time.Millisecond }, ClassTimeout},
		{"500", openaitest.Reply{Status: 500, Body: "boom"}, nil, ClassHTTP5xx},
		{"mid-stream disconnect", openaitest.Reply{Disconnect: true, Chunks: openaitest.Steady(2, time.Millisecond, time.Millisecond).Chunks}, nil, ClassDisconnect},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := openaitest.New(func(*openaitest.Request) openaitest.Reply { return tc.reply })
			defer srv.Close()
			cfg := baseConfig(srv)
			if tc.cfg != nil {
				tc.cfg(&cfg)
			}
			c := runCollect(t, context.Background(), chatScenario(t, 200, 3, 10, 2), transportConfig(cfg), scenarios.WorkloadOptions{})
			require.NoError(t, c.err)
			require.Len(t, c.recs, 3)
			for _, r := range c.recs {
				require.Equal(t, tc.class, r.ErrorClass, r.Error)
			}
		})
	}
}

// TestH1Idle408: a server that answers 408 on a keep-alive connection it
// times out while idle (the request never reached it) costs no request:
// the request goes again on a new connection.
func TestH1Idle408(t *testing.T) {
	o := openaitest.New(nil)
	defer o.Close()
	canned, err := http.Post(o.URL+"/v1/chat/completions", "application/json",
		strings.NewReader(`{"model":"m","messages":[{"role":"user","content":"hi"}],"max_tokens":2}`))
	require.NoError(t, err)
	body, err := io.ReadAll(canned.Body)
	require.NoError(t, err)
	canned.Body.Close()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	var served atomic.Int64
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				req, err := http.ReadRequest(br)
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				served.Add(1)
				fmt.Fprintf(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
				time.Sleep(5 * time.Millisecond) // idle: time it out with a 408
				fmt.Fprint(c, "HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
			}()
		}
	}()
	cfg := baseConfig(o)
	cfg.Target, cfg.NoStream = "http://"+l.Addr().String()+"/v1", true
	c := runCollect(t, context.Background(), chatScenario(t, 20, 5, 10, 2), cfg, scenarios.WorkloadOptions{})
	require.NoError(t, c.err)
	require.Len(t, c.recs, 5)
	for _, r := range c.recs {
		require.True(t, r.OK(), r.Error)
	}
	require.Equal(t, int64(5), served.Load())
}

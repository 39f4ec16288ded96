package serve

import (
	"bytes"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// /v1/videos in JSON, multipart (OpenAI's SDKs) and url-encoded form: every
// field is read, and invalid ones are 400s (form fps=abc used to be
// ignored with 200; unknown fields were ignored).
func TestVideoCreateFieldsValidated(t *testing.T) {
	_, base := startServer(t, nil, testConfig())
	u := base + "/v1/videos"
	form := func(kv map[string]string) (int, string) {
		vals := url.Values{}
		for k, v := range kv {
			vals.Set(k, v)
		}
		resp, err := http.PostForm(u, vals)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	multi := func(kv map[string]string) (int, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		for k, v := range kv {
			require.NoError(t, mw.WriteField(k, v))
		}
		require.NoError(t, mw.Close())
		resp, err := http.Post(u, mw.FormDataContentType(), &buf)
		require.NoError(t, err)
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	js := func(kv map[string]string) (int, string) {
		body := map[string]any{}
		for k, v := range kv {
			body[k] = v
		}
		st, b := post(t, u, body)
		return st, string(b)
	}
	bad := []struct {
		kv   map[string]string
		want string
	}{
		{map[string]string{"seconds": "-5"}, "seconds"},
		{map[string]string{"size": "99999x99999"}, "size"},
		{map[string]string{"model": "no-such-model"}, "model"},
		{map[string]string{"fps": "abc"}, "fps"},
		{map[string]string{"steps": "-1"}, "steps"},
		{map[string]string{"secondz": "4"}, "secondz"},
	}
	for name, send := range map[string]func(map[string]string) (int, string){"form": form, "multipart": multi, "json": js} {
		for _, c := range bad {
			st, body := send(c.kv)
			require.Equal(t, http.StatusBadRequest, st, "%s %v: %s", name, c.kv, body)
			require.Contains(t, body, c.want, "%s %v", name, c.kv)
		}
		st, body := send(map[string]string{"prompt": "a cat", "seconds": "2", "size": "640x480", "model": "wan2.1-14b"})
		require.Equal(t, http.StatusOK, st, "%s: %s", name, body)
		require.Contains(t, body, `"size":"640x480"`, name)
		require.Contains(t, body, `"seconds":"2"`, name)
	}
}

// A client trickling its body used to hold the connection for as long as it
// liked (a byte every 3 s: 45 s+); the body read is now bounded.
func TestSlowBodyIsCutOff(t *testing.T) {
	s, err := New(Options{Config: testConfig(), BodyTimeout: 300 * time.Millisecond})
	require.NoError(t, err)
	hs := httptest.NewServer(s.Handler())
	defer func() { s.Close(); hs.Close() }()
	conn, err := net.Dial("tcp", strings.TrimPrefix(hs.URL, "http://"))
	require.NoError(t, err)
	defer conn.Close()
	_, err = io.WriteString(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{")
	require.NoError(t, err)
	start := time.Now()
	go func() { // one more byte now and then, as a slowloris client does
		for range 20 {
			time.Sleep(100 * time.Millisecond)
			if _, err := conn.Write([]byte(" ")); err != nil {
				return
			}
		}
	}()
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := io.ReadAll(conn)
	_ = err
	require.Less(t, time.Since(start), 5*time.Second, "cut off after the body timeout, not when the client stops")
	require.Contains(t, string(resp), "408", string(resp))
}

// With an API key every endpoint but /health and /metrics needs it.
func TestAPIKeyRequired(t *testing.T) {
	s, err := New(Options{Config: testConfig(), APIKey: "k3y"})
	require.NoError(t, err)
	hs := httptest.NewServer(s.Handler())
	defer func() { s.Close(); hs.Close() }()
	st, body := post(t, hs.URL+"/v1/chat/completions", map[string]any{"model": s.Model(), "messages": []any{map[string]any{"role": "user", "content": "hi"}}, "max_tokens": 2})
	require.Equal(t, http.StatusUnauthorized, st)
	require.Contains(t, string(body), "API key")
	st, _ = post(t, hs.URL+"/v1/chat/completions", map[string]any{"model": s.Model(), "messages": []any{map[string]any{"role": "user", "content": "hi"}}, "max_tokens": 2}, "Authorization", "Bearer k3y")
	require.Equal(t, http.StatusOK, st)
	for _, p := range []string{"/health", "/metrics"} {
		resp, err := http.Get(hs.URL + p)
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode, p)
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{"127.0.0.1:8000": true, "[::1]:80": true, "localhost:1": true,
		":8000": false, "0.0.0.0:8000": false, "10.0.0.5:8000": false, "[::]:80": false} {
		require.Equal(t, want, IsLoopback(addr), addr)
	}
}

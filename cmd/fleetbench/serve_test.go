package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestServeBadInputExits2(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown model", []string{"serve", "--model", "gpt-9", "--addr", "127.0.0.1:0"}, "gpt-9"},
		{"unknown gpu", []string{"serve", "--gpu", "v100", "--addr", "127.0.0.1:0"}, "v100"},
		{"bad fleet", []string{"serve", "--fleet", "4X", "--addr", "127.0.0.1:0"}, "4X"},
		{"unknown scenario", []string{"serve", "no-such-scenario"}, "no-such-scenario"},
		{"two scenarios", []string{"serve", "chat", "agent-coding"}, "at most 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(c.args...)
			require.Equal(t, 2, code, stderr)
			require.Contains(t, stderr, c.want)
		})
	}
}

// serve listens, prints its address, answers a request and stops
// cleanly when its context ends.
func TestServeCommandServesAndStops(t *testing.T) {
	for _, args := range [][]string{nil, {"chat"}} {
		ctx, cancel := context.WithCancel(context.Background())
		addrc := make(chan net.Addr, 1)
		var out bytes.Buffer
		done := make(chan error, 1)
		go func() {
			done <- runServe(ctx, &out, io.Discard, args, serveFlags{addr: "127.0.0.1:0"}, func(a net.Addr) { addrc <- a })
		}()
		var addr net.Addr
		select {
		case addr = <-addrc:
		case err := <-done:
			t.Fatalf("serve %v exited early: %v", args, err)
		case <-time.After(10 * time.Second):
			t.Fatal("serve did not start")
		}
		resp, err := http.Get("http://" + addr.String() + "/v1/models")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		want := "llama-3.1-8b"
		if args != nil {
			want = "llama-3.1-70b" // the chat scenario's default fleet
		}
		require.Contains(t, string(body), want)
		cancel()
		require.NoError(t, <-done)
		require.True(t, strings.HasPrefix(out.String(), "fleetbench serve: model "+want), out.String())
	}
}

// serve --api-key-env requires the bearer key; binding a non-loopback
// address warns.
func TestServeAPIKeyAndBindWarning(t *testing.T) {
	t.Setenv("FLEETBENCH_TEST_SERVE_KEY", "sekrit-key")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan net.Addr, 1)
	var out, errb bytes.Buffer
	done := make(chan error, 1)
	go func() {
		done <- runServe(ctx, &out, &errb, nil, serveFlags{addr: "0.0.0.0:0", apiKeyEnv: "FLEETBENCH_TEST_SERVE_KEY"}, func(a net.Addr) { addrc <- a })
	}()
	var addr net.Addr
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("serve exited early: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not start")
	}
	require.Contains(t, errb.String(), "warning: serve listens on 0.0.0.0:0, reachable from other machines, with an API key but no TLS")
	_, port, _ := net.SplitHostPort(addr.String())
	base := "http://127.0.0.1:" + port
	get := func(path, key string) int {
		req, _ := http.NewRequest(http.MethodGet, base+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	require.Equal(t, http.StatusUnauthorized, get("/v1/models", ""))
	require.Equal(t, http.StatusUnauthorized, get("/v1/models", "wrong"))
	require.Equal(t, http.StatusOK, get("/v1/models", "sekrit-key"))
	require.Equal(t, http.StatusOK, get("/health", ""), "health stays open")
	cancel()
	require.NoError(t, <-done)

	code, _, stderr := runCLI("serve", "--api-key-env", "FLEETBENCH_TEST_UNSET_VAR")
	require.Equal(t, 2, code, stderr)
	require.Contains(t, stderr, "FLEETBENCH_TEST_UNSET_VAR")
}

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
			done <- runServe(ctx, &out, args, serveFlags{addr: "127.0.0.1:0"}, func(a net.Addr) { addrc <- a })
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

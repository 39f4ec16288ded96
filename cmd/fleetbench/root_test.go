package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestVersion(t *testing.T) {
	var out, errb bytes.Buffer
	code := execute([]string{"version"}, &out, &errb)
	require.Equal(t, 0, code, errb.String())
	require.Contains(t, out.String(), "fleetbench ")
}

func TestUnknownCommandExits2(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 2, execute([]string{"no-such-command"}, &out, &errb))
}

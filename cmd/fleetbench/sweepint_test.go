package main

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/sweep"
	"github.com/fleetbench/fleetbench/sweepfile"
)

// TestSweepInterrupted: Ctrl-C during a simulated sweep killed it and lost
// every point already simulated (an hour-long grid, nothing written). It
// now stops starting points (running ones are cut short: TestCtrlCCutsARunningPointShort), writes what ran
// (the rest "not run", no answer: a search cut short picks from what it
// did not try) and exits 130, as run does.
func TestSweepInterrupted(t *testing.T) {
	old := runSignals
	defer func() { runSignals = old }()
	var cancelAfter func()
	runSignals = func(ctx context.Context) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(ctx)
		cancelAfter = cancel
		return ctx, cancel
	}
	out := filepath.Join(t.TempDir(), "sw.json")
	// Interrupt as soon as the first point reports (-j 1: one at a time).
	progressHook = func() {
		if cancelAfter != nil {
			cancelAfter()
		}
	}
	defer func() { progressHook = nil }()
	code, stdout, stderr := runCLI("sweep", "chat", "--fleet", "1P1D,1P2D,2P2D", "--requests", "50", "-j", "1", "-o", out)
	require.Equal(t, 130, code, stderr)
	require.Contains(t, stderr, "sweep interrupted: 1 of 3 points ran (written)")
	require.Contains(t, stdout, "interrupted: 1 of 3 points ran")
	sw, err := sweepfile.Read(out)
	require.NoError(t, err)
	require.Nil(t, sw.Answer)
	require.Len(t, sw.Points, 3)
	require.Empty(t, sw.Points[0].Error)
	for _, p := range sw.Points[1:] {
		require.Equal(t, sweep.NotRun, p.Error)
	}
}

// scale stopped by Ctrl-C before its first level writes the (empty) curve
// and exits 130 instead of dying without a word.
func TestScaleInterruptedExits130(t *testing.T) {
	old := runSignals
	defer func() { runSignals = old }()
	runSignals = func(ctx context.Context) (context.Context, context.CancelFunc) {
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		return ctx, cancel
	}
	out := filepath.Join(t.TempDir(), "curve.json")
	code, stdout, stderr := runCLI("scale", "chat", "--traffic", "1,2", "--duration", "1m", "-o", out)
	require.Equal(t, 130, code, stderr)
	require.Contains(t, stderr, "scale interrupted: 0 of 2 traffic levels listed (written)")
	require.Contains(t, stdout, "interrupted")
}

// scale's calibration run (--rate, --tokens-per-s) ran before its Ctrl-C
// handler was installed, so Ctrl-C there killed the process without a
// word. The handler now comes first: the calibration is cut short, and
// scale exits 130 saying nothing was measured (nothing is written).
func TestScaleInterruptedInCalibration(t *testing.T) {
	old := runSignals
	defer func() { runSignals = old }()
	installed := false
	runSignals = func(ctx context.Context) (context.Context, context.CancelFunc) {
		installed = true
		ctx, cancel := context.WithCancel(ctx)
		cancel()
		return ctx, cancel
	}
	out := filepath.Join(t.TempDir(), "curve.json")
	code, _, stderr := runCLI("scale", "chat", "--rate", "10,20", "--duration", "1m", "-o", out)
	require.True(t, installed)
	require.Equal(t, 130, code, stderr)
	require.Contains(t, stderr, "scale interrupted during its calibration run")
	require.Contains(t, stderr, "nothing measured")
	require.NoFileExists(t, out)
}

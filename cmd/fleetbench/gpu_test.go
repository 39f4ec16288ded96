package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/gpu"
	"github.com/fleetbench/fleetbench/results"
)

func testGPUInfo() *gpu.Info {
	return &gpu.Info{DriverVersion: "550.54.15", CUDAVersion: "12.4", NVMLVersion: "12.550.54.15", Devices: []gpu.DeviceInfo{
		{Index: 0, UUID: "GPU-00000000-1111-2222-3333-444444444444", Name: "NVIDIA H100 80GB HBM3", CatalogID: "h100",
			MemoryTotalBytes: 80 << 30, MemoryUsedBytes: 1 << 29, SMClockMHz: 345, MemClockMHz: 2619, MaxSMClockMHz: 1980, MaxMemClockMHz: 2619,
			PowerW: 71.5, PowerLimitW: 700, TemperatureC: 31},
	}}
}

func TestGPUInfo(t *testing.T) {
	noNVML := fmt.Errorf("%w: the NVML library (libnvidia-ml.so.1) was not found", gpu.ErrNoNVML)
	noDev := fmt.Errorf("%w: NVML (driver 550.54.15) reports 0 devices", gpu.ErrNoDevice)
	tests := []struct {
		name   string
		format string
		info   *gpu.Info
		err    error
		code   int
		golden string // testdata file, or the exact output when it has no slash
		want   string
	}{
		{name: "table", format: "table", info: testGPUInfo(), golden: "gpu-info.txt"},
		{name: "json", format: "json", info: testGPUInfo(), golden: "gpu-info.json"},
		{name: "no nvml", format: "table", err: noNVML, want: "no GPU information: NVML unavailable: the NVML library (libnvidia-ml.so.1) was not found\n"},
		{name: "no device", format: "table", err: noDev, want: "no GPU information: no NVIDIA GPU found: NVML (driver 550.54.15) reports 0 devices\n"},
		{name: "no nvml json", format: "json", err: noNVML, golden: "gpu-info-no-nvml.json"},
		{name: "device failure", format: "table", err: errors.New("GPU 0: reading its UUID: Unknown Error"), code: 1},
		{name: "bad format", format: "yaml", info: testGPUInfo(), code: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out bytes.Buffer
			err := runGPUInfo(&out, tc.format, func() (*gpu.Info, error) { return tc.info, tc.err })
			if tc.code != 0 {
				var ec *exitCode
				require.ErrorAs(t, err, &ec)
				require.Equal(t, tc.code, ec.code)
				return
			}
			require.NoError(t, err)
			if tc.golden != "" {
				goldenFile(t, tc.golden, out.Bytes())
			} else {
				require.Equal(t, tc.want, out.String())
			}
		})
	}
}

// TestGPUInfoHere runs the real command on this machine: with or without a
// GPU it must exit 0 (tests never depend on a GPU being present).
func TestGPUInfoHere(t *testing.T) {
	var out, errOut bytes.Buffer
	code := execute([]string{"gpu", "info"}, &out, &errOut)
	require.Equal(t, 0, code, "stderr: %s", errOut.String())
	if strings.HasPrefix(out.String(), "no GPU information: ") {
		require.Equal(t, 1, strings.Count(out.String(), "\n"), "no GPU: one line")
	} else {
		require.True(t, strings.HasPrefix(out.String(), "driver "), out.String())
	}
}

func TestGPUSummary(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, tel *results.Telemetry) string {
		r := results.NewSummary(nil, 0).Result(results.Meta{Backend: "endpoint", Scenario: results.ScenarioInfo{Name: "chat"}})
		r.Telemetry = tel
		var b bytes.Buffer
		require.NoError(t, results.WriteJSON(&b, r))
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, b.Bytes(), 0o644))
		return p
	}
	tel := &results.Telemetry{Status: results.TelemetryOK, Source: "nvml", DriverVersion: "550.54.15", CUDAVersion: "12.4",
		DurationS: 30, SampleIntervalS: 1, Rounds: 31, AvgUtilizationPct: 71.5, PeakMemoryUsedBytes: 70 << 30, EnergyJ: 15000, AvgPowerW: 500,
		Devices: []*results.DeviceTelemetry{{Index: 0, UUID: "GPU-a", Name: "NVIDIA H100 80GB HBM3", MemoryTotalBytes: 80 << 30, Samples: 31,
			AvgUtilizationPct: 71.5, AvgMemBWUtilPct: 40, PeakMemoryUsedBytes: 70 << 30, AvgPowerW: 500, PeakPowerW: 650, EnergyJ: 15000,
			AvgSMClockMHz: 1980, MaxTemperatureC: 66}}}
	tel.Finish(30000)
	with := write("with.json", tel)
	without := write("without.json", nil)
	noNVML := write("nonvml.json", &results.Telemetry{Status: results.TelemetryNoNVML, Error: "NVML unavailable: no driver"})

	tests := []struct {
		name   string
		args   []string
		code   int
		golden string
		want   string
	}{
		{name: "recorded", args: []string{with}, golden: "gpu-summary.txt"},
		{name: "recorded require", args: []string{with, "--require"}, golden: "gpu-summary.txt"},
		{name: "none", args: []string{without}, want: "GPU telemetry: not recorded\n"},
		{name: "no nvml", args: []string{noNVML}, want: "GPU telemetry: none (no_nvml): NVML unavailable: no driver; the run proceeds without it\n"},
		{name: "none required", args: []string{without, "--require"}, code: 1, want: "GPU telemetry: not recorded\n"},
		{name: "missing file", args: []string{filepath.Join(dir, "nope.json")}, code: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := execute(append([]string{"gpu", "summary"}, tc.args...), &out, &errOut)
			require.Equal(t, tc.code, code, "stderr: %s", errOut.String())
			switch {
			case tc.golden != "":
				goldenFile(t, tc.golden, out.Bytes())
			case tc.want != "":
				require.Equal(t, tc.want, out.String())
			}
			if tc.code == 1 {
				require.Contains(t, errOut.String(), "--require")
			}
		})
	}
}

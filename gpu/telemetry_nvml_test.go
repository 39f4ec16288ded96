//go:build cgo

package gpu

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/dgxh100"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/gpus"
	"github.com/NVIDIA/go-nvml/pkg/nvml/mock/server"
	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

var update = flag.Bool("update", false, "regenerate golden files")

// mockH100s is an NVML mock of n H100s whose dynamic metrics are set by
// the test: device i reports utilization 50+10i %, power 300+100i W,
// 40+i GiB used, SM clock 1980 MHz and 60+i °C. The mock's UUIDs are random,
// so they are fixed here for golden output.
func mockH100s(n int) *server.Server {
	srv := dgxh100.NewWithGPUs(gpus.Multiple(n, gpus.H100_SXM5_80GB)...)
	for i, d := range srv.Devices {
		dev := d.(*server.Device)
		dev.UUID = fmt.Sprintf("GPU-0000000%d-1111-2222-3333-444444444444", i)
		dev.MemoryInfo.Used = uint64(40+i) << 30
		dev.MemoryInfo.Free = dev.MemoryInfo.Total - dev.MemoryInfo.Used
		dev.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
			return nvml.Utilization{Gpu: uint32(50 + 10*i), Memory: uint32(20 + i)}, nvml.SUCCESS
		}
		dev.GetPowerUsageFunc = func() (uint32, nvml.Return) { return uint32(300_000 + 100_000*i), nvml.SUCCESS }
		dev.GetEnforcedPowerLimitFunc = func() (uint32, nvml.Return) { return 700_000, nvml.SUCCESS }
		dev.GetClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
			if c == nvml.CLOCK_MEM {
				return 2619, nvml.SUCCESS
			}
			return 1980, nvml.SUCCESS
		}
		dev.GetMaxClockInfoFunc = func(c nvml.ClockType) (uint32, nvml.Return) {
			if c == nvml.CLOCK_MEM {
				return 2619, nvml.SUCCESS
			}
			return 1980, nvml.SUCCESS
		}
		dev.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return uint32(60 + i), nvml.SUCCESS }
	}
	return srv
}

func mockOpener(lib nvml.Interface) opener {
	return func() (session, error) { return openNVMLWith(lib) }
}

// runMock samples lib for ticks seconds with a fake clock.
func runMock(t *testing.T, lib nvml.Interface, ticks int) *results.Telemetry {
	t.Helper()
	clk := newFakeClock()
	s, err := NewSampler(SamplerOptions{Clock: clk, open: mockOpener(lib)})
	require.NoError(t, err)
	s.Start(context.Background())
	if s.tick != nil { // sampling: NVML opened and found devices
		for range ticks {
			clk.tick()
		}
	}
	return s.Stop()
}

func TestMockNormalRunReachesResultFile(t *testing.T) {
	srv := mockH100s(2)
	tel := runMock(t, srv, 30)
	tel.Finish(24_000)

	// Write a result file with the telemetry and read it back.
	res := results.NewSummary(nil, 0).Result(results.Meta{Backend: "endpoint", Scenario: results.ScenarioInfo{Name: "chat"}})
	res.Telemetry = tel
	path := filepath.Join(t.TempDir(), "run.json")
	var buf bytes.Buffer
	require.NoError(t, results.WriteJSON(&buf, res))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	back, err := results.ReadFile(path)
	require.NoError(t, err)
	got := back.Telemetry
	require.NotNil(t, got)
	require.Equal(t, tel, got, "telemetry survives the JSON round trip unchanged")

	require.Equal(t, results.TelemetryOK, got.Status)
	require.Equal(t, "nvml", got.Source)
	require.Equal(t, "550.54.15", got.DriverVersion)
	require.Equal(t, "12.4", got.CUDAVersion)
	require.Equal(t, int64(32), got.Rounds)
	require.Equal(t, 30.0, got.DurationS)
	require.Equal(t, 55.0, got.AvgUtilizationPct)
	require.Equal(t, uint64(41)<<30, got.PeakMemoryUsedBytes)
	require.Equal(t, (300.0+400.0)*30, got.EnergyJ)
	require.Equal(t, 700.0, got.AvgPowerW)
	require.Equal(t, 0.875, got.JoulesPerOutputToken)
	require.Len(t, got.Devices, 2)
	d := got.Devices[1]
	require.Equal(t, 1, d.Index)
	require.Equal(t, "GPU-00000001-1111-2222-3333-444444444444", d.UUID)
	require.Equal(t, "NVIDIA H100 80GB HBM3", d.Name)
	require.Equal(t, "h100", d.CatalogID)
	require.Equal(t, uint64(80)<<30, d.MemoryTotalBytes)
	require.Equal(t, 700.0, d.PowerLimitW)
	require.Equal(t, 60.0, d.AvgUtilizationPct)
	require.Equal(t, 21.0, d.AvgMemBWUtilPct)
	require.Equal(t, 400.0, d.PeakPowerW)
	require.Equal(t, 1980.0, d.AvgSMClockMHz)
	require.Equal(t, 61.0, d.MaxTemperatureC)
	require.Len(t, d.Timeline.N, 31)
	require.Equal(t, 61.0, d.Timeline.TemperatureC[30])
	require.Equal(t, float64(uint64(41)<<30), d.Timeline.MemoryUsedBytes[0])

	// The summary a user reads.
	var sum bytes.Buffer
	require.NoError(t, got.WriteSummary(&sum))
	golden(t, "summary.golden.txt", sum.Bytes())
}

func TestMockNoLibrary(t *testing.T) {
	// The real loader with a path that does not exist: what a machine
	// without the NVIDIA driver sees.
	missing := nvml.New(nvml.WithLibraryPath(filepath.Join(t.TempDir(), "libnvidia-ml.so.1")))
	failing := mockH100s(1)
	failing.InitFunc = func() nvml.Return { return nvml.ERROR_LIBRARY_NOT_FOUND }
	notLoaded := mockH100s(1)
	notLoaded.InitFunc = func() nvml.Return { return nvml.ERROR_DRIVER_NOT_LOADED }
	for name, tc := range map[string]struct {
		lib    nvml.Interface
		errHas string
	}{
		"real loader": {missing, "libnvidia-ml.so.1) was not found"},
		"mock":        {failing, "libnvidia-ml.so.1) was not found"},
		"no driver":   {notLoaded, "kernel driver is not loaded"},
	} {
		t.Run(name, func(t *testing.T) {
			tel := runMock(t, tc.lib, 3)
			require.Equal(t, results.TelemetryNoNVML, tel.Status)
			require.Contains(t, tel.Error, tc.errHas)
			require.Empty(t, tel.Devices)
			_, err := readInfo(mockOpener(tc.lib))
			require.ErrorIs(t, err, ErrNoNVML)
			require.True(t, IsUnavailable(err))
		})
	}
}

func TestMockNoDevice(t *testing.T) {
	srv := mockH100s(0)
	tel := runMock(t, srv, 3)
	require.Equal(t, results.TelemetryNoDevice, tel.Status)
	require.Equal(t, "no NVIDIA GPU found: NVML (driver 550.54.15) reports 0 devices", tel.Error)
	require.Equal(t, "GPU telemetry: none (no_device): no NVIDIA GPU found: NVML (driver 550.54.15) reports 0 devices; the run proceeds without it", tel.StatusLine())
	require.Len(t, srv.ShutdownCalls(), 1, "NVML is released when there is nothing to sample")
	_, err := readInfo(mockOpener(srv))
	require.ErrorIs(t, err, ErrNoDevice)
}

func TestMockDeviceErrorsMidRun(t *testing.T) {
	srv := mockH100s(2)
	dev := srv.Devices[1].(*server.Device)
	calls := 0
	dev.GetPowerUsageFunc = func() (uint32, nvml.Return) {
		calls++
		if calls > 6 { // describe at Start reads power once, then 5 good samples
			return 0, nvml.ERROR_GPU_IS_LOST
		}
		return 400_000, nvml.SUCCESS
	}
	tel := runMock(t, srv, 10)
	require.Equal(t, results.TelemetryPartial, tel.Status)
	require.Contains(t, tel.Error, "gpu 1 (GPU-00000001-1111-2222-3333-444444444444): power: ")
	good, lost := tel.Devices[0], tel.Devices[1]
	require.Equal(t, int64(12), good.Samples)
	require.Zero(t, good.Errors)
	require.Equal(t, int64(5), lost.Samples)
	require.Equal(t, int64(7), lost.Errors)
	require.Equal(t, 400.0*4, lost.EnergyJ, "energy stops at the last good read (t=4 s)")
	require.Equal(t, 300.0*10+400.0*4, tel.EnergyJ)
	require.Equal(t, []int64{1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0}, lost.Timeline.N)
	require.Len(t, srv.ShutdownCalls(), 1)
}

func TestMockUnsupportedMetrics(t *testing.T) {
	srv := mockH100s(1)
	dev := srv.Devices[0].(*server.Device)
	dev.GetTemperatureFunc = func(nvml.TemperatureSensors) (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	dev.GetPowerUsageFunc = func() (uint32, nvml.Return) { return 0, nvml.ERROR_NOT_SUPPORTED }
	tel := runMock(t, srv, 2)
	require.Equal(t, results.TelemetryOK, tel.Status, "a metric the GPU does not report is not an error")
	d := tel.Devices[0]
	require.Equal(t, []string{"power", "temperature"}, d.Unsupported)
	require.Nil(t, d.Timeline.PowerW)
	require.Zero(t, tel.EnergyJ)
	tel.Finish(1000)
	require.Zero(t, tel.JoulesPerOutputToken, "no power, no energy per token")
}

func TestMockInfo(t *testing.T) {
	info, err := readInfo(mockOpener(mockH100s(2)))
	require.NoError(t, err)
	require.Equal(t, "12.550.54.15", info.NVMLVersion)
	require.Len(t, info.Devices, 2)
	require.Equal(t, DeviceInfo{
		Index: 1, UUID: "GPU-00000001-1111-2222-3333-444444444444", Name: "NVIDIA H100 80GB HBM3", CatalogID: "h100",
		MemoryTotalBytes: 80 << 30, MemoryUsedBytes: 41 << 30, SMClockMHz: 1980, MemClockMHz: 2619, MaxSMClockMHz: 1980, MaxMemClockMHz: 2619,
		PowerW: 400, PowerLimitW: 700, TemperatureC: 61, UtilizationPct: 60,
	}, info.Devices[1])
	var out bytes.Buffer
	require.NoError(t, info.WriteText(&out))
	golden(t, "info.golden.txt", out.Bytes())
}

func TestMockInfoUnidentifiableDevice(t *testing.T) {
	srv := mockH100s(1)
	srv.Devices[0].(*server.Device).GetUUIDFunc = func() (string, nvml.Return) { return "", nvml.ERROR_UNKNOWN }
	_, err := readInfo(mockOpener(srv))
	require.ErrorContains(t, err, "GPU 0: reading its UUID: ")
	require.False(t, IsUnavailable(err))
}

func TestMockWithRealClockAndRace(t *testing.T) {
	// The real ticker, fast: the sampler goroutine and Stop under -race.
	// Stop once the device has been read by ticks (counted), not after a
	// guessed sleep: Start's own round, at least one tick's, Stop's last.
	srv := mockH100s(2)
	var reads atomic.Int64
	dev := srv.Devices[0].(*server.Device)
	util := dev.GetUtilizationRatesFunc
	dev.GetUtilizationRatesFunc = func() (nvml.Utilization, nvml.Return) {
		reads.Add(1)
		return util()
	}
	s, err := NewSampler(SamplerOptions{Interval: MinInterval, open: mockOpener(srv)})
	require.NoError(t, err)
	s.Start(context.Background())
	require.Eventually(t, func() bool { return reads.Load() >= 3 }, 10*time.Second, time.Millisecond)
	tel := s.Stop()
	require.Equal(t, results.TelemetryOK, tel.Status)
	require.GreaterOrEqual(t, tel.Rounds, int64(3))
	require.Greater(t, tel.EnergyJ, 0.0)
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, os.MkdirAll("testdata", 0o755))
		require.NoError(t, os.WriteFile(path, got, 0o644))
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./gpu -update to create %s", path)
	require.Equal(t, string(want), string(got))
}

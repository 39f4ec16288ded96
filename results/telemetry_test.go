package results

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func sampleTelemetry() *Telemetry {
	return &Telemetry{
		Status: TelemetryPartial, Error: "gpu 1 (GPU-b): power: GPU is lost", Source: "nvml",
		DriverVersion: "550.54.15", CUDAVersion: "12.4", DurationS: 30, SampleIntervalS: 1, Rounds: 31,
		AvgUtilizationPct: 55, PeakMemoryUsedBytes: 41 << 30, EnergyJ: 12500, AvgPowerW: 416.667,
		Devices: []*DeviceTelemetry{
			{Index: 0, UUID: "GPU-a", Name: "NVIDIA H100 80GB HBM3", MemoryTotalBytes: 80 << 30, Samples: 31,
				AvgUtilizationPct: 50, AvgMemBWUtilPct: 20, PeakMemoryUsedBytes: 40 << 30, AvgPowerW: 300, PeakPowerW: 310, EnergyJ: 9000,
				AvgSMClockMHz: 1980, MaxTemperatureC: 60, Unsupported: []string{"temperature"}},
			{Index: 1, UUID: "GPU-b", Name: "NVIDIA H100 80GB HBM3", MemoryTotalBytes: 80 << 30, Samples: 10, Errors: 21,
				Error: "gpu 1 (GPU-b): power: GPU is lost", AvgUtilizationPct: 60, PeakMemoryUsedBytes: 41 << 30, AvgPowerW: 350, PeakPowerW: 400, EnergyJ: 3500},
		},
	}
}

func TestTelemetryFinish(t *testing.T) {
	tests := []struct {
		name   string
		tel    *Telemetry
		tokens int64
		want   float64
	}{
		{"energy and tokens", &Telemetry{Status: TelemetryOK, EnergyJ: 1000}, 4000, 0.25},
		{"no tokens", &Telemetry{Status: TelemetryOK, EnergyJ: 1000}, 0, 0},
		{"negative tokens", &Telemetry{Status: TelemetryOK, EnergyJ: 1000}, -5, 0},
		{"no energy", &Telemetry{Status: TelemetryOK}, 4000, 0},
		{"rounded", &Telemetry{Status: TelemetryOK, EnergyJ: 1}, 3, 0.333333},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.tel.Finish(tc.tokens)
			require.Equal(t, tc.want, tc.tel.JoulesPerOutputToken)
		})
	}
	var nilTel *Telemetry
	nilTel.Finish(10) // must not panic
	require.False(t, nilTel.Recorded())
}

func TestTelemetryStatusLine(t *testing.T) {
	tests := []struct {
		tel  *Telemetry
		want string
	}{
		{nil, "GPU telemetry: not recorded"},
		{&Telemetry{Status: TelemetryOff}, "GPU telemetry: off"},
		{&Telemetry{Status: TelemetryNoNVML, Error: "NVML unavailable: no driver"}, "GPU telemetry: none (no_nvml): NVML unavailable: no driver; the run proceeds without it"},
		{&Telemetry{Status: TelemetryNoDevice}, "GPU telemetry: none (no_device); the run proceeds without it"},
		{&Telemetry{Status: TelemetryOK, Rounds: 2, DurationS: 1, EnergyJ: 2e6, JoulesPerOutputToken: 0.5,
			Devices: []*DeviceTelemetry{{Name: "A"}, {Name: "B"}}},
			"GPU telemetry: 2 GPUs (A, B), 2 rounds over 1.0 s, avg utilization 0.0%, peak memory 0.0 GiB, energy 2.00 MJ, 0.5 J/output token"},
		{sampleTelemetry(), "GPU telemetry: 2 × NVIDIA H100 80GB HBM3, 31 rounds over 30.0 s, avg utilization 55.0%, peak memory 41.0 GiB, energy 12.5 kJ (partial: gpu 1 (GPU-b): power: GPU is lost)"},
	}
	for _, tc := range tests {
		require.Equal(t, tc.want, tc.tel.StatusLine())
	}
}

func TestTelemetryWriteSummary(t *testing.T) {
	var b bytes.Buffer
	tel := sampleTelemetry()
	tel.Finish(25000)
	require.NoError(t, tel.WriteSummary(&b))
	require.Equal(t, `GPU telemetry: partial (nvml, driver 550.54.15, CUDA 12.4): gpu 1 (GPU-b): power: GPU is lost
sampled 30.0 s, 31 rounds every 1s
gpu  name                   util %  mem bw %  mem peak GiB  power avg/peak W  energy   sm MHz  temp max C  samples  errors
0    NVIDIA H100 80GB HBM3  50.0    20.0      40.0/80.0     300/310           9.0 kJ   1980    -           31       0
1    NVIDIA H100 80GB HBM3  60.0    0.0       41.0/80.0     350/400           3.5 kJ   0       0           10       21
all                         55.0              41.0          417               12.5 kJ                      41       21
energy per output token: 0.5 J (25000 output tokens)
gpu 0 does not report: temperature
gpu 1: 21 failed reads, first: gpu 1 (GPU-b): power: GPU is lost
`, b.String())

	b.Reset()
	require.NoError(t, (&Telemetry{Status: TelemetryNoDevice, Error: "no GPU"}).WriteSummary(&b))
	require.Equal(t, "GPU telemetry: none (no_device): no GPU; the run proceeds without it\n", b.String())
}

func TestTelemetryDecodes(t *testing.T) {
	r := NewSummary(nil, 0).Result(Meta{Backend: "endpoint", Scenario: ScenarioInfo{Name: "chat"}})
	r.Telemetry = sampleTelemetry()
	r.Telemetry.Devices[0].Timeline = &TelemetrySeries{IntervalS: 1, N: []int64{1, 0}, PowerW: []float64{300, 0}}
	var b bytes.Buffer
	require.NoError(t, WriteJSON(&b, r))
	require.Contains(t, b.String(), `"status": "partial"`)
	back, err := Decode(strings.NewReader(b.String()), "run.json")
	require.NoError(t, err)
	require.Equal(t, r.Telemetry, back.Telemetry)

	_, err = Decode(strings.NewReader(strings.Replace(b.String(), `"rounds": 31`, `"rounds": "31"`, 1)), "run.json")
	require.ErrorContains(t, err, "telemetry.rounds")
}

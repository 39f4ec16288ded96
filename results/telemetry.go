package results

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"text/tabwriter"
)

// Telemetry statuses. Telemetry never fails a run: when it cannot be
// recorded, Status says why and Error holds the detail.
const (
	// TelemetryOK: every sampling round read every selected device.
	TelemetryOK = "ok"
	// TelemetryOff: disabled by the user (--gpu-telemetry off).
	TelemetryOff = "off"
	// TelemetryNoNVML: the NVML library could not be loaded or initialised
	// (no NVIDIA driver, a build without cgo, no permission).
	TelemetryNoNVML = "no_nvml"
	// TelemetryNoDevice: NVML works but no (selected) GPU was found.
	TelemetryNoDevice = "no_device"
	// TelemetryPartial: some reads failed during the run (a device errored
	// or was lost); the samples that succeeded are kept, Error holds the
	// first failure and each device counts its errors.
	TelemetryPartial = "partial"
)

// Telemetry is the GPU telemetry (NVML) recorded during a real run by
// gpu.Sampler: per-device summaries and bounded timelines, plus a summary
// over all sampled devices. Timeline times are relative to StartUnixMs:
// the run's start when the runner started the sampler (so telemetry bucket
// i and the result timeline's bucket i cover the same seconds at equal
// widths), else the first sample.
type Telemetry struct {
	Status        string `json:"status"` // ok | off | no_nvml | no_device | partial
	Error         string `json:"error,omitempty"`
	Source        string `json:"source,omitempty"` // "nvml"
	DriverVersion string `json:"driver_version,omitempty"`
	CUDAVersion   string `json:"cuda_version,omitempty"` // highest CUDA version the driver supports, e.g. "12.4"
	NVMLVersion   string `json:"nvml_version,omitempty"`

	StartUnixMs     int64   `json:"start_unix_ms,omitempty"`     // wall clock of the timeline's origin
	DurationS       float64 `json:"duration_s,omitempty"`        // first to last sampling round (the span EnergyJ covers)
	SampleIntervalS float64 `json:"sample_interval_s,omitempty"` // requested interval between rounds (absent when none ran)
	Rounds          int64   `json:"rounds"`                      // sampling rounds (each reads every device once)

	Devices []*DeviceTelemetry `json:"devices,omitempty"`

	// AvgUtilizationPct is the mean GPU utilization over every successful
	// sample of every device (NVML "GPU busy": share of time a kernel ran).
	AvgUtilizationPct float64 `json:"avg_utilization_pct,omitempty"`
	// PeakMemoryUsedBytes is the highest memory use seen on any one device
	// (the number that decides out-of-memory, not a sum over devices).
	PeakMemoryUsedBytes uint64 `json:"peak_memory_used_bytes,omitempty"`
	// EnergyJ is the energy of all sampled devices, in joules, integrated
	// from power samples with the trapezoidal rule over DurationS.
	EnergyJ float64 `json:"energy_j,omitempty"`
	// AvgPowerW is EnergyJ / DurationS: the mean power of all sampled
	// devices together, in watts.
	AvgPowerW float64 `json:"avg_power_w,omitempty"`
	// The figures above are written only when the sampler recorded
	// (Recorded; MarshalJSON): a recorded 0 stays, the zeros of a sampler
	// that never ran are left out.
	// OutputTokens is the run's output token count given to Finish, and
	// JoulesPerOutputToken is EnergyJ / OutputTokens (0 when unknown).
	OutputTokens         int64   `json:"output_tokens,omitempty"`
	JoulesPerOutputToken float64 `json:"joules_per_output_token,omitempty"`
}

// DeviceTelemetry is one GPU's telemetry: identity, summary and timeline.
type DeviceTelemetry struct {
	Index            int     `json:"index"` // NVML index (not affected by CUDA_VISIBLE_DEVICES)
	UUID             string  `json:"uuid"`
	Name             string  `json:"name"`
	CatalogID        string  `json:"catalog_id,omitempty"` // closest gpu catalog entry, e.g. "h100"
	MemoryTotalBytes uint64  `json:"memory_total_bytes"`
	PowerLimitW      float64 `json:"power_limit_w,omitempty"` // enforced power limit

	Samples     int64    `json:"samples"`               // successful reads
	Errors      int64    `json:"errors"`                // failed reads
	Error       string   `json:"error,omitempty"`       // the first failed read
	Unsupported []string `json:"unsupported,omitempty"` // metrics this device does not report

	AvgUtilizationPct   float64          `json:"avg_utilization_pct"`
	AvgMemBWUtilPct     float64          `json:"avg_mem_bw_utilization_pct"` // NVML memory utilization: share of time memory was read or written
	PeakMemoryUsedBytes uint64           `json:"peak_memory_used_bytes"`
	AvgPowerW           float64          `json:"avg_power_w"` // mean of the power samples
	PeakPowerW          float64          `json:"peak_power_w"`
	EnergyJ             float64          `json:"energy_j"`
	AvgSMClockMHz       float64          `json:"avg_sm_clock_mhz"`
	MaxTemperatureC     float64          `json:"max_temperature_c"`
	Timeline            *TelemetrySeries `json:"timeline,omitempty"`
}

// TelemetrySeries is one device's timeline in fixed-width buckets: bucket i
// covers [i*IntervalS, (i+1)*IntervalS) seconds after StartUnixMs. The
// width starts at the sampling interval and doubles (merging neighbours)
// whenever the run outgrows the bucket cap, so long runs stay bounded.
// A bucket with N 0 had no successful sample; its values are 0. A metric
// the device does not report has no slice.
type TelemetrySeries struct {
	IntervalS       float64   `json:"interval_s"`
	N               []int64   `json:"n"`
	UtilizationPct  []float64 `json:"utilization_pct,omitempty"`        // mean
	MemBWUtilPct    []float64 `json:"mem_bw_utilization_pct,omitempty"` // mean
	MemoryUsedBytes []float64 `json:"memory_used_bytes,omitempty"`      // max
	PowerW          []float64 `json:"power_w,omitempty"`                // mean
	SMClockMHz      []float64 `json:"sm_clock_mhz,omitempty"`           // mean
	TemperatureC    []float64 `json:"temperature_c,omitempty"`          // max
}

// Finish records the run's output tokens and derives the energy per output
// token. Pass the tokens generated while the sampler ran (the whole run,
// warm-up included, since the energy covers it too). Safe on nil.
func (t *Telemetry) Finish(outputTokens int64) {
	if t == nil || outputTokens <= 0 {
		return
	}
	t.OutputTokens = outputTokens
	if t.EnergyJ > 0 {
		t.JoulesPerOutputToken = roundSig(t.EnergyJ / float64(outputTokens))
	}
}

// MarshalJSON writes t's figures (duration, utilization, memory, energy,
// power, output tokens and J per token) only when it recorded samples: a
// sampler that never ran (no NVML, no device, off) measured none of them,
// so they are absent, not 0 (docs/metrics.md, What was not measured is
// absent); a recorded 0, an idle GPU's utilization, is kept.
func (t Telemetry) MarshalJSON() ([]byte, error) {
	type plain Telemetry
	p := plain(t)
	if !t.Recorded() {
		p.DurationS, p.SampleIntervalS, p.AvgUtilizationPct, p.PeakMemoryUsedBytes, p.EnergyJ, p.AvgPowerW = 0, 0, 0, 0, 0, 0
		p.OutputTokens, p.JoulesPerOutputToken = 0, 0
		return json.Marshal(p) // omitempty leaves them out
	}
	return json.Marshal(struct {
		plain
		DurationS           float64 `json:"duration_s"`
		SampleIntervalS     float64 `json:"sample_interval_s"`
		AvgUtilizationPct   float64 `json:"avg_utilization_pct"`
		PeakMemoryUsedBytes uint64  `json:"peak_memory_used_bytes"`
		EnergyJ             float64 `json:"energy_j"`
		AvgPowerW           float64 `json:"avg_power_w"`
	}{p, t.DurationS, t.SampleIntervalS, t.AvgUtilizationPct, t.PeakMemoryUsedBytes, t.EnergyJ, t.AvgPowerW})
}

// Recorded reports whether t holds samples (status ok or partial).
func (t *Telemetry) Recorded() bool {
	return t != nil && (t.Status == TelemetryOK || t.Status == TelemetryPartial) && t.Rounds > 0
}

// StatusLine is the one line a command prints about GPU telemetry, e.g.
// "GPU telemetry: 8 × NVIDIA H100 80GB HBM3, 31 rounds over 30.0 s, avg
// utilization 63.2%, energy 41.3 kJ, 0.52 J/output token" or why there is
// none ("GPU telemetry: none: NVML not found (...); the run proceeds").
func (t *Telemetry) StatusLine() string {
	switch {
	case t == nil:
		return "GPU telemetry: not recorded"
	case t.Status == TelemetryOff:
		return "GPU telemetry: off"
	case !t.Recorded():
		msg := "GPU telemetry: none (" + t.Status + ")"
		if t.Error != "" {
			msg += ": " + t.Error
		}
		return msg + "; the run proceeds without it"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "GPU telemetry: %s, %d rounds over %.1f s, avg utilization %.1f%%, peak memory %.1f GiB, energy %s",
		deviceNames(t.Devices), t.Rounds, t.DurationS, t.AvgUtilizationPct, gib(float64(t.PeakMemoryUsedBytes)), joules(t.EnergyJ))
	if t.JoulesPerOutputToken > 0 {
		fmt.Fprintf(&b, ", %.3g J/output token", t.JoulesPerOutputToken)
	}
	if t.Status == TelemetryPartial {
		fmt.Fprintf(&b, " (partial: %s)", t.Error)
	}
	return b.String()
}

// WriteSummary prints the telemetry as a short report: the status line's
// facts, then one row per device and one for all devices together.
func (t *Telemetry) WriteSummary(w io.Writer) error {
	if !t.Recorded() {
		_, err := fmt.Fprintln(w, t.StatusLine())
		return err
	}
	src := t.Source
	if src == "" {
		src = "unknown source"
	}
	head := fmt.Sprintf("GPU telemetry: %s (%s", t.Status, src)
	if t.DriverVersion != "" {
		head += ", driver " + t.DriverVersion
	}
	if t.CUDAVersion != "" {
		head += ", CUDA " + t.CUDAVersion
	}
	head += ")"
	if t.Error != "" {
		head += ": " + t.Error
	}
	fmt.Fprintln(w, head)
	fmt.Fprintf(w, "sampled %.1f s, %d rounds every %gs\n", t.DurationS, t.Rounds, t.SampleIntervalS)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "gpu\tname\tutil %\tmem bw %\tmem peak GiB\tpower avg/peak W\tenergy\tsm MHz\ttemp max C\tsamples\terrors")
	var samples, errs int64
	for _, d := range t.Devices {
		samples += d.Samples
		errs += d.Errors
		// A metric the device does not report shows as "-", not as 0.
		cell := func(metric, format string, v ...any) string {
			if slices.Contains(d.Unsupported, metric) {
				return "-"
			}
			return fmt.Sprintf(format, v...)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s/%.1f\t%s\t%s\t%s\t%s\t%d\t%d\n",
			d.Index, d.Name, cell("utilization", "%.1f", d.AvgUtilizationPct), cell("mem_bw_utilization", "%.1f", d.AvgMemBWUtilPct),
			cell("memory_used", "%.1f", gib(float64(d.PeakMemoryUsedBytes))), gib(float64(d.MemoryTotalBytes)),
			cell("power", "%.0f/%.0f", d.AvgPowerW, d.PeakPowerW), cell("power", "%s", joules(d.EnergyJ)),
			cell("sm_clock", "%.0f", d.AvgSMClockMHz), cell("temperature", "%.0f", d.MaxTemperatureC), d.Samples, d.Errors)
	}
	fmt.Fprintf(tw, "all\t\t%.1f\t\t%.1f\t%.0f\t%s\t\t\t%d\t%d\n",
		t.AvgUtilizationPct, gib(float64(t.PeakMemoryUsedBytes)), t.AvgPowerW, joules(t.EnergyJ), samples, errs)
	if err := tw.Flush(); err != nil {
		return err
	}
	if t.JoulesPerOutputToken > 0 {
		fmt.Fprintf(w, "energy per output token: %.4g J (%d output tokens)\n", t.JoulesPerOutputToken, t.OutputTokens)
	} else {
		fmt.Fprintln(w, "energy per output token: unknown (no output tokens or no power readings)")
	}
	for _, d := range t.Devices {
		if d.Error != "" {
			fmt.Fprintf(w, "gpu %d: %d failed reads, first: %s\n", d.Index, d.Errors, d.Error)
		}
		if len(d.Unsupported) > 0 {
			fmt.Fprintf(w, "gpu %d does not report: %s\n", d.Index, strings.Join(d.Unsupported, ", "))
		}
	}
	return nil
}

// deviceNames summarises device names: "8 × NVIDIA H100 80GB HBM3" when all
// are alike, otherwise "2 GPUs (A, B)".
func deviceNames(ds []*DeviceTelemetry) string {
	if len(ds) == 0 {
		return "no GPUs"
	}
	same := true
	for _, d := range ds[1:] {
		same = same && d.Name == ds[0].Name
	}
	if same {
		return fmt.Sprintf("%d × %s", len(ds), ds[0].Name)
	}
	names := make([]string, len(ds))
	for i, d := range ds {
		names[i] = d.Name
	}
	return fmt.Sprintf("%d GPUs (%s)", len(ds), strings.Join(names, ", "))
}

func gib(b float64) float64 { return b / (1 << 30) }

// joules renders an energy with a unit that keeps 3-4 digits.
func joules(j float64) string {
	switch a := math.Abs(j); {
	case a >= 1e6:
		return fmt.Sprintf("%.2f MJ", j/1e6)
	case a >= 1e3:
		return fmt.Sprintf("%.1f kJ", j/1e3)
	default:
		return fmt.Sprintf("%.1f J", j)
	}
}

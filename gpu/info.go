// Package gpu reads the GPUs of this machine: device info (ReadInfo) and
// the NVML telemetry sampler. The hardware catalog the simulator prices and
// models with is package hardware, which links no NVML.
package gpu

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode"

	"github.com/fleetbench/fleetbench/hardware"
)

// DeviceInfo describes one GPU as NVML reports it. Dynamic fields (memory
// used, clocks, power, temperature) are a snapshot at the time of reading.
// A field the device does not report is 0.
type DeviceInfo struct {
	Index            int     `json:"index"` // NVML index (ignores CUDA_VISIBLE_DEVICES)
	UUID             string  `json:"uuid"`
	Name             string  `json:"name"`
	CatalogID        string  `json:"catalog_id,omitempty"` // closest catalog entry (see CatalogMatch)
	MemoryTotalBytes uint64  `json:"memory_total_bytes"`
	MemoryUsedBytes  uint64  `json:"memory_used_bytes"`
	SMClockMHz       uint32  `json:"sm_clock_mhz"`
	MemClockMHz      uint32  `json:"mem_clock_mhz"`
	MaxSMClockMHz    uint32  `json:"max_sm_clock_mhz"`
	MaxMemClockMHz   uint32  `json:"max_mem_clock_mhz"`
	PowerW           float64 `json:"power_w"`
	PowerLimitW      float64 `json:"power_limit_w"` // enforced limit
	TemperatureC     uint32  `json:"temperature_c"`
	UtilizationPct   uint32  `json:"utilization_pct"`
}

// Info is what `fleetbench gpu info` prints.
type Info struct {
	DriverVersion string       `json:"driver_version"`
	CUDAVersion   string       `json:"cuda_version"` // highest CUDA the driver supports
	NVMLVersion   string       `json:"nvml_version"`
	Devices       []DeviceInfo `json:"devices"`
}

// ReadInfo opens NVML and describes every GPU. The error wraps ErrNoNVML
// when NVML is unavailable and ErrNoDevice when it sees no GPU; callers
// print such errors as one line and carry on.
func ReadInfo() (*Info, error) { return readInfo(openNVML) }

func readInfo(open opener) (info *Info, err error) {
	s, err := open()
	if err != nil {
		return nil, err
	}
	defer s.shutdown()
	defer recoverTo(&err, "gpu info")
	info = &Info{}
	info.DriverVersion, info.CUDAVersion, info.NVMLVersion = s.versions()
	devs, err := s.devices()
	if err != nil {
		return nil, err
	}
	if len(devs) == 0 {
		return nil, fmt.Errorf("%w: NVML (driver %s) reports 0 devices", ErrNoDevice, info.DriverVersion)
	}
	for _, d := range devs {
		di, err := d.describe()
		if err != nil {
			return nil, err
		}
		info.Devices = append(info.Devices, di)
	}
	return info, nil
}

// WriteText prints the info as a header line and a device table.
func (in *Info) WriteText(w io.Writer) error {
	fmt.Fprintf(w, "driver %s, CUDA %s, NVML %s, %d GPU(s)\n",
		dash(in.DriverVersion), dash(in.CUDAVersion), dash(in.NVMLVersion), len(in.Devices))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "gpu\tname\tcatalog\tuuid\tmemory used/total GiB\tsm MHz (max)\tmem MHz (max)\tpower/limit W\ttemp C\tutil %")
	for _, d := range in.Devices {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%.1f/%.1f\t%d (%d)\t%d (%d)\t%.0f/%.0f\t%d\t%d\n",
			d.Index, d.Name, dash(d.CatalogID), d.UUID,
			float64(d.MemoryUsedBytes)/(1<<30), float64(d.MemoryTotalBytes)/(1<<30),
			d.SMClockMHz, d.MaxSMClockMHz, d.MemClockMHz, d.MaxMemClockMHz,
			d.PowerW, d.PowerLimitW, d.TemperatureC, d.UtilizationPct)
	}
	return tw.Flush()
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// CatalogMatch maps an NVML device name ("NVIDIA H100 80GB HBM3",
// "NVIDIA A100-SXM4-80GB", "NVIDIA L40S") to the catalog ID of the same GPU
// family ("h100", "a100", "l40s"), or "" when none matches. The match is
// by family: an H100 PCIe maps to the SXM entry, whose figures are higher,
// so cost and performance from the catalog are an upper bound there.
func CatalogMatch(name string) string {
	words := strings.FieldsFunc(strings.ToLower(name), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r)
	})
	for _, w := range words {
		if _, err := hardware.Lookup(w); err == nil {
			return w
		}
	}
	return ""
}

// IsUnavailable reports whether err only says that there is no NVML or no
// GPU here (ErrNoNVML, ErrNoDevice): not a failure for a benchmark.
func IsUnavailable(err error) bool {
	return errors.Is(err, ErrNoNVML) || errors.Is(err, ErrNoDevice)
}

// recoverTo turns a panic inside an NVML call into an error: a driver
// binding that misbehaves must not take the benchmark run down with it.
func recoverTo(err *error, what string) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("%s: NVML call panicked: %v", what, r)
	}
}

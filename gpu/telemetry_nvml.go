//go:build cgo

package gpu

import (
	"fmt"

	"github.com/NVIDIA/go-nvml/pkg/nvml"
)

// openNVML opens the system's NVML (libnvidia-ml.so.1, loaded at run time
// by go-nvml, so the binary still starts on machines without a driver).
func openNVML() (session, error) { return openNVMLWith(nvml.New()) }

// openNVMLWith initialises lib (the real library or go-nvml's mock).
func openNVMLWith(lib nvml.Interface) (s session, err error) {
	defer recoverTo(&err, "NVML init")
	switch ret := lib.Init(); ret {
	case nvml.SUCCESS:
		return &nvmlSession{lib: lib}, nil
	case nvml.ERROR_LIBRARY_NOT_FOUND:
		return nil, fmt.Errorf("%w: the NVML library (libnvidia-ml.so.1) was not found: no NVIDIA driver is installed on this machine, or its libraries are not on the loader path", ErrNoNVML)
	case nvml.ERROR_DRIVER_NOT_LOADED:
		return nil, fmt.Errorf("%w: the NVIDIA kernel driver is not loaded (NVML: %v)", ErrNoNVML, ret)
	case nvml.ERROR_NO_PERMISSION:
		return nil, fmt.Errorf("%w: no permission to open the GPU devices (NVML: %v): check access to /dev/nvidia*", ErrNoNVML, ret)
	default:
		return nil, fmt.Errorf("%w: NVML initialisation failed: %v", ErrNoNVML, ret)
	}
}

type nvmlSession struct{ lib nvml.Interface }

func (s *nvmlSession) versions() (driver, cuda, nvmlVersion string) {
	if v, ret := s.lib.SystemGetDriverVersion(); ret == nvml.SUCCESS {
		driver = v
	}
	if v, ret := s.lib.SystemGetCudaDriverVersion(); ret == nvml.SUCCESS && v > 0 {
		// NVML encodes CUDA 12.4 as 12040.
		cuda = fmt.Sprintf("%d.%d", v/1000, v%1000/10)
	}
	if v, ret := s.lib.SystemGetNVMLVersion(); ret == nvml.SUCCESS {
		nvmlVersion = v
	}
	return driver, cuda, nvmlVersion
}

func (s *nvmlSession) devices() ([]device, error) {
	n, ret := s.lib.DeviceGetCount()
	if ret != nvml.SUCCESS {
		return nil, fmt.Errorf("NVML: counting GPUs: %v", ret)
	}
	out := make([]device, 0, n)
	for i := range n {
		h, ret := s.lib.DeviceGetHandleByIndex(i)
		if ret != nvml.SUCCESS {
			return nil, fmt.Errorf("NVML: opening GPU %d: %v", i, ret)
		}
		out = append(out, &nvmlDevice{index: i, h: h})
	}
	return out, nil
}

func (s *nvmlSession) shutdown() {
	defer func() { _ = recover() }() // nothing useful to do with a failed shutdown
	s.lib.Shutdown()
}

type nvmlDevice struct {
	index int
	h     nvml.Device
}

// ok reports whether ret is a value; NOT_SUPPORTED is "no value" and
// anything else is an error naming what was read.
func ok(what string, ret nvml.Return) (bool, error) {
	switch ret {
	case nvml.SUCCESS:
		return true, nil
	case nvml.ERROR_NOT_SUPPORTED:
		return false, nil
	}
	return false, fmt.Errorf("%s: %v", what, ret)
}

func (d *nvmlDevice) describe() (in DeviceInfo, err error) {
	defer recoverTo(&err, fmt.Sprintf("GPU %d", d.index))
	in.Index = d.index
	var ret nvml.Return
	if in.UUID, ret = d.h.GetUUID(); ret != nvml.SUCCESS {
		return in, fmt.Errorf("GPU %d: reading its UUID: %v", d.index, ret)
	}
	if in.Name, ret = d.h.GetName(); ret != nvml.SUCCESS {
		return in, fmt.Errorf("GPU %d (%s): reading its name: %v", d.index, in.UUID, ret)
	}
	in.CatalogID = CatalogMatch(in.Name)
	// The rest is best effort: a value the device withholds stays 0.
	if m, ret := d.h.GetMemoryInfo(); ret == nvml.SUCCESS {
		in.MemoryTotalBytes, in.MemoryUsedBytes = m.Total, m.Used
	}
	if v, ret := d.h.GetClockInfo(nvml.CLOCK_SM); ret == nvml.SUCCESS {
		in.SMClockMHz = v
	}
	if v, ret := d.h.GetClockInfo(nvml.CLOCK_MEM); ret == nvml.SUCCESS {
		in.MemClockMHz = v
	}
	if v, ret := d.h.GetMaxClockInfo(nvml.CLOCK_SM); ret == nvml.SUCCESS {
		in.MaxSMClockMHz = v
	}
	if v, ret := d.h.GetMaxClockInfo(nvml.CLOCK_MEM); ret == nvml.SUCCESS {
		in.MaxMemClockMHz = v
	}
	if v, ret := d.h.GetPowerUsage(); ret == nvml.SUCCESS {
		in.PowerW = float64(v) / 1000
	}
	if v, ret := d.h.GetEnforcedPowerLimit(); ret == nvml.SUCCESS {
		in.PowerLimitW = float64(v) / 1000
	}
	if v, ret := d.h.GetTemperature(nvml.TEMPERATURE_GPU); ret == nvml.SUCCESS {
		in.TemperatureC = v
	}
	if u, ret := d.h.GetUtilizationRates(); ret == nvml.SUCCESS {
		in.UtilizationPct = u.Gpu
	}
	return in, nil
}

func (d *nvmlDevice) read() (r reading, err error) {
	u, ret := d.h.GetUtilizationRates()
	if has, err := ok("utilization", ret); err != nil {
		return r, err
	} else if has {
		r.set(mUtil, float64(u.Gpu))
		r.set(mMemUtil, float64(u.Memory))
	}
	m, ret := d.h.GetMemoryInfo()
	if has, err := ok("memory", ret); err != nil {
		return r, err
	} else if has {
		r.set(mMemUsed, float64(m.Used))
	}
	p, ret := d.h.GetPowerUsage()
	if has, err := ok("power", ret); err != nil {
		return r, err
	} else if has {
		r.set(mPower, float64(p)/1000) // NVML reports milliwatts
	}
	c, ret := d.h.GetClockInfo(nvml.CLOCK_SM)
	if has, err := ok("SM clock", ret); err != nil {
		return r, err
	} else if has {
		r.set(mSMClock, float64(c))
	}
	t, ret := d.h.GetTemperature(nvml.TEMPERATURE_GPU)
	if has, err := ok("temperature", ret); err != nil {
		return r, err
	} else if has {
		r.set(mTemp, float64(t))
	}
	return r, nil
}

package gpu

import (
	"errors"
	"time"
)

// ErrNoNVML is wrapped by errors that mean NVML could not be used at all:
// the library is missing (no NVIDIA driver), fails to initialise, or this
// binary was built without cgo. Commands treat it as "no GPU here", not as
// a failure.
var ErrNoNVML = errors.New("NVML unavailable")

// ErrNoDevice is wrapped by errors that mean NVML works but found no GPU
// (or none of the GPUs asked for).
var ErrNoDevice = errors.New("no NVIDIA GPU found")

// Metric indexes one sampled quantity. The order is the order of
// reading.v and of the result's series.
type metric int

const (
	mUtil    metric = iota // GPU utilization, percent
	mMemUtil               // memory bandwidth utilization, percent
	mMemUsed               // memory used, bytes
	mPower                 // power draw, watts
	mSMClock               // SM clock, MHz
	mTemp                  // GPU temperature, degrees C
	numMetrics
)

// metricNames are the names used in DeviceTelemetry.Unsupported.
var metricNames = [numMetrics]string{"utilization", "mem_bw_utilization", "memory_used", "power", "sm_clock", "temperature"}

// reading is one successful read of one device. have marks the metrics the
// device reported; a metric it does not support (NVML NOT_SUPPORTED) is
// simply absent rather than an error.
type reading struct {
	v    [numMetrics]float64
	have [numMetrics]bool
}

func (r *reading) set(m metric, v float64) { r.v[m], r.have[m] = v, true }

// session is an open NVML session. The NVML implementation lives in a
// cgo-only file, so that the rest of the package (and the catalog the
// simulator uses) builds without cgo; tests substitute go-nvml's mock.
type session interface {
	// versions returns the driver, CUDA (as "12.4") and NVML versions;
	// any of them may be empty when the driver does not report it.
	versions() (driver, cuda, nvmlVersion string)
	// devices returns every GPU NVML sees, in NVML index order.
	devices() ([]device, error)
	// shutdown releases NVML.
	shutdown()
}

// device is one GPU handle.
type device interface {
	// describe reads identity and static facts plus a snapshot of the
	// dynamic ones (for `gpu info`). It fails only when the device cannot
	// even be identified; a fact the device does not report stays zero.
	describe() (DeviceInfo, error)
	// read samples the dynamic metrics.
	read() (reading, error)
}

// opener opens an NVML session; openNVML (cgo or not) is the default.
type opener func() (session, error)

// Clock is the sampler's time source, injectable so tests are fast and
// deterministic. SystemClock is the real one.
type Clock interface {
	Now() time.Time
	NewTicker(d time.Duration) Ticker
}

// Ticker delivers ticks on C until stopped, like time.Ticker.
type Ticker interface {
	C() <-chan time.Time
	Stop()
}

// SystemClock returns the wall clock.
func SystemClock() Clock { return systemClock{} }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) NewTicker(d time.Duration) Ticker { return sysTicker{time.NewTicker(d)} }

type sysTicker struct{ t *time.Ticker }

func (s sysTicker) C() <-chan time.Time { return s.t.C }
func (s sysTicker) Stop()               { s.t.Stop() }

package gpu

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetbench/fleetbench/results"
)

// DefaultInterval is the sampling interval when none is given. NVML
// refreshes utilization over a 1/6 s to 1 s window and power every ~100 ms
// depending on the GPU, so finer sampling mostly repeats values.
const DefaultInterval = time.Second

// MinInterval is the finest interval accepted.
const MinInterval = 10 * time.Millisecond

// SamplerOptions configure a Sampler. The zero value samples every GPU
// once a second with the wall clock.
type SamplerOptions struct {
	// Interval between sampling rounds; 0 means DefaultInterval.
	Interval time.Duration
	// Devices selects GPUs by NVML index ("0") or UUID ("GPU-…"); empty
	// means every GPU NVML sees.
	Devices []string
	// MaxPoints bounds each device's timeline; 0 means DefaultMaxPoints.
	MaxPoints int
	// Clock is the time source; nil means SystemClock().
	Clock Clock
	// Disabled makes a sampler that reads nothing and reports status "off".
	Disabled bool
	// Epoch is the timeline's time origin, normally the run's start, so
	// that telemetry bucket i covers the same seconds as bucket i of the
	// result's timeline. Zero means the first sample.
	Epoch time.Time

	// open replaces NVML in tests.
	open opener
}

// Sampler records GPU telemetry while a run executes: Start opens NVML and
// begins sampling in a goroutine, Stop ends it and returns the telemetry.
// Nothing it meets fails the run: a missing library, no GPU or a device
// that errors mid-run is written into the telemetry's Status and Error.
type Sampler struct {
	opts SamplerOptions

	mu       sync.Mutex // guards the fields below against Start/Stop races
	started  bool
	stopped  bool
	result   *results.Telemetry
	sess     session
	devs     []device
	accs     []*devAcc
	t0, last time.Time // origin of offsets (Epoch or first sample), last round
	first    time.Time // first round
	versions [3]string // driver, CUDA, NVML: read at open, before shutdown
	rounds   int64
	tick     Ticker
	stop     chan struct{}
	done     chan struct{}
}

// NewSampler validates opts and returns a sampler that has not started.
func NewSampler(opts SamplerOptions) (*Sampler, error) {
	switch {
	case opts.Interval < 0:
		return nil, fmt.Errorf("gpu telemetry: interval %v is negative: give a positive interval such as 1s", opts.Interval)
	case opts.Interval == 0:
		opts.Interval = DefaultInterval
	case opts.Interval < MinInterval:
		return nil, fmt.Errorf("gpu telemetry: interval %v is below the minimum %v: NVML does not refresh faster", opts.Interval, MinInterval)
	}
	switch {
	case opts.MaxPoints < 0:
		return nil, fmt.Errorf("gpu telemetry: max points %d is negative: give 0 for the default %d", opts.MaxPoints, DefaultMaxPoints)
	case opts.MaxPoints == 0:
		opts.MaxPoints = DefaultMaxPoints
	case opts.MaxPoints < 2:
		return nil, fmt.Errorf("gpu telemetry: max points %d is too small: keep at least 2", opts.MaxPoints)
	}
	for _, d := range opts.Devices {
		if !validDeviceRef(d) {
			return nil, fmt.Errorf("gpu telemetry: device %q: want an NVML index such as 0 or a UUID such as GPU-5f3c…", d)
		}
	}
	if opts.Clock == nil {
		opts.Clock = SystemClock()
	}
	if opts.open == nil {
		opts.open = openNVML
	}
	return &Sampler{opts: opts}, nil
}

// validDeviceRef accepts an index or an NVML UUID (GPU-… or MIG-…).
func validDeviceRef(s string) bool {
	if _, err := strconv.ParseUint(s, 10, 16); err == nil {
		return true
	}
	return (strings.HasPrefix(s, "GPU-") || strings.HasPrefix(s, "MIG-")) && len(s) > 4
}

// TelemetryFromFlag builds the sampler for the --gpu-telemetry flag:
// "auto" (or "") samples every GPU when NVML is present, "off" records
// nothing, and a comma-separated list of NVML indices or UUIDs ("0,1",
// "GPU-5f3c…") samples only those GPUs. The error is for bad flag values
// only; a machine without GPUs is not an error.
func TelemetryFromFlag(mode string) (*Sampler, error) {
	mode = strings.TrimSpace(mode)
	switch strings.ToLower(mode) {
	case "", "auto":
		return NewSampler(SamplerOptions{})
	case "off":
		return NewSampler(SamplerOptions{Disabled: true})
	}
	var devs []string
	for _, f := range strings.Split(mode, ",") {
		f = strings.TrimSpace(f)
		if !validDeviceRef(f) {
			return nil, fmt.Errorf("--gpu-telemetry %q: %q is neither auto, off, an NVML GPU index (0, 1, …) nor a GPU UUID (GPU-…); "+
				"use auto, off or a comma-separated list such as 0,1", mode, f)
		}
		devs = append(devs, f)
	}
	return NewSampler(SamplerOptions{Devices: devs})
}

// Start opens NVML, takes the first sample and starts sampling every
// interval until Stop or until ctx is done. It never fails: when NVML or
// the GPUs are missing, Stop reports that. A second Start does nothing.
func (s *Sampler) Start(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	if s.opts.Disabled {
		s.result = &results.Telemetry{Status: results.TelemetryOff}
		return
	}
	if err := s.open(); err != nil {
		s.result = unavailable(err)
		return
	}
	s.first = s.opts.Clock.Now()
	s.t0 = s.first
	if !s.opts.Epoch.IsZero() && !s.opts.Epoch.After(s.first) {
		s.t0 = s.opts.Epoch
	}
	s.sampleRound(s.first)
	s.tick = s.opts.Clock.NewTicker(s.opts.Interval)
	s.stop, s.done = make(chan struct{}), make(chan struct{})
	go s.loop(ctx)
}

// StatusLine says in one line whether telemetry is being recorded, for a
// command to print after Start ("GPU telemetry: sampling 8 GPUs every 1s"
// or why not).
func (s *Sampler) StatusLine() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.result != nil:
		return s.result.StatusLine()
	case !s.started:
		return "GPU telemetry: not started"
	}
	return fmt.Sprintf("GPU telemetry: sampling %d GPU(s) every %v", len(s.devs), s.opts.Interval)
}

// open opens NVML and resolves the selected devices.
func (s *Sampler) open() (err error) {
	sess, err := s.opts.open()
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			sess.shutdown()
		}
	}()
	defer recoverTo(&err, "gpu telemetry")
	s.versions[0], s.versions[1], s.versions[2] = sess.versions()
	devs, err := sess.devices()
	if err != nil {
		return err
	}
	if len(devs) == 0 {
		return fmt.Errorf("%w: NVML (driver %s) reports 0 devices", ErrNoDevice, dash(s.versions[0]))
	}
	infos := make([]DeviceInfo, len(devs))
	for i, d := range devs {
		if infos[i], err = d.describe(); err != nil {
			return err
		}
	}
	picked, err := pickDevices(infos, s.opts.Devices)
	if err != nil {
		return err
	}
	s.sess = sess
	for _, i := range picked {
		s.devs = append(s.devs, devs[i])
		s.accs = append(s.accs, newDevAcc(infos[i], s.opts.Interval, s.opts.MaxPoints))
	}
	return nil
}

// pickDevices returns the positions in infos selected by refs (all when
// refs is empty), in the order given, without duplicates.
func pickDevices(infos []DeviceInfo, refs []string) ([]int, error) {
	if len(refs) == 0 {
		out := make([]int, len(infos))
		for i := range out {
			out[i] = i
		}
		return out, nil
	}
	var out []int
	seen := map[int]bool{}
	for _, ref := range refs {
		found := -1
		for i, in := range infos {
			if strconv.Itoa(in.Index) == ref || in.UUID == ref {
				found = i
				break
			}
		}
		if found < 0 {
			return nil, fmt.Errorf("%w: GPU %q is not on this machine (NVML sees %d GPU(s), indices 0..%d; `fleetbench gpu info` lists their UUIDs)",
				ErrNoDevice, ref, len(infos), len(infos)-1)
		}
		if !seen[found] {
			seen[found] = true
			out = append(out, found)
		}
	}
	return out, nil
}

// unavailable is the telemetry of a sampler that could not start.
func unavailable(err error) *results.Telemetry {
	// Anything but a missing NVML means no usable device: NVML loaded,
	// but the GPUs asked for are absent or cannot even be identified.
	t := &results.Telemetry{Status: results.TelemetryNoDevice, Source: "nvml", Error: err.Error()}
	if errors.Is(err, ErrNoNVML) {
		t.Status = results.TelemetryNoNVML
	}
	return t
}

func (s *Sampler) loop(ctx context.Context) {
	defer close(s.done)
	for {
		select {
		case <-s.stop:
			return
		case <-ctx.Done():
			return
		case now := <-s.tick.C():
			// Stamp the round with the tick's time: it is when the round
			// was due, off by at most one NVML call from the reads, and it
			// keeps fake-clock tests free of timing races.
			s.sampleRound(now)
		}
	}
}

// sampleRound reads every selected device once at time now. It runs on
// the loop goroutine, or on the caller's before the loop starts and after
// it has ended, so the accumulators need no lock.
func (s *Sampler) sampleRound(now time.Time) {
	at := now.Sub(s.t0)
	for i, d := range s.devs {
		r, err := safeRead(d)
		if err != nil {
			s.accs[i].fail(at, fmt.Errorf("gpu %d (%s): %w", s.accs[i].info.Index, s.accs[i].info.UUID, err))
			continue
		}
		s.accs[i].add(at, &r)
	}
	s.rounds++
	s.last = now
}

func safeRead(d device) (r reading, err error) {
	defer recoverTo(&err, "read")
	return d.read()
}

// Stop ends sampling, takes a closing sample (so the energy covers the
// whole run), releases NVML and returns the telemetry. Later calls return
// the same telemetry. Call Finish on it with the run's output tokens.
func (s *Sampler) Stop() *results.Telemetry {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return s.result
	}
	s.stopped = true
	if !s.started {
		s.result = &results.Telemetry{Status: results.TelemetryOff, Error: "the sampler was stopped before it was started"}
		return s.result
	}
	if s.result != nil { // off or unavailable
		return s.result
	}
	close(s.stop)
	<-s.done
	s.tick.Stop()
	s.sampleRound(s.opts.Clock.Now())
	s.sess.shutdown()
	s.result = s.build()
	return s.result
}

// build assembles the telemetry from the accumulators.
func (s *Sampler) build() *results.Telemetry {
	t := &results.Telemetry{
		Status: results.TelemetryOK, Source: "nvml",
		StartUnixMs:     s.t0.UnixMilli(),
		DurationS:       roundSig(s.last.Sub(s.first).Seconds()),
		SampleIntervalS: s.opts.Interval.Seconds(),
		Rounds:          s.rounds,
	}
	t.DriverVersion, t.CUDAVersion, t.NVMLVersion = s.versions[0], s.versions[1], s.versions[2]
	for _, a := range s.accs {
		t.Devices = append(t.Devices, a.export())
		if a.errors > 0 && t.Status == results.TelemetryOK {
			t.Status, t.Error = results.TelemetryPartial, a.firstErr
		}
	}
	summarize(t, s.accs)
	return t
}

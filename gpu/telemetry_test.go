package gpu

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/fleetbench/fleetbench/results"
)

// fakeClock delivers ticks only when the test calls tick, on an unbuffered
// channel: tick returns once the sampler has taken the tick, and the next
// tick (or Stop) waits until that round is done, so runs are deterministic.
type fakeClock struct {
	mu       sync.Mutex
	now      time.Time
	interval time.Duration
	ch       chan time.Time
	stopped  bool
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC), ch: make(chan time.Time)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) NewTicker(d time.Duration) Ticker {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.interval = d
	return fakeTicker{c}
}

// tick advances the clock by the ticker interval and delivers the tick.
func (c *fakeClock) tick() {
	c.mu.Lock()
	c.now = c.now.Add(c.interval)
	t := c.now
	c.mu.Unlock()
	c.ch <- t
}

// advance moves the clock without a tick (for the closing sample).
func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

type fakeTicker struct{ c *fakeClock }

func (t fakeTicker) C() <-chan time.Time { return t.c.ch }
func (t fakeTicker) Stop() {
	t.c.mu.Lock()
	defer t.c.mu.Unlock()
	t.c.stopped = true
}

// fakeDevice replays readings; read k returns script(k).
type fakeDevice struct {
	info   DeviceInfo
	calls  int
	script func(k int) (reading, error)
}

func (d *fakeDevice) describe() (DeviceInfo, error) { return d.info, nil }
func (d *fakeDevice) read() (reading, error) {
	k := d.calls
	d.calls++
	return d.script(k)
}

type fakeSession struct {
	devs   []device
	err    error
	closed bool
}

func (s *fakeSession) versions() (string, string, string) { return "550.54.15", "12.4", "12.550.54.15" }
func (s *fakeSession) devices() ([]device, error)         { return s.devs, s.err }
func (s *fakeSession) shutdown()                          { s.closed = true }

func constReading(util, power float64) func(int) (reading, error) {
	return func(int) (reading, error) {
		var r reading
		r.set(mUtil, util)
		r.set(mMemUtil, util/2)
		r.set(mMemUsed, 40<<30)
		r.set(mPower, power)
		r.set(mSMClock, 1980)
		r.set(mTemp, 60)
		return r, nil
	}
}

func newTestSampler(t *testing.T, sess *fakeSession, opts SamplerOptions) (*Sampler, *fakeClock) {
	t.Helper()
	clk := newFakeClock()
	opts.Clock = clk
	opts.open = func() (session, error) {
		if sess.err != nil && sess.devs == nil {
			return nil, sess.err
		}
		return sess, nil
	}
	s, err := NewSampler(opts)
	require.NoError(t, err)
	return s, clk
}

func TestSamplerFakeRun(t *testing.T) {
	sess := &fakeSession{devs: []device{
		&fakeDevice{info: DeviceInfo{Index: 0, UUID: "GPU-a", Name: "NVIDIA H100 80GB HBM3", CatalogID: "h100", MemoryTotalBytes: 80 << 30, PowerLimitW: 700}, script: constReading(50, 300)},
		&fakeDevice{info: DeviceInfo{Index: 1, UUID: "GPU-b", Name: "NVIDIA H100 80GB HBM3"}, script: constReading(70, 500)},
	}}
	s, clk := newTestSampler(t, sess, SamplerOptions{})
	s.Start(context.Background())
	require.Equal(t, "GPU telemetry: sampling 2 GPU(s) every 1s", s.StatusLine())
	for range 10 {
		clk.tick()
	}
	clk.advance(500 * time.Millisecond)
	tel := s.Stop()
	require.True(t, sess.closed, "Stop releases NVML")
	require.Same(t, tel, s.Stop(), "a second Stop returns the same telemetry")

	require.Equal(t, results.TelemetryOK, tel.Status)
	require.Equal(t, int64(12), tel.Rounds, "start + 10 ticks + closing sample")
	require.Equal(t, 10.5, tel.DurationS)
	require.Equal(t, "12.4", tel.CUDAVersion)
	require.Equal(t, 60.0, tel.AvgUtilizationPct)
	require.Equal(t, (300.0+500.0)*10.5, tel.EnergyJ)
	require.Equal(t, 800.0, tel.AvgPowerW)
	require.Equal(t, uint64(40<<30), tel.PeakMemoryUsedBytes)
	require.Len(t, tel.Devices, 2)
	d := tel.Devices[0]
	require.Equal(t, "h100", d.CatalogID)
	require.Equal(t, int64(12), d.Samples)
	require.Equal(t, 300.0*10.5, d.EnergyJ)
	require.Equal(t, 25.0, d.AvgMemBWUtilPct)
	require.Empty(t, d.Unsupported)
	require.Equal(t, 1.0, d.Timeline.IntervalS)
	// Samples at 0..10 s and 10.5 s: bucket 10 holds two.
	require.Equal(t, []int64{1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2}, d.Timeline.N)
	require.Equal(t, 300.0, d.Timeline.PowerW[10])

	tel.Finish(8400)
	require.Equal(t, 1.0, tel.JoulesPerOutputToken)
}

func TestSamplerDownsamplesLongRuns(t *testing.T) {
	sess := &fakeSession{devs: []device{&fakeDevice{info: DeviceInfo{UUID: "GPU-a"}, script: func(k int) (reading, error) {
		var r reading
		r.set(mUtil, float64(k%2*100)) // alternates 0, 100
		r.set(mPower, 100)
		r.set(mTemp, float64(k)) // rising: the bucket max is its last sample
		return r, nil
	}}}}
	s, clk := newTestSampler(t, sess, SamplerOptions{MaxPoints: 8, Interval: 100 * time.Millisecond})
	s.Start(context.Background())
	for range 99 {
		clk.tick()
	}
	tel := s.Stop() // closing sample at 9.9 s, same time as the last tick
	d := tel.Devices[0]
	require.LessOrEqual(t, len(d.Timeline.N), 8)
	require.Equal(t, 1.6, d.Timeline.IntervalS, "0.1 s doubled four times to fit 9.9 s in 8 buckets")
	var n int64
	for _, c := range d.Timeline.N {
		n += c
	}
	require.Equal(t, int64(101), n, "downsampling keeps every sample's weight")
	require.Equal(t, 50.0, d.Timeline.UtilizationPct[0], "16 alternating samples average to 50")
	require.Equal(t, 15.0, d.Timeline.TemperatureC[0], "temperature keeps the bucket max")
	require.Equal(t, []string{"mem_bw_utilization", "memory_used", "sm_clock"}, d.Unsupported)
	require.Nil(t, d.Timeline.SMClockMHz, "an unsupported metric has no series")
	require.InDelta(t, 100*9.9, tel.EnergyJ, 1e-9)
}

func TestSamplerDeviceErrorsMidRunFake(t *testing.T) {
	lost := errors.New("GPU is lost")
	sess := &fakeSession{devs: []device{&fakeDevice{info: DeviceInfo{UUID: "GPU-a"}, script: func(k int) (reading, error) {
		if k >= 3 {
			return reading{}, lost
		}
		return constReading(10, 200)(k)
	}}}}
	s, clk := newTestSampler(t, sess, SamplerOptions{})
	s.Start(context.Background())
	for range 5 {
		clk.tick()
	}
	tel := s.Stop()
	require.Equal(t, results.TelemetryPartial, tel.Status)
	require.Equal(t, "gpu 0 (GPU-a): GPU is lost", tel.Error)
	d := tel.Devices[0]
	require.Equal(t, int64(3), d.Samples)
	require.Equal(t, int64(4), d.Errors, "ticks 3..5 and the closing sample failed")
	require.Equal(t, 400.0, d.EnergyJ, "energy up to the last good sample (2 s at 200 W)")
	require.Contains(t, tel.StatusLine(), "partial: gpu 0 (GPU-a): GPU is lost")
}

func TestSamplerReadPanicIsAnError(t *testing.T) {
	sess := &fakeSession{devs: []device{&fakeDevice{info: DeviceInfo{UUID: "GPU-a"}, script: func(int) (reading, error) { panic("boom") }}}}
	s, _ := newTestSampler(t, sess, SamplerOptions{})
	s.Start(context.Background())
	tel := s.Stop()
	require.Equal(t, results.TelemetryPartial, tel.Status)
	require.Contains(t, tel.Error, "NVML call panicked: boom")
}

func TestSamplerStopsWithContext(t *testing.T) {
	sess := &fakeSession{devs: []device{&fakeDevice{info: DeviceInfo{UUID: "GPU-a"}, script: constReading(1, 1)}}}
	s, clk := newTestSampler(t, sess, SamplerOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	s.Start(ctx)
	clk.tick()
	cancel()
	<-s.done // the loop ends on its own once ctx is done
	tel := s.Stop()
	require.Equal(t, int64(3), tel.Rounds)
	require.True(t, clk.stopped, "Stop stops the ticker")
}

func TestSamplerUnavailable(t *testing.T) {
	tests := []struct {
		name   string
		sess   *fakeSession
		opts   SamplerOptions
		status string
		errHas string
	}{
		{"no nvml", &fakeSession{err: fmt.Errorf("%w: library not found", ErrNoNVML)}, SamplerOptions{}, results.TelemetryNoNVML, "library not found"},
		{"no device", &fakeSession{devs: []device{}}, SamplerOptions{}, results.TelemetryNoDevice, "0 devices"},
		{"device not present", &fakeSession{devs: []device{&fakeDevice{info: DeviceInfo{Index: 0, UUID: "GPU-a"}}}},
			SamplerOptions{Devices: []string{"3"}}, results.TelemetryNoDevice, `GPU "3" is not on this machine (NVML sees 1 GPU(s), indices 0..0`},
		{"device list error", &fakeSession{devs: []device{}, err: errors.New("NVML: counting GPUs: Unknown Error")}, SamplerOptions{}, results.TelemetryNoDevice, "counting GPUs"},
		{"off", &fakeSession{}, SamplerOptions{Disabled: true}, results.TelemetryOff, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSampler(t, tc.sess, tc.opts)
			s.Start(context.Background())
			line := s.StatusLine()
			tel := s.Stop()
			require.Equal(t, tc.status, tel.Status)
			require.Contains(t, tel.Error, tc.errHas)
			require.False(t, tel.Recorded())
			require.Equal(t, line, tel.StatusLine())
			tel.Finish(100) // no energy: nothing per token
			require.Zero(t, tel.JoulesPerOutputToken)
		})
	}
}

func TestSamplerPicksDevicesByIndexAndUUID(t *testing.T) {
	mk := func(i int) device {
		return &fakeDevice{info: DeviceInfo{Index: i, UUID: fmt.Sprintf("GPU-%d", i)}, script: constReading(1, 1)}
	}
	sess := &fakeSession{devs: []device{mk(0), mk(1), mk(2)}}
	s, _ := newTestSampler(t, sess, SamplerOptions{Devices: []string{"GPU-2", "0", "2"}})
	s.Start(context.Background())
	tel := s.Stop()
	require.Len(t, tel.Devices, 2)
	require.Equal(t, 2, tel.Devices[0].Index)
	require.Equal(t, 0, tel.Devices[1].Index)
}

func TestStopBeforeStart(t *testing.T) {
	s, err := NewSampler(SamplerOptions{})
	require.NoError(t, err)
	tel := s.Stop()
	require.Equal(t, results.TelemetryOff, tel.Status)
	s.Start(context.Background()) // after Stop: does nothing
	require.Same(t, tel, s.Stop())
}

func TestNewSamplerOptions(t *testing.T) {
	tests := []struct {
		opts   SamplerOptions
		errHas string
	}{
		{SamplerOptions{Interval: -time.Second}, "negative"},
		{SamplerOptions{Interval: time.Millisecond}, "below the minimum 10ms"},
		{SamplerOptions{MaxPoints: -1}, "negative"},
		{SamplerOptions{MaxPoints: 1}, "too small"},
		{SamplerOptions{Devices: []string{"first"}}, `device "first"`},
		{SamplerOptions{Devices: []string{"GPU-"}}, `device "GPU-"`},
		{SamplerOptions{Interval: 250 * time.Millisecond, Devices: []string{"0", "GPU-x", "MIG-y"}}, ""},
	}
	for _, tc := range tests {
		s, err := NewSampler(tc.opts)
		if tc.errHas == "" {
			require.NoError(t, err)
			require.NotNil(t, s)
			continue
		}
		require.ErrorContains(t, err, tc.errHas)
	}
}

func TestTelemetryFromFlag(t *testing.T) {
	tests := []struct {
		mode     string
		disabled bool
		devices  []string
		errHas   string
	}{
		{"", false, nil, ""},
		{"auto", false, nil, ""},
		{" AUTO ", false, nil, ""},
		{"off", true, nil, ""},
		{"0,1", false, []string{"0", "1"}, ""},
		{"GPU-5f3c, 2", false, []string{"GPU-5f3c", "2"}, ""},
		{"on", false, nil, `"on" is neither auto, off`},
		{"0,,1", false, nil, `"" is neither`},
		{"-1", false, nil, `"-1" is neither`},
	}
	for _, tc := range tests {
		t.Run(tc.mode, func(t *testing.T) {
			s, err := TelemetryFromFlag(tc.mode)
			if tc.errHas != "" {
				require.ErrorContains(t, err, tc.errHas)
				require.ErrorContains(t, err, "--gpu-telemetry")
				return
			}
			require.NoError(t, err)
			require.Equal(t, tc.disabled, s.opts.Disabled)
			require.Equal(t, tc.devices, s.opts.Devices)
		})
	}
}

func FuzzTelemetryFromFlag(f *testing.F) {
	for _, s := range []string{"auto", "off", "0,1", "GPU-abc", "", ",", "MIG-", "99999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, mode string) {
		s, err := TelemetryFromFlag(mode)
		if err != nil {
			require.Nil(t, s)
			return
		}
		for _, d := range s.opts.Devices {
			require.True(t, validDeviceRef(d))
		}
	})
}

func TestCatalogMatch(t *testing.T) {
	for name, want := range map[string]string{
		"NVIDIA H100 80GB HBM3":   "h100",
		"NVIDIA H100 PCIe":        "h100",
		"NVIDIA H200":             "h200",
		"NVIDIA A100-SXM4-80GB":   "a100",
		"NVIDIA L40S":             "l40s",
		"NVIDIA H20":              "h20",
		"NVIDIA B200":             "b200",
		"NVIDIA GeForce RTX 4090": "",
		"":                        "",
	} {
		require.Equal(t, want, CatalogMatch(name), name)
	}
}

// BenchmarkDevAccAdd is the per-device cost of one sample (the sampler's
// hot path, once per device per interval).
func BenchmarkDevAccAdd(b *testing.B) {
	a := newDevAcc(DeviceInfo{}, time.Second, DefaultMaxPoints)
	r, _ := constReading(50, 300)(0)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		a.add(time.Duration(i)*time.Second, &r)
	}
}

func TestHookFillsResult(t *testing.T) {
	sess := &fakeSession{devs: []device{&fakeDevice{info: DeviceInfo{UUID: "GPU-a", Name: "NVIDIA H100 80GB HBM3"}, script: constReading(50, 400)}}}
	s, clk := newTestSampler(t, sess, SamplerOptions{})
	var status bytes.Buffer
	h := s.Hook(&status)
	runStart := clk.Now().Add(-2 * time.Second) // the run began 2 s before the sampler
	require.NoError(t, h.Start(context.Background(), runStart))
	for range 3 {
		clk.tick()
	}
	res := &results.Result{
		Timeline: &results.Timeline{OutputTokens: []int64{0, 0, 600, 600}}, // warm-up included
		Totals:   &results.ClassResult{OutputTokens: new(int64(900))},
	}
	require.NoError(t, h.Stop(res))
	tel := res.Telemetry
	require.Equal(t, results.TelemetryOK, tel.Status)
	require.Equal(t, runStart.UnixMilli(), tel.StartUnixMs)
	require.Equal(t, []int64{0, 0, 1, 1, 1, 2}, tel.Devices[0].Timeline.N, "buckets count from the run's start")
	require.Equal(t, 3.0, tel.DurationS)
	require.Equal(t, int64(1200), tel.OutputTokens)
	require.Equal(t, 1.0, tel.JoulesPerOutputToken)
	require.Equal(t, "GPU telemetry: sampling 1 GPU(s) every 1s\n"+
		"GPU telemetry: 1 × NVIDIA H100 80GB HBM3, 5 rounds over 3.0 s, avg utilization 50.0%, peak memory 40.0 GiB, energy 1.2 kJ, 1 J/output token\n",
		status.String())
}

func TestHookWithoutTelemetry(t *testing.T) {
	for _, tc := range []struct {
		name   string
		opts   SamplerOptions
		sess   *fakeSession
		status string
		line   string
	}{
		{"off", SamplerOptions{Disabled: true}, &fakeSession{}, "", ""},
		{"no nvml", SamplerOptions{}, &fakeSession{err: fmt.Errorf("%w: the NVML library (libnvidia-ml.so.1) was not found", ErrNoNVML)}, results.TelemetryNoNVML,
			"GPU telemetry: none (no_nvml): NVML unavailable: the NVML library (libnvidia-ml.so.1) was not found; the run proceeds without it\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, _ := newTestSampler(t, tc.sess, tc.opts)
			var status bytes.Buffer
			h := s.Hook(&status)
			require.NoError(t, h.Start(context.Background(), time.Now()))
			res := &results.Result{Totals: &results.ClassResult{OutputTokens: new(int64(10))}}
			require.NoError(t, h.Stop(res))
			require.Equal(t, tc.line, status.String())
			if tc.status == "" {
				require.Nil(t, res.Telemetry, "off leaves no telemetry section")
				return
			}
			require.Equal(t, tc.status, res.Telemetry.Status)
			require.NoError(t, s.Hook(nil).Stop(nil), "an aborted run (nil result) is fine")
		})
	}
}

func TestRunOutputTokens(t *testing.T) {
	require.Zero(t, RunOutputTokens(nil))
	require.Equal(t, int64(7), RunOutputTokens(&results.Result{Totals: &results.ClassResult{OutputTokens: new(int64(7))}}))
	require.Equal(t, int64(7), RunOutputTokens(&results.Result{Timeline: &results.Timeline{OutputTokens: []int64{0}}, Totals: &results.ClassResult{OutputTokens: new(int64(7))}}))
	require.Equal(t, int64(9), RunOutputTokens(&results.Result{Timeline: &results.Timeline{OutputTokens: []int64{4, 5}}, Totals: &results.ClassResult{OutputTokens: new(int64(7))}}))
}

package gpu

import (
	"time"

	"github.com/fleetbench/fleetbench/results"
)

// DefaultMaxPoints bounds each device's timeline: past it, bucket width
// doubles and neighbours merge (10 minutes at 1 s, 20 at 2 s, ...), so a
// day-long soak costs the same memory and file size as a short run.
const DefaultMaxPoints = 600

// field accumulates one metric: sum and max of its samples, and how many.
type field struct {
	sum, max float64
	n        int64
}

func (f *field) add(v float64) {
	if f.n == 0 || v > f.max {
		f.max = v
	}
	f.sum += v
	f.n++
}

func (f *field) merge(o field) {
	if o.n == 0 {
		return
	}
	if f.n == 0 || o.max > f.max {
		f.max = o.max
	}
	f.sum += o.sum
	f.n += o.n
}

func (f field) mean() float64 {
	if f.n == 0 {
		return 0
	}
	return f.sum / float64(f.n)
}

// bucket is one timeline bucket of one device.
type bucket struct {
	n int64 // successful samples
	f [numMetrics]field
}

// useMax marks the metrics whose bucket value is the maximum rather than
// the mean: memory and temperature matter at their peak (out-of-memory,
// throttling); rates and power average.
var useMax = [numMetrics]bool{mMemUsed: true, mTemp: true}

// devAcc accumulates one device's samples: exact run totals for the
// summary, and a bucketed timeline that widens to stay under maxPoints.
type devAcc struct {
	info      DeviceInfo
	samples   int64
	errors    int64
	firstErr  string
	total     [numMetrics]field
	energyJ   float64
	prevPower float64       // last power sample, W
	prevAt    time.Duration // when it was taken
	havePrev  bool
	width     time.Duration // current bucket width
	maxPoints int
	buckets   []bucket
}

func newDevAcc(info DeviceInfo, interval time.Duration, maxPoints int) *devAcc {
	return &devAcc{info: info, width: interval, maxPoints: maxPoints}
}

// add records a successful read taken at offset at from the first round.
func (a *devAcc) add(at time.Duration, r *reading) {
	if at < 0 {
		at = 0
	}
	a.samples++
	for m := range numMetrics {
		if r.have[m] {
			a.total[m].add(r.v[m])
		}
	}
	if r.have[mPower] {
		// Trapezoidal rule between consecutive power samples. A gap left
		// by failed reads is bridged: the straight line is the best
		// estimate there is, and dropping it would undercount.
		if a.havePrev && at > a.prevAt {
			a.energyJ += (a.prevPower + r.v[mPower]) / 2 * (at - a.prevAt).Seconds()
		}
		a.prevPower, a.prevAt, a.havePrev = r.v[mPower], at, true
	}
	b := a.grow(at)
	b.n++
	for m := range numMetrics {
		if r.have[m] {
			b.f[m].add(r.v[m])
		}
	}
}

// fail records a failed read at offset at; the first error is kept for
// the report. The timeline still grows to at (with an empty bucket), so
// every device's timeline spans the same time.
func (a *devAcc) fail(at time.Duration, err error) {
	a.errors++
	if a.firstErr == "" {
		a.firstErr = err.Error()
	}
	a.grow(at)
}

// grow returns the bucket for offset at, appending empty buckets up to it.
func (a *devAcc) grow(at time.Duration) *bucket {
	if at < 0 {
		at = 0
	}
	i := a.index(at)
	for len(a.buckets) <= i {
		a.buckets = append(a.buckets, bucket{})
	}
	return &a.buckets[i]
}

// index returns the bucket for offset at, widening buckets as needed.
func (a *devAcc) index(at time.Duration) int {
	for int64(at/a.width) >= int64(a.maxPoints) {
		a.widen()
	}
	return int(at / a.width)
}

// widen doubles the bucket width, merging bucket pairs.
func (a *devAcc) widen() {
	a.width *= 2
	for i := range a.buckets {
		if i%2 == 0 {
			a.buckets[i/2] = a.buckets[i]
			continue
		}
		d := &a.buckets[i/2]
		d.n += a.buckets[i].n
		for m := range numMetrics {
			d.f[m].merge(a.buckets[i].f[m])
		}
	}
	a.buckets = a.buckets[:(len(a.buckets)+1)/2]
}

// export renders the device's telemetry.
func (a *devAcc) export() *results.DeviceTelemetry {
	d := &results.DeviceTelemetry{
		Index: a.info.Index, UUID: a.info.UUID, Name: a.info.Name, CatalogID: a.info.CatalogID,
		MemoryTotalBytes: a.info.MemoryTotalBytes, PowerLimitW: roundSig(a.info.PowerLimitW),
		Samples: a.samples, Errors: a.errors, Error: a.firstErr,
		AvgUtilizationPct:   roundSig(a.total[mUtil].mean()),
		AvgMemBWUtilPct:     roundSig(a.total[mMemUtil].mean()),
		PeakMemoryUsedBytes: uint64(a.total[mMemUsed].max),
		AvgPowerW:           roundSig(a.total[mPower].mean()),
		PeakPowerW:          roundSig(a.total[mPower].max),
		EnergyJ:             roundSig(a.energyJ),
		AvgSMClockMHz:       roundSig(a.total[mSMClock].mean()),
		MaxTemperatureC:     roundSig(a.total[mTemp].max),
	}
	if a.samples > 0 {
		for m := range numMetrics {
			if a.total[m].n == 0 {
				d.Unsupported = append(d.Unsupported, metricNames[m])
			}
		}
	}
	if len(a.buckets) == 0 {
		return d
	}
	s := &results.TelemetrySeries{IntervalS: a.width.Seconds(), N: make([]int64, len(a.buckets))}
	cols := [numMetrics]*[]float64{&s.UtilizationPct, &s.MemBWUtilPct, &s.MemoryUsedBytes, &s.PowerW, &s.SMClockMHz, &s.TemperatureC}
	for m := range numMetrics {
		if a.total[m].n > 0 {
			*cols[m] = make([]float64, len(a.buckets))
		}
	}
	for i, b := range a.buckets {
		s.N[i] = b.n
		for m := range numMetrics {
			if a.total[m].n == 0 || b.f[m].n == 0 {
				continue
			}
			v := b.f[m].mean()
			if useMax[m] {
				v = b.f[m].max
			}
			if m != mMemUsed { // bytes are exact integers: keep them so
				v = roundSig(v)
			}
			(*cols[m])[i] = v
		}
	}
	d.Timeline = s
	return d
}

// summarize fills t's cross-device summary from the device accumulators.
func summarize(t *results.Telemetry, accs []*devAcc) {
	var util field
	var peak float64
	var energy, powerSum float64
	for _, a := range accs {
		util.merge(a.total[mUtil])
		peak = max(peak, a.total[mMemUsed].max)
		energy += a.energyJ
		powerSum += a.total[mPower].mean()
	}
	t.AvgUtilizationPct = roundSig(util.mean())
	t.PeakMemoryUsedBytes = uint64(peak)
	t.EnergyJ = roundSig(energy)
	if t.DurationS > 0 {
		t.AvgPowerW = roundSig(energy / t.DurationS)
	} else {
		// One round: no interval to integrate over; report the draw.
		t.AvgPowerW = roundSig(powerSum)
	}
}

// roundSig rounds like the rest of the result file.
func roundSig(v float64) float64 { return results.RoundSig(v) }

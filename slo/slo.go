// Package slo is a workload class's service-level objectives: percentile
// bounds on TTFT, TPOT, end-to-end latency, queue wait and task completion.
// The scenario loader decodes it (a class's `slo:`) and the results package
// judges runs against it; it is a leaf so both share one type and one
// validation.
package slo

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strings"

	"github.com/fleetbench/fleetbench/scenarios/fielderr"
)

// Spec holds a class's objectives, one set of percentile targets per
// metric; nil sets no objective on that metric. Keys carry the bound's unit.
type Spec struct {
	TTFTms      *Targets `yaml:"ttft_ms,omitempty"`      // time to first token, milliseconds
	TPOTms      *Targets `yaml:"tpot_ms,omitempty"`      // time per output token, milliseconds
	E2Ems       *Targets `yaml:"e2e_ms,omitempty"`       // request end-to-end latency, milliseconds
	QueueS      *Targets `yaml:"queue_s,omitempty"`      // video: wait before generation, seconds
	CompletionS *Targets `yaml:"completion_s,omitempty"` // video clip / agent task completion, seconds
}

// Targets are the bounds a metric's percentiles must not exceed, in the
// metric's unit; 0 = no target at that percentile.
type Targets struct {
	P50  float64 `yaml:"p50,omitempty"`
	P90  float64 `yaml:"p90,omitempty"`
	P95  float64 `yaml:"p95,omitempty"`
	P99  float64 `yaml:"p99,omitempty"`
	P999 float64 `yaml:"p999,omitempty"`
}

// Keys are the percentile keys a Targets holds, ascending.
var Keys = []string{"p50", "p90", "p95", "p99", "p999"}

// Metrics are the keys of Spec's fields (their yaml names), in
// declaration order. Adding a bounded metric is one Spec field; results
// checks that its metric registry names the same keys.
var Metrics = func() []string {
	var keys []string
	t := reflect.TypeFor[Spec]()
	for i := range t.NumField() {
		key, _, _ := strings.Cut(t.Field(i).Tag.Get("yaml"), ",")
		keys = append(keys, key)
	}
	return keys
}()

// Field returns the address of the Spec field that metric key names
// ("queue_s"), or nil for an unknown key.
func (s *Spec) Field(key string) **Targets {
	i := slices.Index(Metrics, key)
	if i < 0 {
		return nil
	}
	return reflect.ValueOf(s).Elem().Field(i).Addr().Interface().(**Targets)
}

func (t *Targets) ptr(key string) *float64 {
	switch key {
	case "p50":
		return &t.P50
	case "p90":
		return &t.P90
	case "p95":
		return &t.P95
	case "p99":
		return &t.P99
	case "p999":
		return &t.P999
	}
	return nil
}

// Set sets the bound at percentile key ("p99").
func (t *Targets) Set(key string, bound float64) error {
	p := t.ptr(key)
	if p == nil {
		return fmt.Errorf("unknown percentile %q (want p50, p90, p95, p99 or p999)", key)
	}
	*p = bound
	return nil
}

// Map returns the targets that are set, by percentile key (nil when t is
// nil or sets none).
func (t *Targets) Map() map[string]float64 {
	if t == nil {
		return nil
	}
	var m map[string]float64
	for _, k := range Keys {
		if v := *t.ptr(k); v != 0 {
			if m == nil {
				m = map[string]float64{}
			}
			m[k] = v
		}
	}
	return m
}

// Validate checks every metric's targets (see Targets.Validate); errors are
// *fielderr.Error joined, fields relative to the spec ("ttft_ms.p99").
func (s *Spec) Validate() error {
	var errs []error
	for _, key := range Metrics {
		t := *s.Field(key)
		if t == nil {
			continue
		}
		for _, e := range unjoin(t.Validate()) {
			var fe *fielderr.Error
			if errors.As(e, &fe) {
				f := *fe
				f.Field = key
				if fe.Field != "" {
					f.Field += "." + fe.Field
				}
				e = &f
			}
			errs = append(errs, e)
		}
	}
	return errors.Join(errs...)
}

// Validate checks that targets are positive, that a higher percentile has
// no tighter target than a lower one, and that at least one is set.
func (t *Targets) Validate() error {
	var errs []error
	lastKey, last := "", 0.0
	for _, k := range Keys {
		x := *t.ptr(k)
		switch {
		case x < 0 || x != x || x > math.MaxFloat64: // NaN and +Inf are no bound
			errs = append(errs, fielderr.New(k, "", "a latency target must be > 0, got %v", x))
			continue
		case x == 0:
			continue
		case x < last:
			errs = append(errs, fielderr.New(k, "a higher percentile cannot have a tighter target", "%v is below %s %v", x, lastKey, last))
		}
		lastKey, last = k, x
	}
	if last == 0 && len(errs) == 0 { // a target refused above was set
		errs = append(errs, fielderr.New("", "", "set at least one of p50, p90, p95, p99, p999"))
	}
	return errors.Join(errs...)
}

func unjoin(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	return []error{err}
}

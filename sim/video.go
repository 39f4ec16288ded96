package sim

import (
	"fmt"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/fleetbench/fleetbench/sim/perf"
)

// videoPool serves diffusion-transformer clip requests: batch size 1,
// each clip on one instance of sp GPUs (sequence parallel), one FIFO queue.
type videoPool struct {
	gpu      hardware.Spec
	sp       int
	override string  // model id forced by the config, or ""
	insts    []bool  // busy flags
	until    []int64 // end of the clip each busy instance is generating
	cls      []int16 // class of the clip each busy instance is generating
	idle     []int32
	queue    deque
	models   map[string]*perf.Video

	busyNs    int64
	classBusy []float64
}

func newVideoPool(gpus int, gpuID string, sp int, model string) (*videoPool, error) {
	g, err := hardware.Lookup(gpuID)
	if err != nil {
		return nil, fmt.Errorf("video pool: %w", err)
	}
	if gpus < sp {
		return nil, fmt.Errorf("video pool has %d GPUs but each clip uses %d (sequence parallel); give at least %d GPUs", gpus, sp, sp)
	}
	n := gpus / sp
	v := &videoPool{gpu: g, sp: sp, override: model, insts: make([]bool, n), until: make([]int64, n), cls: make([]int16, n), models: map[string]*perf.Video{}}
	for i := n - 1; i >= 0; i-- {
		v.idle = append(v.idle, int32(i))
	}
	if model != "" {
		if _, err := v.model(model); err != nil {
			return nil, err
		}
	}
	return v, nil
}

func (v *videoPool) model(id string) (*perf.Video, error) {
	if v.override != "" {
		id = v.override
	}
	if m, ok := v.models[id]; ok {
		return m, nil
	}
	vm, err := models.LookupVideo(id)
	if err != nil {
		return nil, err
	}
	m, err := perf.NewVideo(vm, v.gpu, v.sp)
	if err != nil {
		return nil, err
	}
	v.models[id] = m
	return m, nil
}

func (v *videoPool) submit(e *engine, s *seqState) {
	if len(v.idle) == 0 {
		v.queue.pushBack(s)
		return
	}
	i := v.idle[len(v.idle)-1]
	v.idle = v.idle[:len(v.idle)-1]
	v.start(e, i, s)
}

func (v *videoPool) start(e *engine, i int32, s *seqState) {
	spec := s.req.Video
	m, err := v.model(spec.Model)
	if err != nil {
		if e.err == nil {
			e.err = fmt.Errorf("class %q: %w", s.req.Class, err)
		}
		return
	}
	v.insts[i] = true
	s.rec.QueueNs = e.now - s.rec.Sent
	s.rec.FirstToken = e.now
	s.rec.VideoSeconds = spec.Seconds
	d := max(m.ClipTime(spec.Width, spec.Height, spec.Frames(), spec.Steps), 1)
	v.busyNs += d
	v.until[i] = e.now + d
	v.cls[i] = s.classIdx
	v.classBusy[s.classIdx] += float64(d)
	e.q.push(event{at: e.now + d, kind: evVideoDone, idx: i, s: s})
}

func (v *videoPool) done(e *engine, i int32, s *seqState) {
	e.finish(s, "")
	v.insts[i] = false
	if v.queue.len() > 0 {
		v.start(e, i, v.queue.popFront())
		return
	}
	v.idle = append(v.idle, i)
}

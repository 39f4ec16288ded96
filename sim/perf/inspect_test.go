package perf

import "github.com/fleetbench/fleetbench/hardware"

// Accessors that only tests use (the simulator reads the model through its
// timing methods).

// WeightBytesPerGPU is the weight memory each GPU holds.
func (p *Model) WeightBytesPerGPU() float64 { return p.weightBytesGPU }

// GPUs is the number of GPUs serving one clip (sp).
func (x *Video) GPUs() int { return x.sp }

// GPU is the GPU spec.
func (x *Video) GPU() hardware.Spec { return x.g }

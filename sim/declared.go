package sim

import (
	"fmt"
	"math"
	"strings"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/results"
)

// DeclaredFleet is the fleet section of an endpoint run whose serving
// fleet the user declared (run --fleet SPEC --gpu TYPE --tp N), so that
// results.ApplyCost prices it like a simulated fleet: per pool the GPU
// type, instance count, GPUs (count x TP; a video pool counts GPUs) and
// $/GPU-hour (usdPerGPUHour when > 0, else the catalog's). Busy time is
// unknown for an endpoint, so utilization stays absent and the cost is
// shared between classes by token share.
func DeclaredFleet(spec, gpu string, tp int, usdPerGPUHour float64) (*results.FleetInfo, error) {
	fs, err := ParseFleet(spec)
	if err != nil {
		return nil, err
	}
	if len(fs.Pools) == 0 {
		return nil, fmt.Errorf("fleet %q: no pools", spec)
	}
	if tp < 0 {
		return nil, fmt.Errorf("--tp %d: want a positive number of GPUs per instance", tp)
	}
	if !(usdPerGPUHour >= 0) || math.IsInf(usdPerGPUHour, 0) {
		return nil, fmt.Errorf("--usd-per-gpu-hour %v: want a price >= 0", usdPerGPUHour)
	}
	out := &results.FleetInfo{Spec: fs.String()}
	hasPD := false
	for _, p := range fs.Pools {
		g := strings.ToLower(p.GPU)
		if g == "" {
			g = strings.ToLower(gpu)
		}
		if g == "" {
			g = "h100"
		}
		hw, err := hardware.Lookup(g)
		if err != nil {
			return nil, err
		}
		per := p.TP
		if per == 0 {
			per = max(tp, 1)
		}
		gpus := p.Count * per
		if p.Role == RoleVideo {
			per, gpus = 1, p.Count
		}
		price := hw.USDPerHour
		if usdPerGPUHour > 0 {
			price = usdPerGPUHour
		}
		hasPD = hasPD || p.Role == RolePrefill || p.Role == RoleDecode
		out.Pools = append(out.Pools, results.PoolInfo{Role: p.Role.String(), Instances: p.Count, GPU: hw.ID,
			GPUsPerInstance: per, GPUs: gpus, USDPerGPUHour: price, TDPWatts: hw.TDPWatts})
		out.GPUs += gpus
	}
	out.Mode = "colocated"
	if hasPD {
		out.Mode = "disaggregated"
	}
	return out, nil
}

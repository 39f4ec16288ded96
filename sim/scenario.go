package sim

import (
	"fmt"
	"slices"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim/perf"
)

// ConfigFromScenario returns the scenario's default fleet as a Config;
// command-line flags override its fields afterwards.
func ConfigFromScenario(sc *scenarios.Scenario) Config {
	var c Config
	fd := sc.Fleet
	if fd == nil {
		return c
	}
	c.Fleet, c.Model, c.GPU, c.TP, c.Routing = fd.Spec, fd.Model.ID, fd.GPU, fd.TP, fd.Routing
	c.ModelConfig = sc.ResolvePath(fd.Model.Config)
	c.BlockTokens = fd.BlockTokens
	c.DType = fd.DType
	if ps := fd.Pools; ps != nil {
		for _, p := range []struct {
			role Role
			d    *scenarios.PoolDefaults
		}{{RolePrefill, ps.Prefill}, {RoleDecode, ps.Decode}, {RoleColocated, ps.Colocated}} {
			if d := p.d; d != nil {
				o := PoolOptions{Role: p.role.String(), EP: d.EP, DP: d.DP, TP: d.TP, RedundantExperts: d.RedundantExperts,
					Imbalance: d.ExpertImbalance, TBO: d.TwoBatchOverlap, A2A: d.AllToAll, MaxSeqs: d.MaxSeqs, MaxBatchTokens: d.MaxBatchTokens}
				if s := d.Speculative; s != nil {
					o.Spec = perf.Spec{Draft: s.DraftTokens, Accept: s.Acceptance, DraftLayers: s.DraftLayers}
				}
				c.Pools = append(c.Pools, o)
			}
		}
	}
	if fd.DecodePrefixCache != nil {
		c.NoDecodePrefixCache = !*fd.DecodePrefixCache
	}
	c.Autoscale = slices.Clone(fd.Autoscale)
	if fs := fd.Failures; fs != nil {
		c.Failures = *fs
		c.Failures.At = slices.Clone(fs.At)
	}
	if v := fd.Video; v != nil {
		c.VideoModel, c.VideoGPU, c.VideoSP = v.Model, v.GPU, v.SP
		if v.Instances > 0 {
			spec, err := ParseFleet(c.Fleet)
			hasVideo := false
			for _, p := range spec.Pools {
				hasVideo = hasVideo || p.Role == RoleVideo
			}
			if err == nil && !hasVideo {
				c.Fleet = fmt.Sprintf("%s+%dV", c.Fleet, v.Instances*max(v.SP, 1))
			}
		}
	}
	return c
}

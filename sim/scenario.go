package sim

import (
	"fmt"
	"time"

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
	c.Fleet, c.Model, c.GPU, c.TP, c.Routing = fd.Spec, fd.Model, fd.GPU, fd.TP, fd.Routing
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
	sec := func(s float64) time.Duration { return time.Duration(s * float64(time.Second)) }
	for _, a := range fd.Autoscale {
		c.Autoscale = append(c.Autoscale, Autoscale{Pool: a.Pool, Metric: a.Metric, Target: a.Target, Min: a.Min, Max: a.Max,
			Interval: sec(a.IntervalS), ProvisionDelay: sec(a.ProvisionS), Cooldown: sec(a.CooldownS)})
	}
	if fs := fd.Failures; fs != nil {
		c.Failures = Failures{MTBF: sec(fs.MTBFHours * 3600), Repair: sec(fs.RepairS), Policy: fs.Policy}
		for _, at := range fs.At {
			c.Failures.At = append(c.Failures.At, ScriptedFailure{Pool: at.Pool, Instance: at.Instance, At: sec(at.AtS)})
		}
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

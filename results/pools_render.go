package results

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// RenderPools writes, for fleets with wide (expert- or data-parallel)
// pools, one row per LLM pool explaining its throughput: tokens per second
// per node over the result window and while stepping (the rate the pool's
// batches reach), the mean batch per attention rank against its limit, the
// mean step time, and the GPU-hours the cost comes from. It writes nothing
// for other fleets.
func RenderPools(w io.Writer, r *Result) error {
	if r == nil || r.Fleet == nil || r.Totals == nil {
		return nil
	}
	wide := false
	for _, p := range r.Fleet.Pools {
		wide = wide || p.Layout != ""
	}
	if !wide {
		return nil
	}
	var b strings.Builder
	b.WriteString("\npools (tokens/s per node: prefill = prompt tokens computed, decode = output tokens; batch per attention rank per step)\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "pool\tinstances\tGPUs\tlayout\ttok/s/node window\ttok/s/node busy\tbatch/rank (limit)\tstep ms\tutil\tGPU-h\t")
	for _, p := range r.Fleet.Pools {
		if p.Role == "video" {
			continue
		}
		window := "-"
		if p.WindowTokensPerNode > 0 {
			window = fmtNum(p.WindowTokensPerNode)
		}
		busy, batch, step := "-", "-", "-"
		if p.BusyTokensPerNode > 0 {
			busy = fmtNum(p.BusyTokensPerNode)
			batch = fmt.Sprintf("%s (%d)", fmtNum(p.RankBatch), p.RankBatchLimit)
			step = fmtNum(p.MeanStepMs)
		}
		util, gpuh := "-", "-"
		if r.Cost != nil {
			if pc := r.Cost.ByPool[p.Role]; pc != nil {
				gpuh = fmtNum(pc.GPUHours)
				if u, ok := pc.Util(); ok {
					util = Pct(u)
				}
			}
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t\n", p.Role, p.Instances, p.GPUs, orDash(p.Layout), window, busy, batch, step, util, gpuh)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	b.WriteString("util is the share of time a pool is stepping: a wide pool at light load still steps continuously with small batches, so read the batch against its limit.\n")
	_, err := io.WriteString(w, b.String())
	return err
}

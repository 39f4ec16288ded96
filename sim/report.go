package sim

import (
	"fmt"
	"math"

	"github.com/fleetbench/fleetbench/results"
)

// What the engine reports: timeline samples while it runs and the
// Result at the end (window, attribution, per-pool figures, warnings).

// sample records fleet-wide gauges on the timeline, then reschedules
// itself while anything remains to simulate.
func (e *engine) sample() {
	var waiting, running, used, capacity int
	for _, in := range e.fleet.instances {
		waiting += in.waiting.len()
		running += in.active()
		used += in.cache.Used()
		capacity += in.cache.Capacity()
	}
	e.observe("waiting", float64(waiting))
	e.observe("running", float64(running))
	if capacity > 0 {
		e.observe("kv_usage", float64(used)/float64(capacity))
	}
	if v := e.fleet.video; v != nil {
		e.observe("video_queue", float64(v.queue.len()))
	}
	for _, p := range e.fleet.pools {
		if p.scaler != nil || e.fleet.cfg.Failures.Active() {
			e.observe("instances_"+p.spec.Role.String(), float64(p.provisioned))
			e.observe("serving_"+p.spec.Role.String(), float64(len(p.live)))
		}
	}
	if e.cfg.Progress != nil {
		e.cfg.Progress(e.now, e.stats.Requests)
	}
	if e.ongoing() {
		if e.stopRequested() {
			return // the run ends at this sample, cut short (interrupt.go)
		}
		e.q.push(event{at: e.now + int64(e.cfg.SampleInterval), kind: evSample})
	}
}

// observe samples a timeline gauge at the current virtual time.
func (e *engine) observe(name string, v float64) {
	if e.acc != nil {
		e.acc.observe(e.now, name, v)
		return
	}
	if e.cfg.Records != nil {
		e.sink.items++ // counted as the pipeline's consumer would see it
	}
	e.summary.Observe(e.now, name, v)
}

func (e *engine) result() *results.Result {
	meta := results.Meta{
		Backend:  "sim",
		Scenario: results.ScenarioInfo{Name: e.sc.Name, Seed: e.seed(), Hash: e.sc.Hash()},
		Fleet:    e.fleet.describe(),
		Extra: map[string]any{
			"events": e.stats.Events, "steps": e.stats.Steps, "spans": e.stats.Spans,
			"preemptions": e.stats.Preemptions, "transfers": e.stats.Transfers,
			"virtual_end_s": float64(e.stats.EndNs) / 1e9,
		},
	}
	if e.marks.endTaken {
		meta.StartNs, meta.EndNs = int64(e.sc.Warmup), e.marks.endNs
	}
	res := e.summary.Result(meta)
	end := e.marks.classEnd
	if !e.marks.endTaken {
		end = nil
	}
	res.Attribution = e.fleet.attribution(e.classNames, e.marks.classStart, end)
	for i := range res.Fleet.Pools {
		pi := &res.Fleet.Pools[i]
		if pi.Role == "video" {
			pi.BusySeconds = e.windowBusySeconds(len(e.fleet.pools))
		} else {
			pi.BusySeconds = e.windowBusySeconds(i)
			if pi.Layout != "" && e.marks.endTaken {
				p := e.fleet.pools[i]
				var d [3]int64
				for k := range d {
					d[k] = e.marks.endCounts[i][k] - e.marks.startCounts[i][k]
				}
				p.explain(pi, p.model.Config(), d, pi.BusySeconds, float64(e.marks.endNs-int64(e.sc.Warmup))/1e9)
			}
		}
		if pi.GPUSeconds < 0 {
			p := e.fleet.poolByRole(pi.Role)
			pi.GPUSeconds = math.Round(p.gpuSecondsBetween(res.Window.StartNs, res.Window.EndNs, e.now)*1e3) / 1e3
		}
	}
	if n := e.stats.Refused; n > 0 {
		res.Extra["refused"] = n
		res.Warnings = append(res.Warnings, fmt.Sprintf("%d arrivals refused (error class overloaded): more than %d requests (or %d prompt block hashes) were in flight; the offered load is far beyond this fleet's capacity", n, maxInflight, maxInflightHashes))
	}
	if e.fleet.entry != nil && e.fleet.contextTokens <= 0 {
		// over_context absent would read as "none over the context".
		res.Warnings = append(res.Warnings, "context length unknown: the model config has no max_position_embeddings, so requests longer than the model's context are neither refused nor counted (over_context); a server refuses them (HTTP 400): add the field to the config to have them counted")
	}
	if w := e.fleet.unmatchedAutoscalers(); w != "" {
		res.Warnings = append(res.Warnings, w)
	}
	if inc := e.fleet.incidentReport(e); len(inc) > 0 {
		res.Extra["incidents"] = inc
	}
	var scale []map[string]any
	for _, p := range e.fleet.pools {
		if p.scaler != nil {
			scale = append(scale, p.scaler.events...)
		}
	}
	if len(scale) > 0 {
		res.Extra["scale_events"] = scale
	}
	return res
}

func (e *engine) seed() uint64 { return e.seedV }

package main

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sim/models"
	"github.com/fleetbench/fleetbench/sweep"
)

// fleetShapeFlags are the flags that change the fleet the simulator
// builds: when one is given, a refused fleet is the command line's, not
// the scenario file's.
var fleetShapeFlags = []string{"fleet", "model", "model-config", "gpu", "tp", "dtype", "block-tokens",
	"max-batch-tokens", "max-seqs", "tier-blocks", "routing", "decode-routing",
	"prefill", "decode", "colocated", "gpus", "video-model", "video-gpu", "kv-tokens"}

// fleetFromFlags reports whether cmd was given a flag that shapes the fleet.
func fleetFromFlags(cmd *cobra.Command) bool {
	for _, n := range fleetShapeFlags {
		if f := cmd.Flags().Lookup(n); f != nil && f.Changed {
			return true
		}
	}
	return false
}

// fleetFileErr places a fleet the simulator refused (a *sim.ConfigError
// naming a pool or the fleet spec: an EP that does not divide the GPUs, a
// TP x DP that is not them, experts that do not spread evenly, weights
// that do not fit) at the key of sc's file that set it, file:line:col,
// as the loader's own errors read. Other errors are returned as they are.
func fleetFileErr(sc *scenarios.Scenario, err error) error {
	var ce *sim.ConfigError
	if sc == nil || sc.Fleet == nil || !errors.As(err, &ce) {
		return err
	}
	if path := fleetErrPath(sc, ce.Err.Error()); path != "" {
		return sc.IssueAt(path, ce.Err)
	}
	return err
}

// fleetErrPath is the scenario key a fleet error message is about: the
// key a message names by its subject (an unknown model, GPU or routing
// policy; a pool's redundant experts, ep, dp or tp; a TP given by
// fleet.tp) when the
// file sets it, else fleet.spec (where the layout /epN/dpN/tpN is
// written), else fleet; "" for a message that is not about the fleet.
func fleetErrPath(sc *scenarios.Scenario, msg string) string {
	role := ""
	for _, r := range []string{"prefill", "decode", "colocated", "video"} {
		if strings.HasPrefix(msg, r+" pool:") {
			role = r
		}
	}
	spec := ""
	if sc.Fleet != nil {
		spec = sc.Fleet.Spec
	}
	pool := "fleet.pools." + role + "."
	for _, k := range []struct {
		about, key string
		ok         bool
	}{
		{"unknown model", "fleet.model", true},
		{"unknown GPU", "fleet.gpu", true},
		{"unknown decode routing", "fleet.decode_routing", true},
		{"unknown routing", "fleet.routing", true},
		{"redundant", pool + "redundant_experts", role != ""},
		{"max batch tokens", pool + "max_batch_tokens", role != ""},
		{"max sequences", pool + "max_seqs", role != ""},
		// A layout set by the pool's own keys rather than in the spec.
		{"EP ", pool + "ep", role != ""},
		{"DP ", pool + "dp", role != ""},
		{"TP ", pool + "tp", role != ""},
		// fleet.tp sets the TP of a spec without a layout ("2P4D", not "h800x32/dp32").
		{"TP ", "fleet.tp", !strings.ContainsAny(spec, "x/")},
	} {
		if k.ok && strings.Contains(msg, k.about) && sc.Sets(k.key) {
			return k.key
		}
	}
	if role == "" && !strings.HasPrefix(msg, "fleet spec") {
		return ""
	}
	if sc.Sets("fleet.spec") {
		return "fleet.spec"
	}
	return "fleet"
}

// checkScenarioFleet builds sc's default fleet as the simulator would and
// returns its refusal placed in the file (fleetFileErr); nil for a
// scenario without a fleet, or whose fleet names no model (a declared
// fleet for run's cost, or one serve gives its default model: sim asks
// for --model then).
func checkScenarioFleet(sc *scenarios.Scenario) error {
	cfg := sim.ConfigFromScenario(sc)
	if cfg.Fleet == "" || (cfg.Model == "" && cfg.ModelConfig == "") {
		return nil
	}
	if _, err := sim.NewLive(sc, cfg, sim.LiveHooks{}); err != nil {
		if fe := fleetFileErr(sc, err); fe != err {
			return fe
		}
		return sc.IssueAt("fleet", err)
	}
	return nil
}

// checkVideoModels refuses a video class whose clips name a model the
// simulator does not know, at the model's key (file:line:col), when cfg's
// fleet has a video pool that serves each clip with the model the clip
// names (no fleet.video.model or --video-model, which serve every clip
// with theirs). The simulator found it only when the first such clip
// started, and exited 1 mid-run with no place in the file. A fleet
// without a video pool, or one that does not parse, is left to the
// simulator's own messages.
func checkVideoModels(sc *scenarios.Scenario, cfg sim.Config) error {
	if cfg.VideoModel != "" {
		return nil
	}
	spec, err := sim.ParseFleet(cfg.Fleet)
	if err != nil {
		return nil
	}
	hasVideo := false
	for _, p := range spec.Pools {
		hasVideo = hasVideo || p.Role == sim.RoleVideo
	}
	if !hasVideo {
		return nil
	}
	for i, c := range sc.Classes {
		if c.Video == nil {
			continue
		}
		for j, clip := range c.Video.Mix {
			if _, err := models.LookupVideo(clip.Model); err != nil {
				path := fmt.Sprintf("classes[%d].video.mix[%d].model", i, j)
				if !sc.Sets(path) {
					path = fmt.Sprintf("classes[%d].video.model", i)
				}
				return sc.IssueAt(path, fmt.Errorf("%w (or set fleet.video.model to serve every clip with one the simulator knows)", err))
			}
		}
	}
	return nil
}

// warnGPUAxisUnused warns of a --gpu list over a fleet that names every
// pool's GPU ("2P:h200 4D:h20"): its points run the same fleet on each
// --gpu (they were labelled with the grid's GPU as if they differed).
// base is the scenario's fleet, the grid's when it lists none.
func warnGPUAxisUnused(w io.Writer, g sweep.Grid, base string) {
	if len(g.GPUs) < 2 {
		return
	}
	fleets := g.Fleets
	if len(fleets) == 0 && base != "" {
		fleets = []string{base}
	}
	for _, fl := range fleets {
		fs, err := sim.ParseFleet(fl)
		if err != nil || len(fs.Pools) == 0 {
			continue
		}
		named := true
		for _, p := range fs.Pools {
			named = named && p.GPU != ""
		}
		if named {
			fmt.Fprintf(w, "fleetbench: warning: --gpu %s: fleet %q names the GPU of every pool, so its points run the same fleet on each --gpu\n", strings.Join(g.GPUs, ","), fl)
		}
	}
}

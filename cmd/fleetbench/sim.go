package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/hardware"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sim/models"
)

func init() { register(newSimCmd) }

type simFlags struct {
	modelConfig              string
	fleet, model, gpu, dtype string
	routing, decodeRouting   string
	tp, blockTokens          int
	maxBatchTokens, maxSeqs  int
	tierBlocks               int
	workload                 workloadFlags
	output                   outputFlags
	cost                     costFlags
	cpuProfile               string
	serial                   bool
	progress                 bool
	gate                     gateFlags
	repeat                   int
}

func newSimCmd() *cobra.Command {
	var f simFlags
	cmd := &cobra.Command{
		Use:   "sim SCENARIO",
		Short: "Simulate a scenario on a GPU fleet (discrete-event, deterministic)",
		Long: `Simulate a scenario (a built-in name or a YAML file) on a fleet of GPU
instances: prefill/decode disaggregated ("4P8D") or colocated ("12C"), with an
optional video pool ("+8V"). Flags override the scenario's default fleet.
The same scenario, fleet and seed always give a byte-identical result file.
Tasks arriving in the warm-up are not measured; cost, rates and utilization
cover the window from the warm-up's end to the last arrival (docs/metrics.md).
Ctrl-C ends the simulation at its next virtual second and writes what was
simulated, marked interrupted (exit 130); a second Ctrl-C kills.
` + exitCodesHelp,
		Example: `  fleetbench sim chat
  fleetbench sim agent-coding --fleet 4P8D --model llama-3.1-70b --gpu h200 --tp 4 -o result.json
  fleetbench sim mooncake-conversation --fleet 1C --records records.jsonl
  fleetbench sim moe-platform
  fleetbench sim chat --fleet "1P:h800x32/ep32/dp32 1D:h800x144/ep144/dp144" --model deepseek-v3 --dtype fp8
  fleetbench sim chat --model-config ./my-model/config.json --fleet "2P:h200x8 4D:h200x8"`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.workload.parsed(cmd); err != nil {
				return err
			}
			if err := checkIntFlags(cmd); err != nil {
				return err
			}
			return runSim(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.fleet, "fleet", "", `fleet notation, e.g. "4P8D", "12C", "4P:h200 8D:h20+8V"`)
	fl.StringVar(&f.model, "model", "", "model id ("+strings.Join(models.IDs(), ", ")+")")
	fl.StringVar(&f.modelConfig, "model-config", "", "build the model from this Hugging Face config.json instead of the catalog (its quantization sets --dtype unless given)")
	fl.StringVar(&f.gpu, "gpu", "", "default GPU type ("+strings.Join(hardware.IDs(), ", ")+")")
	fl.IntVar(&f.tp, "tp", 0, "tensor-parallel GPUs per instance")
	fl.StringVar(&f.dtype, "dtype", "", "weights/compute precision: bf16 or fp8")
	fl.StringVar(&f.routing, "routing", "", "routing for new requests: round-robin, least-loaded, cache-aware, session")
	fl.StringVar(&f.decodeRouting, "decode-routing", "", "decode instance choice in PD mode: round-robin, least-loaded, cache-aware")
	fl.IntVar(&f.blockTokens, "block-tokens", 0, "KV block size in tokens (default 16)")
	fl.IntVar(&f.maxBatchTokens, "max-batch-tokens", 0, "per-step token budget (default 8192)")
	fl.IntVar(&f.maxSeqs, "max-seqs", 0, "max running sequences per instance (default 256)")
	fl.IntVar(&f.tierBlocks, "tier-blocks", 0, "second-tier (pooled DRAM/SSD) KV cache capacity per pool, in blocks")
	addWorkloadFlags(fl, &f.workload, true, "", "multiply every arrival rate")
	addOutputFlags(fl, &f.output, "result", resultFormats, true)
	fl.BoolVar(&f.progress, "progress", false, "print the virtual time reached and requests finished every few seconds (stderr)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the simulation to this file")
	_ = fl.MarkHidden("cpuprofile")
	fl.BoolVar(&f.serial, "serial", false, "generate the workload and accumulate results on the simulation's goroutine (one core; same result)")
	_ = fl.MarkHidden("serial")
	addGateFlags(fl, &f.gate, false)
	fl.IntVar(&f.repeat, "repeat", 1, fmt.Sprintf("run N times with seeds SEED, SEED+1, ... (at most %d) and write the first one's result with extra.repeats holding each metric's spread across all of them (compare uses it as BASE's noise band when no records are given); --records gets the first repeat's records", results.MaxRepeats))
	addCostFlags(fl, &f.cost)
	return cmd
}

func runSim(cmd *cobra.Command, name string, f simFlags) error {
	if err := checkFormat(f.output.format, resultFormats); err != nil {
		return err
	}
	sc, err := scenarios.Resolve(name)
	if err != nil {
		return usageErr(err)
	}
	cfg, err := f.config(sc)
	if err != nil {
		return err
	}
	if err := elasticPools(cfg); err != nil {
		return usageErr(err)
	}
	if err := checkVideoModels(sc, cfg); err != nil {
		return usageErr(err)
	}
	costIn, err := f.cost.inputs(sc)
	if err != nil {
		return usageErr(err)
	}
	costIn.MaxLag = f.gate.limits.MaxLag
	if err := f.gate.validate(); err != nil {
		return usageErr(err)
	}
	if f.repeat < 1 || f.repeat > results.MaxRepeats {
		return usageErr(fmt.Errorf("--repeat %d: want 1 to %d", f.repeat, results.MaxRepeats))
	}
	wo := f.workload.options()
	sc, warm, err := f.workload.warm.resolve(sc, wo, false)
	if err != nil {
		return usageErr(err)
	}
	warnRequestCap(cmd.ErrOrStderr(), sc, wo, false)
	cfg.Serial = f.serial
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return failErr(err)
		}
		defer stop()
	}
	if f.progress {
		cfg.Progress = simProgress(cmd.ErrOrStderr())
	}
	// Ctrl-C ends the simulation at its next virtual second: what was
	// simulated is written, marked interrupted, exit 130, as run does.
	ctx, stop := runSignals(cmd.Context())
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills, as usual
	}()
	cfg.Stop = ctx.Done()
	var st sim.Stats
	if err := checkWritable("-o", f.output.out); err != nil {
		return err // before the run: a result measured, then not written, was lost
	}
	res, err := f.output.recordRun(func(write func(*results.Record) error) (res *results.Result, err error) {
		cfg.Records = write
		res, st, err = simRepeats(sc, cfg, wo, f.repeat)
		return res, err
	})
	var ce *sim.ConfigError
	if errors.As(err, &ce) {
		if !fleetFromFlags(cmd) {
			err = fleetFileErr(sc, err) // the file's fleet: say where
		}
		return usageErr(err)
	}
	noteWarmup(res, warm)
	if err := emitResult(cmd, res, err, f.output, costIn); err != nil {
		return err
	}
	if st.Interrupted {
		return &exitCode{code: 130, err: fmt.Errorf("simulation interrupted at virtual time %s: %d requests finished (written)", time.Duration(st.EndNs), st.Requests)}
	}
	return f.gate.judge(res)
}

// config is the scenario's default fleet with the flags' overrides.
func (f *simFlags) config(sc *scenarios.Scenario) (sim.Config, error) {
	cfg := sim.ConfigFromScenario(sc)
	overrideFleet(&cfg.Fleet, f.fleet)
	override(&cfg.Model, f.model)
	if f.modelConfig != "" {
		cfg.ModelConfig = f.modelConfig
		if f.model == "" {
			cfg.Model = "" // the config names the model, not the scenario's catalog id
		}
	}
	override(&cfg.GPU, f.gpu)
	override(&cfg.DType, f.dtype)
	override(&cfg.Routing, f.routing)
	override(&cfg.DecodeRouting, f.decodeRouting)
	overrideInt(&cfg.TP, f.tp)
	overrideInt(&cfg.BlockTokens, f.blockTokens)
	overrideInt(&cfg.MaxBatchTokens, f.maxBatchTokens)
	overrideInt(&cfg.MaxSeqs, f.maxSeqs)
	overrideInt(&cfg.TierBlocks, f.tierBlocks)
	if cfg.Fleet == "" {
		return cfg, usageErr(fmt.Errorf("scenario %q names no default fleet: pass --fleet (e.g. --fleet 4P8D --model llama-3.1-8b)", sc.Name))
	}
	return cfg, nil
}

// startCPUProfile profiles the process into path until stop.
func startCPUProfile(path string) (stop func(), err error) {
	pf, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if err := pprof.StartCPUProfile(pf); err != nil {
		pf.Close()
		return nil, err
	}
	return func() { pprof.StopCPUProfile(); pf.Close() }, nil
}

// simProgress prints the virtual time reached every two wall seconds. Wall
// time lives here, never in the simulator.
func simProgress(errw io.Writer) func(vns int64, done uint64) {
	start, last := time.Now(), time.Now()
	return func(vns int64, done uint64) {
		if time.Since(last) < 2*time.Second {
			return
		}
		last = time.Now()
		el := time.Since(start).Seconds()
		fmt.Fprintf(errw, "sim: virtual %s, %d requests done, wall %.0fs (%.1fx real time)\n",
			time.Duration(vns).Round(time.Second), done, el, float64(vns)/1e9/el)
	}
}

// overrideFleet replaces the fleet *dst with --fleet v when given; bare
// pools ("2P1D") take the replaced fleet's wide layout. A bad notation is
// kept as given, for the simulator to report.
func overrideFleet(dst *string, v string) {
	if v == "" {
		return
	}
	base := *dst
	*dst = v
	if fleet, err := sim.InheritLayout(v, base); err == nil {
		*dst = fleet
	}
}

func override(dst *string, v string) {
	if v != "" {
		*dst = v
	}
}

func overrideInt(dst *int, v int) {
	if v > 0 {
		*dst = v
	}
}

// simRepeats runs the simulation n times with consecutive seeds (from the
// workload's seed, else the scenario's) and returns the first run's result
// with the spread of all (results.Repeats) and the first run's stats; n = 1
// is one plain run. An interrupted repeat ends the series with its own
// partial result and stats.
func simRepeats(sc *scenarios.Scenario, cfg sim.Config, wo scenarios.WorkloadOptions, n int) (*results.Result, sim.Stats, error) {
	if n == 1 {
		return sim.Run(sc, cfg, wo)
	}
	seed := sc.Seed
	if wo.Seed != nil {
		seed = *wo.Seed
	}
	rs := make([]*results.Result, 0, n)
	var first sim.Stats
	for i := range n {
		s := seed + uint64(i)
		wo.Seed = &s
		if i == 1 {
			cfg.Records = nil // --records holds the first repeat's, the result's body
		}
		res, st, err := sim.Run(sc, cfg, wo)
		if err != nil {
			return nil, st, fmt.Errorf("repeat %d (seed %d): %w", i+1, s, err)
		}
		if st.Interrupted {
			res.Warnings = append(res.Warnings, fmt.Sprintf("repeat %d of %d (seed %d) did not complete; this is its partial result", i+1, n, s))
			return res, st, nil
		}
		if i == 0 {
			first = st
		}
		rs = append(rs, res)
	}
	res, err := results.Repeats(rs)
	return res, first, err
}

// elasticPools refuses an autoscaler or scripted failure for a pool the
// simulated fleet does not have (the scenario's autoscaler for decode
// with --fleet 2C): the simulator matches them to pools by name and would
// simulate the fleet without them, silently.
func elasticPools(cfg sim.Config) error {
	if len(cfg.Autoscale) == 0 && len(cfg.Failures.At) == 0 {
		return nil
	}
	spec, err := sim.ParseFleet(cfg.Fleet)
	if err != nil {
		return nil // the simulator says what is wrong with the fleet
	}
	var have []string
	for _, p := range spec.Pools {
		if r := p.Role.String(); !slices.Contains(have, r) {
			have = append(have, r)
		}
	}
	missing := func(what, pool string) error {
		if slices.Contains(have, pool) {
			return nil
		}
		return fmt.Errorf("%s for the %s pool: fleet %q has no %s pool (its pools: %s); drop it from the scenario's fleet section or simulate a fleet that has one",
			what, pool, cfg.Fleet, pool, strings.Join(have, ", "))
	}
	for _, a := range cfg.Autoscale {
		if err := missing("autoscaler", a.Pool); err != nil {
			return err
		}
	}
	for _, at := range cfg.Failures.At {
		if err := missing("scripted failure", at.Pool); err != nil {
			return err
		}
	}
	return nil
}

package main

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
	"github.com/fleetbench/fleetbench/sim/models"
)

func init() { register(newSimCmd) }

type simFlags struct {
	fleet, model, gpu, dtype  string
	routing, decodeRouting    string
	tp, blockTokens, requests int
	maxBatchTokens, maxSeqs   int
	seed                      uint64
	seedSet                   bool
	duration                  time.Duration
	rateScale                 float64
	out, records, format      string
	tierBlocks                int
	cost                      costFlags
	cpuProfile                string
	progress                  bool
}

func newSimCmd() *cobra.Command {
	var f simFlags
	cmd := &cobra.Command{
		Use:   "sim SCENARIO",
		Short: "Simulate a scenario on a GPU fleet (discrete-event, deterministic)",
		Long: `Simulate a scenario (a built-in name or a YAML file) on a fleet of GPU
instances: prefill/decode disaggregated ("4P8D") or colocated ("12C"), with an
optional video pool ("+8V"). Flags override the scenario's default fleet.
The same scenario, fleet and seed always give a byte-identical result file.`,
		Example: `  fleetbench sim chat
  fleetbench sim agent-coding --fleet 4P8D --model llama-3.1-70b --gpu h200 --tp 4 -o result.json
  fleetbench sim mooncake-conversation --fleet 1C --records records.jsonl`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			f.seedSet = cmd.Flags().Changed("seed")
			if err := checkIntFlags(cmd); err != nil {
				return err
			}
			return runSim(cmd, args[0], f)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.fleet, "fleet", "", `fleet notation, e.g. "4P8D", "12C", "4P:h200 8D:h20+8V"`)
	fl.StringVar(&f.model, "model", "", "model id ("+strings.Join(models.IDs(), ", ")+")")
	fl.StringVar(&f.gpu, "gpu", "", "default GPU type (h100, h200, h800, h20, b200, a100, l40s, 910b)")
	fl.IntVar(&f.tp, "tp", 0, "tensor-parallel GPUs per instance")
	fl.StringVar(&f.dtype, "dtype", "", "weights/compute precision: bf16 or fp8")
	fl.StringVar(&f.routing, "routing", "", "routing for new requests: round-robin, least-loaded, cache-aware, session")
	fl.StringVar(&f.decodeRouting, "decode-routing", "", "decode instance choice in PD mode: round-robin, least-loaded, cache-aware")
	fl.IntVar(&f.blockTokens, "block-tokens", 0, "KV block size in tokens (default 16)")
	fl.IntVar(&f.maxBatchTokens, "max-batch-tokens", 0, "per-step token budget (default 8192)")
	fl.IntVar(&f.maxSeqs, "max-seqs", 0, "max running sequences per instance (default 256)")
	fl.IntVar(&f.tierBlocks, "tier-blocks", 0, "second-tier (pooled DRAM/SSD) KV cache capacity per pool, in blocks")
	fl.Uint64Var(&f.seed, "seed", 0, "override the scenario seed")
	fl.IntVar(&f.requests, "requests", 0, "override the number of top-level requests/tasks")
	fl.DurationVar(&f.duration, "duration", 0, "override the scenario duration (virtual time)")
	fl.Float64Var(&f.rateScale, "rate-scale", 0, "multiply every arrival rate")
	fl.StringVarP(&f.out, "output", "o", "", "write the result JSON to this file")
	fl.StringVar(&f.records, "records", "", "write per-request records (JSONL) to this file")
	fl.StringVar(&f.format, "format", "table", "stdout format: table or json")
	fl.BoolVar(&f.progress, "progress", false, "print the virtual time reached and requests finished every few seconds (stderr)")
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the simulation to this file")
	_ = fl.MarkHidden("cpuprofile")
	addCostFlags(fl, &f.cost)
	return cmd
}

func runSim(cmd *cobra.Command, name string, f simFlags) error {
	if f.format != "table" && f.format != "json" {
		return usageErr(fmt.Errorf("--format %q: use table or json", f.format))
	}
	sc, err := scenarios.Resolve(name)
	if err != nil {
		return usageErr(err)
	}
	cfg := sim.ConfigFromScenario(sc)
	override(&cfg.Fleet, f.fleet)
	override(&cfg.Model, f.model)
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
		return usageErr(fmt.Errorf("scenario %q names no default fleet: pass --fleet (e.g. --fleet 4P8D --model llama-3.1-8b)", sc.Name))
	}
	costIn, err := f.cost.inputs(sc)
	if err != nil {
		return usageErr(err)
	}
	wo := scenarios.WorkloadOptions{Requests: f.requests, Duration: f.duration, RateScale: f.rateScale}
	if f.seedSet {
		wo.Seed = &f.seed
	}
	if f.records != "" {
		write, closeRecords, err := openRecords(f.records)
		if err != nil {
			return failErr(err)
		}
		defer closeRecords()
		cfg.Records = write
	}
	if f.cpuProfile != "" {
		pf, err := os.Create(f.cpuProfile)
		if err != nil {
			return failErr(err)
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			return failErr(err)
		}
		defer pprof.StopCPUProfile()
	}
	if f.progress {
		// Wall time lives here, never in the simulator.
		start, last := time.Now(), time.Now()
		errw := cmd.ErrOrStderr()
		cfg.Progress = func(vns int64, done uint64) {
			if time.Since(last) < 2*time.Second {
				return
			}
			last = time.Now()
			el := time.Since(start).Seconds()
			fmt.Fprintf(errw, "sim: virtual %s, %d requests done, wall %.0fs (%.1fx real time)\n",
				time.Duration(vns).Round(time.Second), done, el, float64(vns)/1e9/el)
		}
	}
	res, _, err := sim.Run(sc, cfg, wo)
	var ce *sim.ConfigError
	if errors.As(err, &ce) {
		return usageErr(err)
	}
	if res != nil {
		if cerr := results.ApplyCost(res, costIn); cerr != nil && !errors.Is(cerr, results.ErrNoFleet) {
			return usageErr(cerr)
		}
	}
	if res != nil && f.out != "" {
		if werr := writeResultFile(f.out, res); werr != nil {
			return failErr(werr)
		}
	}
	if err != nil {
		return failErr(err)
	}
	out := cmd.OutOrStdout()
	if f.format == "json" {
		return results.WriteJSON(out, res)
	}
	if err := results.RenderTable(out, res); err != nil {
		return err
	}
	if err := results.RenderCost(out, res); err != nil {
		return err
	}
	return results.RenderPools(out, res)
}

func writeResultFile(path string, res *results.Result) error {
	file, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := results.WriteJSON(file, res); err != nil {
		file.Close()
		return err
	}
	return file.Close()
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

// openRecords opens a per-request records file (JSONL) and returns its
// writer and a function that flushes and closes it.
func openRecords(path string) (write func(*results.Record) error, closeFn func(), err error) {
	file, err := os.Create(path)
	if err != nil {
		return nil, nil, err
	}
	bw := bufio.NewWriterSize(file, 1<<20)
	rw := results.NewRecordWriter(bw)
	return rw.Write, func() { _ = rw.Flush(); _ = bw.Flush(); _ = file.Close() }, nil
}

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/serve"
	"github.com/fleetbench/fleetbench/sim"
)

func init() { register(newServeCmd) }

// Default fleet of a serve started without a scenario: one small
// colocated instance plus one video GPU, so every API works out of the box.
const (
	defaultServeFleet = "1C+1V"
	defaultServeModel = "llama-3.1-8b"
	defaultServeAddr  = "127.0.0.1:8000"
)

type serveFlags struct {
	fleet, model, gpu, addr  string
	tp, blockTokens, maxSeqs int
	maxBatchTokens           int
	routing, decodeRouting   string
	videoModel, videoGPU     string
	kvTokens                 int64
	apiKeyEnv                string
	warmup                   time.Duration
}

func newServeCmd() *cobra.Command {
	var f serveFlags
	cmd := &cobra.Command{
		Use:   "serve [SCENARIO]",
		Short: "Run an emulated OpenAI-compatible endpoint whose timings come from the simulator",
		Long: `Serve an OpenAI-compatible API (/v1/models, /v1/chat/completions,
/v1/completions, streaming or not), Prometheus /metrics with vLLM's names,
and video job APIs (/v1/videos and a task-style API), backed by the
simulator's engine driven in real time: no GPU needed. Each token is sent
when the simulated fleet would have produced it.

Token convention: one token per whitespace-separated word of the message
contents (roles and chat templates count zero); output is deterministic
filler words. Without ignore_eos a reply's length is drawn from a fixed
lognormal (median 129, mean 211 tokens) seeded by the prompt text, capped by
max_tokens and raised to min_tokens.

SCENARIO (optional) supplies the default fleet and the class names results
are attributed to (header X-Fleetbench-Class picks one); without it requests
count as class "serve", whatever class their header names, on a ` + defaultServeFleet + ` fleet of ` + defaultServeModel + ` on h100.
GET /fleetbench/result returns the engine's own summary of the load so far,
measured from the first request received plus --warmup (default 0: every
request; pass the run's warm-up, printed in run's header, to compare like
with like). The scenario's warm-up is not used: the server cannot know how
a client shortened the run.`,
		Example: `  fleetbench serve
  fleetbench serve chat --addr 127.0.0.1:9000
  fleetbench serve --model llama-3.1-70b --gpu h200 --tp 4 --fleet 2C`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkIntFlags(cmd); err != nil {
				return err
			}
			if len(args) == 1 && !fleetFromFlags(cmd) {
				// It serves the file's fleet: a refused one is said at
				// its key (file:line:col).
				if sc, err := scenarios.Resolve(args[0]); err == nil {
					if err := checkScenarioFleet(sc); err != nil {
						return usageErr(err)
					}
				}
			}
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, cmd.OutOrStdout(), cmd.ErrOrStderr(), args, f, nil)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.addr, "addr", defaultServeAddr, "listen address (host:port; port 0 picks a free one)")
	fl.StringVar(&f.fleet, "fleet", "", `fleet notation, e.g. "1C", "2P4D", "1C+1V" (default `+defaultServeFleet+` without a scenario)`)
	fl.StringVar(&f.model, "model", "", "served model id from the catalog (default "+defaultServeModel+" without a scenario)")
	fl.StringVar(&f.gpu, "gpu", "", "default GPU type (h100, h200, h800, h20, b200, a100, l40s, 910b)")
	fl.IntVar(&f.tp, "tp", 0, "tensor-parallel GPUs per instance")
	fl.StringVar(&f.routing, "routing", "", "routing for new requests: round-robin, least-loaded, cache-aware, session")
	fl.StringVar(&f.decodeRouting, "decode-routing", "", "decode instance choice in PD mode: round-robin, least-loaded, cache-aware")
	fl.IntVar(&f.blockTokens, "block-tokens", 0, "KV block size in tokens (default 16)")
	fl.IntVar(&f.maxBatchTokens, "max-batch-tokens", 0, "per-step token budget (default 8192)")
	fl.IntVar(&f.maxSeqs, "max-seqs", 0, "max running sequences per instance (default 256)")
	fl.Int64Var(&f.kvTokens, "kv-tokens", 0, "override per-instance KV capacity in tokens (default: from HBM)")
	fl.StringVar(&f.videoModel, "video-model", "", "force the video pool's model (default: each request's own)")
	fl.StringVar(&f.videoGPU, "video-gpu", "", "GPU type of the video pool (default --gpu)")
	fl.DurationVar(&f.warmup, "warmup", 0, "warm-up of /fleetbench/result, counted from the first request received (the run's warm-up; default 0: every request)")
	fl.StringVar(&f.apiKeyEnv, "api-key-env", "", "environment variable holding an API key every request must send as Bearer token (/health and /metrics stay open)")
	return cmd
}

// serveConfig resolves the scenario (optional) and flags into options.
func serveConfig(args []string, f serveFlags) (serve.Options, error) {
	var opts serve.Options
	if len(args) == 1 {
		sc, err := scenarios.Resolve(args[0])
		if err != nil {
			return opts, err
		}
		opts.Scenario = sc
		opts.Config = sim.ConfigFromScenario(sc)
	}
	cfg := &opts.Config
	if opts.Scenario == nil || cfg.Fleet == "" {
		cfg.Fleet = defaultServeFleet
	}
	if cfg.Model == "" {
		cfg.Model = defaultServeModel
	}
	overrideFleet(&cfg.Fleet, f.fleet)
	override(&cfg.Model, f.model)
	override(&cfg.GPU, f.gpu)
	override(&cfg.Routing, f.routing)
	override(&cfg.DecodeRouting, f.decodeRouting)
	override(&cfg.VideoModel, f.videoModel)
	override(&cfg.VideoGPU, f.videoGPU)
	overrideInt(&cfg.TP, f.tp)
	overrideInt(&cfg.BlockTokens, f.blockTokens)
	overrideInt(&cfg.MaxBatchTokens, f.maxBatchTokens)
	overrideInt(&cfg.MaxSeqs, f.maxSeqs)
	if f.kvTokens > 0 {
		cfg.KVTokens = f.kvTokens
	}
	if err := elasticPools(*cfg); err != nil {
		return opts, err
	}
	if f.warmup < 0 {
		return opts, fmt.Errorf("--warmup %s: want a duration of 0 or more", f.warmup)
	}
	opts.Warmup = f.warmup
	if f.apiKeyEnv != "" {
		opts.APIKey = os.Getenv(f.apiKeyEnv)
		if opts.APIKey == "" {
			return opts, fmt.Errorf("--api-key-env %s: the variable is empty or unset; export it or drop the flag", f.apiKeyEnv)
		}
	}
	return opts, nil
}

// runServe serves until ctx is cancelled. ready, when set, receives the
// bound address (tests listen on port 0).
func runServe(ctx context.Context, out, stderr io.Writer, args []string, f serveFlags, ready func(net.Addr)) error {
	opts, err := serveConfig(args, f)
	if err != nil {
		return usageErr(err)
	}
	s, err := serve.New(opts)
	if err != nil {
		return usageErr(err) // an unknown model, GPU or fleet: bad input
	}
	defer s.Close()
	if !serve.IsLoopback(f.addr) {
		auth := "and no API key: anyone who can reach it can use it (--api-key-env)"
		if opts.APIKey != "" {
			auth = "with an API key but no TLS: the key travels in clear text"
		}
		fmt.Fprintf(stderr, "fleetbench: warning: serve listens on %s, reachable from other machines, %s\n", f.addr, auth)
	}
	err = s.ListenAndServe(ctx, f.addr, func(a net.Addr) {
		fmt.Fprintf(out, "fleetbench serve: model %s on fleet %q, listening on http://%s/v1 (metrics at /metrics; Ctrl-C stops)\n",
			s.Model(), opts.Config.Fleet, a)
		if ready != nil {
			ready(a)
		}
	})
	if err != nil {
		return failErr(err)
	}
	return nil
}

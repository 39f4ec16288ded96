package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/fleetbench/fleetbench/gpu"
	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners"
	"github.com/fleetbench/fleetbench/runners/scrape"
	"github.com/fleetbench/fleetbench/runners/tokens"
	"github.com/fleetbench/fleetbench/runners/video"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/shard"
)

func init() { register(newRunCmd) }

type runFlags struct {
	cfg                     runners.Config
	api, apiKeyEnv, shard   string
	headers                 []string
	rate                    float64
	workload                workloadFlags
	gate                    gateFlags
	stopEarly               bool
	repeat                  int
	output                  outputFlags
	quiet                   bool
	scrape                  string
	scrapeInterval          time.Duration
	gpuTelemetry            string
	videoAPI, videoTarget   string
	videoModel              string
	videoNoClipParams       bool
	videoPoll, videoTimeout time.Duration
	videoDownload           bool
	cost                    costFlags
	decl                    fleetDecl
	tokenizer               string
	cpuProfile              string
}

// runSignals is the context a run stops on: Ctrl-C or SIGTERM. Tests
// replace it to interrupt a run.
var runSignals = func(ctx context.Context) (context.Context, context.CancelFunc) {
	return signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
}

func newRunCmd() *cobra.Command {
	var f runFlags
	cmd := &cobra.Command{
		Use:   "run SCENARIO --target URL",
		Short: "Drive a real OpenAI-compatible endpoint with a scenario and measure it",
		Long: `Send a scenario's requests (a built-in name or a YAML file) to an
OpenAI-compatible server (vLLM, SGLang, TensorRT-LLM, a cloud API) at the
scenario's arrival times, open loop by default, and measure TTFT (from the
actual and the intended send time), per-token ITL, TPOT, E2E, usage and
cached tokens. Agent sessions are played as real multi-turn conversations.
The result file has the same shape as fleetbench sim's: report, compare and
merge read both. Ctrl-C stops sending, waits --grace, and writes what was
collected. Tasks arriving in the warm-up are not measured (docs/metrics.md).
` + exitCodesHelp,
		Example: `  fleetbench run chat --target http://127.0.0.1:8000/v1 --model meta-llama/Llama-3.1-8B-Instruct -o result.json
  fleetbench run agent-coding --target http://gpu1:8000/v1 --model m --rate 0.5 --duration 5m --records records.jsonl
  fleetbench run chat --target http://h:8000/v1 --model m --concurrency 64 --requests 2000
  fleetbench run chat --target http://h:8000/v1 --model m --shard 0/4 -o shard0.json   # on 4 load machines, then fleetbench merge`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := f.workload.parsed(cmd); err != nil {
				return err
			}
			return runRun(cmd, args[0], &f)
		},
	}
	fl := cmd.Flags()
	c := &f.cfg
	fl.StringVar(&c.Target, "target", "", "API base URL as OpenAI clients take it, e.g. http://127.0.0.1:8000/v1")
	fl.StringVar(&c.Model, "model", "", `"model" field of every request`)
	fl.StringVar(&f.api, "api", "chat", "chat (/chat/completions) or completions (/completions)")
	fl.StringVar(&f.apiKeyEnv, "api-key-env", "", "environment variable holding the API key (sent as Bearer token)")
	fl.StringArrayVar(&f.headers, "header", nil, "extra request header K:V (repeatable)")
	fl.Float64Var(&f.rate, "rate", 0, "total arrival rate in requests (tasks) per second, scaling the scenario's open-loop classes")
	fl.IntVar(&c.Concurrency, "concurrency", 0, "closed loop: this many tasks in flight, each sent when the previous ended")
	fl.IntVar(&c.MaxInflight, "max-inflight", 0, "open loop: cap on requests in flight; arrivals at the cap are dropped and counted")
	fl.IntVar(&c.Senders, "senders", 0, fmt.Sprintf("open loop: cap on requests in flight and connections (default %d); an arrival due when all are busy is sent late, its delay recorded", runners.DefaultSenders))
	addWorkloadFlags(fl, &f.workload, false, "", "multiply every arrival rate (trace classes: replay speed-up)")
	fl.StringVar(&f.shard, "shard", "", "send shard i/n of the schedule (n load machines; merge the files)")
	fl.DurationVar(&c.ConnectTimeout, "connect-timeout", 10*time.Second, "per-request connect timeout")
	fl.DurationVar(&c.FirstTokenTimeout, "first-token-timeout", 5*time.Minute, "per-request send-to-first-token timeout")
	fl.DurationVar(&c.Timeout, "timeout", 30*time.Minute, "per-request total timeout")
	fl.DurationVar(&c.Grace, "grace", 10*time.Second, "after Ctrl-C (or --stop-early), how long requests in flight may finish")
	fl.BoolVar(&c.NoStream, "no-stream", false, "send stream:false (no TTFT/ITL)")
	fl.BoolVar(&c.IgnoreEOS, "ignore-eos", true, `send "ignore_eos": true so outputs have the scenario's length (vLLM/SGLang/TRT-LLM; turn off for cloud APIs)`)
	fl.BoolVar(&c.MinTokens, "min-tokens", false, `send "min_tokens" = max_tokens (vLLM)`)
	fl.BoolVar(&c.ContinuousUsage, "continuous-usage", false, "ask for usage in every chunk (vLLM continuous_usage_stats): exact tokens per chunk")
	fl.StringVar(&c.ToolRole, "tool-role", "user", `role of tool-result messages: user, or tool for targets that accept bare tool messages`)
	addOutputFlags(fl, &f.output, "result", resultFormats, true)
	fl.BoolVarP(&f.quiet, "quiet", "q", false, "no progress display")
	fl.StringVar(&f.scrape, "scrape", "", "Prometheus /metrics URL of the server to scrape during the run")
	fl.DurationVar(&f.scrapeInterval, "scrape-interval", time.Second, "scrape interval")
	fl.StringVar(&f.gpuTelemetry, "gpu-telemetry", "auto", "GPU telemetry (NVML) on this machine: auto (when present), off, or GPU indices/UUIDs")
	fl.StringVar(&f.videoAPI, "video-api", "openai", "video-job protocol for video classes: openai (/videos) or task")
	fl.StringVar(&f.videoTarget, "video-target", "", "video API base URL (default --target)")
	fl.StringVar(&f.videoModel, "video-model", "", "model id sent for video jobs (default: the scenario's)")
	fl.BoolVar(&f.videoNoClipParams, "video-no-clip-params", false, "leave fps and steps out of OpenAI video create requests (for servers that refuse unknown fields; fleetbench serve then uses its defaults)")
	fl.DurationVar(&f.videoPoll, "video-poll", time.Second, "video job status poll interval")
	fl.DurationVar(&f.videoTimeout, "video-timeout", 30*time.Minute, "per-clip timeout")
	fl.BoolVar(&f.videoDownload, "video-download", false, "download each finished clip")
	fl.StringVar(&f.tokenizer, "tokenizer", tokens.Default, "count sent and received tokens with: "+tokens.Describe()+"; the server's usage is used when it agrees within 25%")
	addGateFlags(fl, &f.gate, true)
	fl.IntVar(&f.repeat, "repeat", 1, fmt.Sprintf("run N times with seeds SEED, SEED+1, ... (at most %d) and write the first run's result with extra.repeats holding each metric's spread across all of them (compare's noise band for BASE without records); --records gets the first run's records; an interrupted or failed repeat ends the series with its own partial result", results.MaxRepeats))
	fl.BoolVar(&f.stopEarly, "stop-early", false, fmt.Sprintf("end the run as soon as, after at least %d measured requests, it breaks --max-error-rate, --max-drop-rate or (with --fail-on-saturation) saturates the client; the partial result is written and the exit status is 1", runners.StopEarlyMin))
	addCostFlags(fl, &f.cost)
	addFleetDeclFlags(fl, &f.decl)
	fl.StringVar(&f.cpuProfile, "cpuprofile", "", "write a Go CPU profile of the whole run (set-up included) to this file")
	_ = fl.MarkHidden("cpuprofile")
	return cmd
}

func runRun(cmd *cobra.Command, name string, f *runFlags) error {
	if f.cpuProfile != "" {
		stop, err := startCPUProfile(f.cpuProfile)
		if err != nil {
			return failErr(err)
		}
		defer stop()
	}
	if err := checkFormat(f.output.format, resultFormats); err != nil {
		return err
	}
	sc, err := resolveScenario(name)
	if err != nil {
		return err
	}
	wo, err := f.workloadOptions(sc)
	if err != nil {
		return usageErr(err)
	}
	if err := f.gate.validate(); err != nil {
		return usageErr(err)
	}
	sc, warm, err := f.workload.warm.resolve(sc, wo, f.cfg.Concurrency > 0)
	if err != nil {
		return usageErr(err)
	}
	warnRequestCap(cmd.ErrOrStderr(), sc, wo, f.cfg.Concurrency > 0)
	costIn, err := f.cost.inputs(sc)
	if err != nil {
		return usageErr(err)
	}
	costIn.MaxLag = f.gate.limits.MaxLag
	declared, err := f.decl.info()
	if err != nil {
		return usageErr(err)
	}
	stderr := cmd.ErrOrStderr()
	cfg, err := f.config(sc, stderr)
	if err != nil {
		return usageErr(err)
	}
	if f.repeat < 1 || f.repeat > results.MaxRepeats {
		return usageErr(fmt.Errorf("--repeat %d: want 1 to %d", f.repeat, results.MaxRepeats))
	}
	ctx, stop := runSignals(cmd.Context())
	defer stop()
	var st runners.Stats
	if err := checkWritable("-o", f.output.out); err != nil {
		return err // before the run: a result measured, then not written, was lost
	}
	res, err := f.output.recordRun(func(write func(*results.Record) error) (res *results.Result, err error) {
		cfg.Records = write
		res, st, err = runRepeats(ctx, sc, cfg, wo, f.repeat)
		return res, err
	})
	var ce *runners.ConfigError
	if errors.As(err, &ce) {
		return usageErr(err)
	}
	if res != nil && declared != nil {
		res.Fleet = declared
	}
	noteWarmup(res, warm)
	if err := emitResult(cmd, res, err, f.output, costIn); err != nil {
		return err
	}
	if st.StoppedEarly != "" {
		return failErr(fmt.Errorf("stopped early after %s (--stop-early): %s", st.Elapsed.Round(time.Millisecond), st.StoppedEarly))
	}
	if st.Interrupted {
		return &exitCode{code: 130, err: fmt.Errorf("interrupted after %s: %d requests recorded, %d cancelled after the grace period", st.Elapsed.Round(time.Millisecond), st.Records, st.Cancelled)}
	}
	return f.gate.judge(res)
}

// workloadOptions are the workload flags' options, with --rate turned into
// the rate scale that gives it.
func (f *runFlags) workloadOptions(sc *scenarios.Scenario) (scenarios.WorkloadOptions, error) {
	wo := f.workload.options()
	if f.rate == 0 {
		return wo, nil
	}
	if f.workload.rateScale != 0 || f.cfg.Concurrency > 0 {
		return wo, errors.New("--rate cannot be combined with --rate-scale or --concurrency")
	}
	var err error
	wo.RateScale, err = runners.RateScaleFor(sc, f.rate)
	return wo, err
}

// config is the runner configuration the flags describe: API, key,
// tokenizer, headers, shard, video client, scraping, GPU telemetry and
// progress (on stderr). Errors are bad flags.
func (f *runFlags) config(sc *scenarios.Scenario, stderr io.Writer) (runners.Config, error) {
	cfg := f.cfg
	cfg.API = runners.API(f.api)
	for _, u := range []string{f.videoTarget, f.scrape} {
		if u != "" {
			cfg.RedactURLs = append(cfg.RedactURLs, u)
		}
	}
	if f.stopEarly {
		l := f.gate.limits
		cfg.StopEarly = &l
	}
	if f.apiKeyEnv != "" {
		cfg.APIKey = os.Getenv(f.apiKeyEnv)
		if cfg.APIKey == "" {
			return cfg, fmt.Errorf("--api-key-env %s: the variable is empty or unset; export it or drop the flag", f.apiKeyEnv)
		}
	}
	var err error
	if cfg.Tokenizer, err = tokens.Get(f.tokenizer); err != nil {
		return cfg, err
	}
	cfg.Header = http.Header{}
	for _, h := range f.headers {
		if err := runners.ParseHeader(cfg.Header, h); err != nil {
			return cfg, err
		}
	}
	if f.shard != "" {
		set, n, err := shard.Parse(f.shard, false)
		if err != nil {
			return cfg, fmt.Errorf("--%w", err)
		}
		cfg.Shard, cfg.Shards = set[0], n
	}
	if err := f.videoRunner(sc, &cfg); err != nil {
		return cfg, err
	}
	if f.scrape != "" {
		// Validated here, so a bad URL or interval exits 2 before anything is sent.
		h, err := scrape.NewHook([]string{f.scrape}, f.scrapeInterval, nil, nil)
		if err != nil {
			return cfg, err
		}
		cfg.Hooks = append(cfg.Hooks, h)
	}
	cfg.Warnings = stderr
	// GPU telemetry: "auto" samples NVML when present and says in one line
	// when it is not; the run goes on either way.
	sampler, err := gpu.TelemetryFromFlag(f.gpuTelemetry)
	if err != nil {
		return cfg, err
	}
	if sampler != nil {
		var status io.Writer = stderr
		if f.quiet {
			status = nil
		}
		cfg.Hooks = append(cfg.Hooks, sampler.Hook(status))
	}
	if !f.quiet {
		cfg.Progress = stderr
		cfg.ProgressTTY = isTerminal(stderr)
	}
	return cfg, nil
}

// videoRunner configures the video-job client when the scenario has video
// classes.
func (f *runFlags) videoRunner(sc *scenarios.Scenario, cfg *runners.Config) error {
	has := false
	for _, c := range sc.Classes {
		has = has || c.Kind == scenarios.KindVideo
	}
	if !has {
		return nil
	}
	base := f.videoTarget
	if base == "" {
		base = cfg.Target
	}
	vc, err := video.New(video.Config{API: video.API(f.videoAPI), BaseURL: base, APIKey: cfg.APIKey, Header: cfg.Header,
		Model: f.videoModel, PollInterval: f.videoPoll, Timeout: f.videoTimeout, Download: f.videoDownload, NoClipParams: f.videoNoClipParams})
	if err != nil {
		return err
	}
	cfg.Video = vc
	return nil
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// runRepeats runs the endpoint benchmark n times with consecutive seeds
// and returns the first run's result with the spread of all
// (results.Repeats). A repeat that fails, is interrupted or stops early
// ends the series: its own result and stats are returned.
func runRepeats(ctx context.Context, sc *scenarios.Scenario, cfg runners.Config, wo scenarios.WorkloadOptions, n int) (*results.Result, runners.Stats, error) {
	if n == 1 {
		return runners.Run(ctx, sc, cfg, wo)
	}
	seed := sc.Seed
	if wo.Seed != nil {
		seed = *wo.Seed
	}
	var rs []*results.Result
	var first runners.Stats
	for i := range n {
		s := seed + uint64(i)
		wo.Seed = &s
		if i == 1 {
			cfg.Records = nil // --records holds the first repeat's, the result's body
		}
		res, st, err := runners.Run(ctx, sc, cfg, wo)
		if err != nil || st.Interrupted || st.StoppedEarly != "" || res == nil {
			if res != nil {
				res.Warnings = append(res.Warnings, fmt.Sprintf("repeat %d of %d (seed %d) did not complete; this is its partial result", i+1, n, s))
			}
			return res, st, err
		}
		if i == 0 {
			first = st
		}
		rs = append(rs, res)
	}
	res, err := results.Repeats(rs)
	return res, first, err
}

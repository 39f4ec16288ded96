// Package runners drives a real OpenAI-compatible endpoint with a scenario:
// it paces the scenario's requests on the wall clock (open loop by default,
// through a vegeta Pacer over the same arrival code the simulator uses),
// renders their content blocks to deterministic prompt text, plays agent
// sessions as real multi-turn conversations, times every streamed chunk on
// the monotonic clock and emits one results.Record per request. Summaries
// are computed by results.Summary, never here.
//
// Video jobs (runners/video) and Prometheus scraping (runners/scrape) plug in
// through Config.Video and Config.Scrape.
package runners

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/tokens"
	"github.com/fleetbench/fleetbench/scenarios"
)

// API selects the OpenAI-compatible endpoint requests go to.
type API string

// Supported APIs.
const (
	APIChat        API = "chat"        // POST {target}/chat/completions with messages
	APICompletions API = "completions" // POST {target}/completions with one prompt string
)

// Config configures one endpoint run. The zero value of every field but
// Target is a usable default; Validate fills defaults and reports the first
// problem in terms of the command-line flag that sets it.
type Config struct {
	// Target is the API base URL as OpenAI clients take it, e.g.
	// http://127.0.0.1:8000/v1; requests go to Target + "/chat/completions".
	Target string
	// RedactURLs are the run's other URLs (--video-target, --scrape): their
	// credentials are cut out of error records like Target's.
	RedactURLs []string
	// Model is the "model" field of every request (required by most servers).
	Model string
	// API is chat (default) or completions.
	API API
	// APIKey, when set, is sent as "Authorization: Bearer APIKey".
	APIKey string
	// Header holds extra request headers (--header K:V).
	Header http.Header

	// NoStream sends stream:false: no TTFT or ITL, only E2E and usage
	// (first token = last token = response fully read).
	NoStream bool
	// IgnoreEOS adds "ignore_eos": true so the server generates exactly
	// max_tokens (vLLM, SGLang, TensorRT-LLM); cloud APIs reject it.
	IgnoreEOS bool
	// MinTokens adds "min_tokens": max_tokens (vLLM) for the same purpose.
	MinTokens bool
	// ContinuousUsage adds stream_options.continuous_usage_stats (vLLM): the
	// usage in every chunk tells how many tokens the chunk carried.
	// Without it, a chunk's token count is estimated from the final usage
	// (see tokensPerChunk).
	ContinuousUsage bool
	// ToolRole is the chat role tool-result blocks are sent with: "user"
	// (default: OpenAI "tool" messages need a tool_call_id and a preceding
	// assistant tool call, which synthetic sessions do not have) or "tool"
	// for targets that accept bare tool messages.
	ToolRole string

	// PromptSalt is mixed into every prompt block's id before it becomes
	// text (0: none). A live sweep gives each step its own salt so that no
	// step resends an earlier step's prompts: the server's prefix cache
	// would serve them, and each step must see the cold cache a fresh
	// simulation starts with. Sharing within a step is unchanged.
	PromptSalt uint64

	// Concurrency > 0 runs a closed loop: that many workers, each sending
	// its next task as soon as the previous one finished; arrival times of
	// the scenario are ignored. 0 = open loop on the scenario's schedule.
	Concurrency int
	// MaxInflight caps in-flight requests in the open loop; an arrival that
	// finds the cap reached is not sent and is recorded with error class
	// "dropped". 0 = no dropping: arrivals beyond Senders are sent late.
	MaxInflight int
	// Senders caps the open loop's senders: requests on the wire at once,
	// and connections (default DefaultSenders; MaxInflight when that is
	// set). A request due when every sender is busy is sent as soon as one
	// frees up, its lateness recorded as schedule delay.
	Senders int
	// Shard and Shards send only top-level arrivals whose 0-based index i
	// satisfies i % Shards == Shard (and their follow-up turns), so Shards
	// load machines together replay one schedule. Shards 0 or 1 = all.
	Shard, Shards int

	// ConnectTimeout bounds dialing a connection (default 10s).
	ConnectTimeout time.Duration
	// FirstTokenTimeout bounds send → first token (default 5m; 0 = default).
	FirstTokenTimeout time.Duration
	// Timeout bounds one request from send to the end of its response
	// (default 30m).
	Timeout time.Duration
	// Grace is how long in-flight requests may finish after the context is
	// cancelled (Ctrl-C) before they are cancelled (default 10s; <0 = none).
	Grace time.Duration

	// Tokenizer counts the tokens sent and received (nil: the default
	// encoding, tokens.Default); the server's usage is believed only when
	// it agrees with the count (see reconcile).
	Tokenizer *tokens.Counter
	// Warnings, when set, receives warnings found during the run (printed
	// once, e.g. the first usage/count mismatch); the result lists them too.
	Warnings io.Writer

	// Client overrides the HTTP client (tests); nil builds one tuned for
	// many concurrent streams.
	Client *http.Client
	// Records, when set, receives every record (already fed to the
	// summary), from one goroutine at a time; e.g. a RecordWriter's Write.
	Records func(*results.Record) error
	// StopEarly, when set, ends the run (stops sending, finishes what is in
	// flight within Grace, writes the partial result) as soon as, after at
	// least StopEarlyMin measured requests, the result so far breaks one of
	// these limits' rates: error rate, drop rate, or (FailOnSaturation) a
	// saturated client. results.Check judges, as at the end of a run.
	StopEarly *results.Limits
	// Progress, when set, receives a live progress display.
	Progress io.Writer
	// ProgressTTY redraws one line in place (a terminal); otherwise a plain
	// line is written every ProgressInterval.
	ProgressTTY bool
	// ProgressInterval is the plain-line period (default 5s; 200ms on a TTY).
	ProgressInterval time.Duration

	// Fleet is the serving fleet as the user declares it (optional), copied
	// into the result for the cost model.
	Fleet *results.FleetInfo
	// Video runs video-generation requests; nil records them as errors of
	// class "unsupported".
	Video VideoRunner
	// Hooks run around the measured run (GPU telemetry, server-metrics
	// scraping): Start before the first request, Stop after the last,
	// with the result to fill in.
	Hooks []Hook
}

// VideoRunner performs one video-generation job (create, poll, download) and
// returns its record with times in ns since start (the run's time origin).
type VideoRunner interface {
	Do(ctx context.Context, r *scenarios.Request, start time.Time) *results.Record
}

// Hook is something that runs alongside the measured run: the GPU
// telemetry sampler or the server-metrics scraper. Start is called just
// before the first request with the run's time origin (an error aborts the
// run as bad configuration); Stop after the last one, with the result it
// may add its timeline to (nil when the run was aborted).
type Hook interface {
	Start(ctx context.Context, start time.Time) error
	Stop(res *results.Result) error
}

// ConfigError is bad user input in a Config: the CLI exits 2 on it.
type ConfigError struct{ Msg string }

func (e *ConfigError) Error() string { return e.Msg }

func configErr(format string, a ...any) error { return &ConfigError{Msg: fmt.Sprintf(format, a...)} }

// Validate fills defaults and checks the configuration.
func (c *Config) Validate() error {
	if c.Target == "" {
		return configErr("--target is required: the API base URL, e.g. http://127.0.0.1:8000/v1")
	}
	u, err := url.Parse(c.Target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return configErr("--target %q is not an http(s) URL: give the API base URL, e.g. http://127.0.0.1:8000/v1", RedactURL(c.Target))
	}
	if c.APIKey != "" && c.Header.Get("Authorization") != "" {
		return configErr("both --api-key-env and an Authorization header (--header) give credentials: keep one")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	c.Target = u.String()
	switch c.API {
	case "":
		c.API = APIChat
	case APIChat, APICompletions:
	default:
		return configErr("--api %q: use chat or completions", c.API)
	}
	switch c.ToolRole {
	case "":
		c.ToolRole = "user"
	case "user", "tool":
	default:
		return configErr("--tool-role %q: use user or tool", c.ToolRole)
	}
	if c.Concurrency < 0 || c.MaxInflight < 0 {
		return configErr("--concurrency and --max-inflight must not be negative")
	}
	if c.Senders < 0 || c.Senders > MaxSenders || c.MaxInflight > MaxSenders || c.Concurrency > MaxSenders {
		return configErr("--senders, --max-inflight and --concurrency must be at most %d (each is a request on the wire with its own connection)", MaxSenders)
	}
	if c.Senders > 0 && (c.MaxInflight > 0 || c.Concurrency > 0) {
		return configErr("--senders sizes the open loop without --max-inflight; with --max-inflight or --concurrency that number is the cap, so drop --senders")
	}
	if c.Senders == 0 {
		c.Senders = DefaultSenders
	}
	if c.Concurrency > 0 && c.MaxInflight > 0 {
		return configErr("--max-inflight caps the open loop; it cannot be combined with --concurrency (a closed loop never exceeds its concurrency)")
	}
	if c.Shards < 0 || c.Shard < 0 || (c.Shards > 1 && c.Shard >= c.Shards) || (c.Shards <= 1 && c.Shard > 0) {
		return configErr("--shard %d/%d: want i/n with 0 <= i < n", c.Shard, c.Shards)
	}
	if c.Shards == 0 {
		c.Shards = 1
	}
	if c.ConnectTimeout < 0 || c.FirstTokenTimeout < 0 || c.Timeout < 0 {
		return configErr("timeouts must not be negative")
	}
	if c.ConnectTimeout == 0 {
		c.ConnectTimeout = 10 * time.Second
	}
	if c.FirstTokenTimeout == 0 {
		c.FirstTokenTimeout = 5 * time.Minute
	}
	if c.Timeout == 0 {
		c.Timeout = 30 * time.Minute
	}
	if c.Grace == 0 {
		c.Grace = 10 * time.Second
	}
	if c.Grace < 0 {
		c.Grace = 0
	}
	if c.Tokenizer == nil {
		c.Tokenizer = c.counter()
	}
	if c.ProgressInterval <= 0 {
		c.ProgressInterval = 5 * time.Second
		if c.ProgressTTY {
			c.ProgressInterval = 200 * time.Millisecond
		}
	}
	return nil
}

// connections is the most requests the run has on the wire at once: the
// closed loop's workers, or the open loop's senders.
func (c *Config) connections() int {
	switch {
	case c.Concurrency > 0:
		return c.Concurrency
	case c.MaxInflight > 0:
		return c.MaxInflight
	}
	return c.Senders
}

// endpoint is the full URL requests are posted to: the API path appended
// to the target's path, its query (e.g. Azure's api-version) kept.
func (c *Config) endpoint() string {
	path := "/chat/completions"
	if c.API == APICompletions {
		path = "/completions"
	}
	u, err := url.Parse(c.Target)
	if err != nil { // Validate parsed it already
		return c.Target + path
	}
	u.Path += path
	return u.String()
}

// ParseHeader parses "Key: Value" or "Key:Value" (--header) into h.
func ParseHeader(h http.Header, kv string) error {
	k, v, ok := strings.Cut(kv, ":")
	k = strings.TrimSpace(k)
	if !ok || k == "" || strings.ContainsAny(k, " \t\r\n") {
		return configErr("--header %q: want Key:Value, e.g. X-Tenant:bench", kv)
	}
	h.Add(k, strings.TrimSpace(v))
	return nil
}

// RateScaleFor returns the RateScale that makes the scenario's open-loop
// classes together arrive at rate requests (tasks) per second (--rate).
func RateScaleFor(sc *scenarios.Scenario, rate float64) (float64, error) {
	if !(rate > 0) {
		return 0, configErr("--rate %v: want a positive number of requests per second", rate)
	}
	total := 0.0
	for _, c := range sc.Classes {
		if !c.Arrival.IsClosed() {
			total += c.Arrival.MeanRate()
		}
	}
	if !(total > 0) {
		return 0, configErr("--rate: scenario %q has no open-loop class with a known mean rate to scale; use --concurrency or edit the scenario", sc.Name)
	}
	return rate / total, nil
}

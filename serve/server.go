// Package serve is fleetbench's emulated endpoint: an OpenAI-compatible
// HTTP server (chat completions, completions, models, Prometheus metrics
// with vLLM's names, and video job APIs) whose timings come from the
// simulator's engine driven in real time. One goroutine owns a sim.Live
// engine and advances it to the current wall time (virtual time = monotonic
// wall time since start); handlers submit requests to it and stream each
// token no earlier than its virtual time. The simulator itself stays pure.
//
// Token convention (shared with the endpoint runner via scenarios/text):
// one token per whitespace-separated word of the message contents,
// concatenated in order; roles and chat-template markers count zero. The
// words are cut into KV-block-sized chunks hashed by their text, so the
// simulated prefix cache sees exactly the text's real sharing. Output is
// deterministic filler words, one per token.
package serve

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/sim"
)

// DefaultClass is the class requests are attributed to when serve runs
// without a scenario.
const DefaultClass = "serve"

// DefaultVideoClass is the class video jobs are attributed to without a
// scenario.
const DefaultVideoClass = "serve-video"

// ClassHeader lets a client attribute a request to a scenario class by
// name (fleetbench run sends it on every request); without it a text
// request whose model field names a class goes to that class, and any
// other to the scenario's first class of the request's kind.
const ClassHeader = scenarios.ClassHeader

// Options configure a Server.
type Options struct {
	// Scenario supplies the class names (and SLOs) results are attributed
	// to; nil = one chat class "serve" and one video class "serve-video".
	Scenario *scenarios.Scenario
	// Config is the simulated fleet. Config.Model is the served model id.
	Config sim.Config
	// Spin is how long before each due engine event the clock loop yields
	// in a loop instead of sleeping: Go timers fire up to ~1 ms late, which
	// would delay every token by that much. Costs up to one core while the
	// engine is busy. 0 = DefaultSpin; negative = timers only.
	Spin time.Duration
	// Records, when set, receives the engine's record of every finished
	// request (virtual times: ns since the server started), from the
	// engine goroutine: it must be quick and must not call the Server.
	Records func(*results.Record)
	// APIKey, when set, is required as "Authorization: Bearer APIKey" on
	// every endpoint but /health and /metrics (401 otherwise).
	APIKey string
	// BodyTimeout bounds reading one request body (0 = DefaultBodyTimeout).
	BodyTimeout time.Duration
	// Warmup is the warm-up of Result, counted from the first request the
	// server receives: requests of tasks that arrive before it are left
	// out. Pass the run's warm-up (run prints it in its header) to compare
	// like with like; 0 measures every request. The scenario's warm-up is
	// not used: the server cannot know how a client shortened the run.
	Warmup time.Duration
}

// DefaultSpin is the default Options.Spin.
const DefaultSpin = 1500 * time.Microsecond

// Server is a running emulated endpoint. Create it with New, serve its
// Handler, and Close it when done.
type Server struct {
	sc    *scenarios.Scenario
	model string
	// contextTokens is the model's maximum length (prompt + output); a
	// longer request is a 400, as on a real server. 0: unknown.
	contextTokens int
	created       int64 // unix seconds, for /v1/models
	tok           tokenizer
	lp            *loop
	nextID        atomic.Uint64
	chatCls       string
	vidCls        string
	mux           *http.ServeMux
	videos        *videoStore
	metrics       *metrics
	// videoOverride is the fleet's forced video model ("" = per request).
	videoOverride string
	apiKey        string
	bodyTimeout   time.Duration
	// anyClass: started without a scenario, serve credits a request whose
	// class header names a class it does not have to its own class of the
	// request's kind (a client's scenario is not serve's to check).
	anyClass bool
}

// New builds the engine for opts and starts its clock. The caller must
// Close the server.
func New(opts Options) (*Server, error) {
	sc := opts.Scenario
	anyClass := sc == nil
	if anyClass {
		sc = defaultScenario()
	}
	cfg := opts.Config
	if cfg.Model == "" {
		return nil, fmt.Errorf("no model: pass --model (e.g. llama-3.1-8b) or a scenario with a default fleet")
	}
	if cfg.Fleet == "" {
		return nil, fmt.Errorf("no fleet: pass --fleet (e.g. 1C) or a scenario with a default fleet")
	}
	s := &Server{sc: sc, model: cfg.Model, created: time.Now().Unix(), mux: http.NewServeMux(), videoOverride: cfg.VideoModel,
		apiKey: opts.APIKey, bodyTimeout: opts.BodyTimeout, anyClass: anyClass}
	if s.bodyTimeout <= 0 {
		s.bodyTimeout = DefaultBodyTimeout
	}
	for _, c := range sc.Classes {
		switch {
		case c.Kind == scenarios.KindVideo && s.vidCls == "":
			s.vidCls = c.Name
		case c.Kind != scenarios.KindVideo && s.chatCls == "":
			s.chatCls = c.Name
		}
	}
	spin := opts.Spin
	if spin == 0 {
		spin = DefaultSpin
	}
	// Token-count buckets run to the model's context (vLLM's
	// max_model_len), else to the largest request serve accepts.
	metricsFor := func(contextTokens int) *metrics {
		if contextTokens <= 0 || contextTokens > maxTokensLimit {
			contextTokens = maxTokensLimit
		}
		return newMetrics(s.model, contextTokens, s.liveGauges)
	}
	lp, err := newLoop(sc, cfg, max(spin, 0), opts.Records, metricsFor, max(opts.Warmup, 0))
	if err != nil {
		return nil, err
	}
	s.lp = lp
	s.metrics = lp.m
	s.tok = tokenizer{blockTokens: lp.live.BlockTokens()}
	s.contextTokens = lp.live.ContextTokens()
	s.videos = newVideoStore()
	s.routes()
	return s, nil
}

// defaultScenario names the classes of a serve started without one.
func defaultScenario() *scenarios.Scenario {
	return &scenarios.Scenario{Name: "serve", Seed: 1, Classes: []scenarios.Class{
		{Name: DefaultClass, Kind: scenarios.KindChat},
		{Name: DefaultVideoClass, Kind: scenarios.KindVideo},
	}}
}

func (s *Server) routes() {
	s.mux.HandleFunc("GET /v1/models", s.handleModels)
	s.mux.HandleFunc("GET /v1/models/{id...}", s.handleModel)
	s.mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
	s.mux.HandleFunc("POST /v1/completions", s.handleCompletion)
	s.mux.HandleFunc("GET /metrics", s.handleMetrics)
	s.mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	s.mux.HandleFunc("GET /fleetbench/result", s.handleResult)
	s.videoRoutes()
	s.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, errInvalidRequest, "",
			fmt.Sprintf("no route %s %s: fleetbench serve offers /v1/models, /v1/chat/completions, /v1/completions, /v1/videos, /metrics", r.Method, r.URL.Path))
	})
}

// Handler is the HTTP handler of every endpoint, behind the API-key check
// and the bounded body read (guard).
func (s *Server) Handler() http.Handler { return s.guard(s.mux) }

// Model is the served model id.
func (s *Server) Model() string { return s.model }

// Result summarises every request the engine completed so far: the
// simulator's own view of the load it was given (virtual times).
// Its window starts at the first request plus Options.Warmup, which the
// result records (results.ServeFirstRequestKey, ServeWarmupKey) so that
// the table does not read the server's idle time before it as a warm-up.
func (s *Server) Result() (*results.Result, error) {
	var res *results.Result
	var first int64
	started := false
	err := s.lp.query(func(l *sim.Live) {
		res = l.Result()
		first, started = s.lp.firstNs, s.lp.started // on the loop goroutine, as l
	})
	if err == nil && res != nil && started {
		if res.Extra == nil {
			res.Extra = map[string]any{}
		}
		res.Extra[results.ServeFirstRequestKey] = float64(first) / 1e9
		res.Extra[results.ServeWarmupKey] = s.lp.warmup.Seconds()
	}
	return res, err
}

// Close stops the engine; requests in flight fail.
func (s *Server) Close() { s.lp.close() }

// ListenAndServe serves on addr until ctx is cancelled, then shuts down
// gracefully. ready, when non-nil, receives the bound address once the
// listener is open (useful with port 0).
func (s *Server) ListenAndServe(ctx context.Context, addr string, ready func(net.Addr)) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("listening on %s: %w (is another server using the port? pick one with --addr)", addr, err)
	}
	hs := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute}
	if ready != nil {
		ready(ln.Addr())
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.Close() // fail in-flight streams so Shutdown does not wait on them
	if err := hs.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

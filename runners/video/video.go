// Package video drives asynchronous video-generation APIs for the endpoint
// runner: create a job, poll its status at a fixed interval, optionally
// download the clip, and record queue wait, generation time and total as
// one results.Record, shaped like the simulator's video records:
//
//	Sent        the create request was sent
//	FirstToken  generation observed started (first poll not "queued")
//	LastToken   clip observed ready (first poll "completed"/"succeeded")
//	QueueNs     FirstToken - Sent
//
// Two protocols are supported: the OpenAI videos API (POST /videos,
// GET /videos/{id}, GET /videos/{id}/content) and task-style
// content-generation APIs such as Volcengine Ark's Seedance
// (POST /contents/generations/tasks, GET /contents/generations/tasks/{id},
// result in content.video_url); all paths are configurable.
//
// Transitions are only seen when polled, so FirstToken and LastToken are
// upper bounds, late by at most one poll interval plus one poll's HTTP
// latency. Downloads are checked (status, non-empty body) but not timed
// into LastToken, so endpoint records stay comparable with simulated ones.
//
// A Client never panics on server behaviour and never retries: every
// failure becomes a record with an error class.
package video

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"mime/multipart"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/runners/redact"
	"github.com/fleetbench/fleetbench/scenarios"
	"github.com/fleetbench/fleetbench/scenarios/text"
)

// API names a video-job protocol.
type API string

// Supported protocols.
const (
	OpenAI API = "openai" // OpenAI videos API (Sora-style)
	Task   API = "task"   // task-style content generation (Volcengine Ark / Seedance shape)
)

// Error classes (results.Record.ErrorClass). The HTTP, timeout, cancelled,
// connect, disconnect and empty classes carry the same names as the chat
// runner's.
const (
	ClassHTTP429     = "http_429"           // rate limited (create, poll or download)
	ClassHTTP4xx     = "http_4xx"           // other client errors: bad model, bad size, auth
	ClassHTTP5xx     = "http_5xx"           // server errors
	ClassFailed      = "failed"             // the job itself ended failed, cancelled or expired
	ClassTimeout     = "timeout"            // not done within Config.Timeout
	ClassCancelled   = "cancelled"          // the run was interrupted
	ClassConnect     = "connect"            // could not connect
	ClassDisconnect  = "disconnect"         // the connection broke mid-exchange
	ClassMalformed   = "malformed_response" // not the JSON job object the API defines
	ClassEmpty       = "empty"              // download returned no bytes
	ClassUnsupported = "unsupported"        // a request without a video spec
)

// Paths are the API's endpoints relative to Config.BaseURL; "{id}" is
// replaced by the job id.
type Paths struct {
	Create  string // POST
	Status  string // GET, must contain {id}
	Content string // GET download; "" = the URL the status returns (task APIs)
}

// DefaultPaths returns the standard paths of api.
func DefaultPaths(api API) Paths {
	if api == Task {
		return Paths{Create: "/contents/generations/tasks", Status: "/contents/generations/tasks/{id}"}
	}
	return Paths{Create: "/videos", Status: "/videos/{id}", Content: "/videos/{id}/content"}
}

// Config configures a Client. Zero fields take the documented defaults.
type Config struct {
	API     API    // OpenAI (default) or Task
	BaseURL string // API base, e.g. http://127.0.0.1:8000/v1 (OpenAI) or https://HOST/api/v3 (Ark)
	Paths   Paths  // zero fields take DefaultPaths(API)
	APIKey  string // sent as "Authorization: Bearer KEY" when set
	Header  http.Header
	// Model overrides each clip's model id (the scenario's ids name
	// simulator models such as wan2.1-14b, not API models).
	Model string
	// Prompt is sent for every clip; "" sends PromptWords words of
	// deterministic text derived from the request id.
	Prompt      string
	PromptWords int // default 24
	// NoClipParams leaves fps and steps (fleetbench serve's extensions)
	// out of the OpenAI create request, for servers that refuse unknown
	// fields.
	NoClipParams bool
	// Multipart sends the OpenAI create request as multipart/form-data
	// (as OpenAI's own curl example does) instead of JSON.
	Multipart bool
	// PollInterval is the time between status polls (default 1s, at least
	// 10ms): the resolution of the queue and generation times.
	PollInterval time.Duration
	// Timeout bounds one clip from create to ready (default 30 min).
	Timeout time.Duration
	// Download fetches the finished clip and checks it is non-empty.
	Download bool
	// HTTPClient does the requests; nil uses a pooled client with a 10 s
	// connect timeout and no overall timeout (Timeout governs).
	HTTPClient *http.Client
}

// Defaults.
const (
	DefaultPollInterval = time.Second
	MinPollInterval     = 10 * time.Millisecond
	DefaultTimeout      = 30 * time.Minute
	defaultPromptWords  = 24
)

// Client runs video jobs against one API. It is safe for concurrent use.
type Client struct {
	cfg   Config
	base  *url.URL
	paths Paths
	http  *http.Client
}

// New validates cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.API == "" {
		cfg.API = OpenAI
	}
	if cfg.API != OpenAI && cfg.API != Task {
		return nil, fmt.Errorf("video API %q: want %q or %q", cfg.API, OpenAI, Task)
	}
	u, err := url.Parse(cfg.BaseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("video API base URL %q: want an http(s) URL such as http://127.0.0.1:8000/v1", redact.URL(cfg.BaseURL))
	}
	p, d := cfg.Paths, DefaultPaths(cfg.API)
	if p.Create == "" {
		p.Create = d.Create
	}
	if p.Status == "" {
		p.Status = d.Status
	}
	if p.Content == "" {
		p.Content = d.Content
	}
	if !strings.Contains(p.Status, "{id}") {
		return nil, fmt.Errorf("video status path %q must contain {id}, e.g. %q", p.Status, d.Status)
	}
	if p.Content != "" && !strings.Contains(p.Content, "{id}") {
		return nil, fmt.Errorf("video content path %q must contain {id}, e.g. /videos/{id}/content", p.Content)
	}
	switch {
	case cfg.PollInterval == 0:
		cfg.PollInterval = DefaultPollInterval
	case cfg.PollInterval < MinPollInterval:
		return nil, fmt.Errorf("video poll interval %v: must be at least %v", cfg.PollInterval, MinPollInterval)
	}
	switch {
	case cfg.Timeout == 0:
		cfg.Timeout = DefaultTimeout
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("video timeout %v: must be positive", cfg.Timeout)
	}
	if cfg.PromptWords <= 0 {
		cfg.PromptWords = defaultPromptWords
	}
	c := &Client{cfg: cfg, base: u, paths: p, http: cfg.HTTPClient}
	if c.http == nil {
		d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		c.http = &http.Client{Transport: &http.Transport{
			Proxy: http.ProxyFromEnvironment, DialContext: d.DialContext,
			MaxIdleConnsPerHost: 256, IdleConnTimeout: 90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second, ForceAttemptHTTP2: true,
		}}
	}
	return c, nil
}

// PollInterval is the interval between status polls: the resolution of
// the queue and E2E times the client records (runners record it in the
// result, results.VideoPollKey).
func (c *Client) PollInterval() time.Duration { return c.cfg.PollInterval }

// Do runs the clip described by r.Video; it matches runners.VideoRunner.
// start is the run's time origin: record times are ns since start.
// Intended, TaskStart and TaskDone are left for the caller, whose
// schedule decides them.
func (c *Client) Do(ctx context.Context, r *scenarios.Request, start time.Time) *results.Record {
	if r.Video == nil {
		rec := results.NewRecord(r, 0)
		rec.Sent = int64(time.Since(start))
		return fail(rec, ClassUnsupported, errors.New("request has no video spec (not a video class)"))
	}
	return c.Generate(ctx, r, *r.Video, start)
}

// errClipTimeout is the cause of a context ended by Config.Timeout.
var errClipTimeout = errors.New("clip timeout")

// Generate creates one job for spec, polls it to the end and returns its
// record (times in ns since start).
func (c *Client) Generate(ctx context.Context, r *scenarios.Request, spec scenarios.VideoSpec, start time.Time) *results.Record {
	now := func() int64 { return int64(time.Since(start)) }
	rec := results.NewRecord(r, 0)
	rec.VideoSeconds = spec.Seconds
	ctx, cancel := context.WithTimeoutCause(ctx, c.cfg.Timeout, errClipTimeout)
	defer cancel()

	body, ctype, err := c.createBody(r, spec)
	if err != nil {
		rec.Sent = now()
		return fail(rec, ClassUnsupported, err)
	}
	rec.Sent = now()
	st, code, err := c.call(ctx, http.MethodPost, c.resolve(c.paths.Create, ""), body, ctype, r.Class)
	rec.Status = code
	if err != nil {
		return c.failErr(ctx, rec, "create", err)
	}
	if st.id == "" {
		return fail(rec, ClassMalformed, errMissingID)
	}
	id := st.id
	statusURL := c.resolve(c.paths.Status, id)
	polls := 0
	last := st
	for {
		t := now()
		switch st.phase {
		case phaseRunning:
			if rec.FirstToken == 0 {
				rec.FirstToken = t
			}
		case phaseDone:
			if rec.FirstToken == 0 {
				rec.FirstToken = t // never seen running: started within the last poll interval
			}
			rec.LastToken = t
			rec.QueueNs = rec.FirstToken - rec.Sent
			return c.finish(ctx, rec, id, st)
		case phaseFailed:
			msg := st.errMsg
			if msg == "" {
				msg = "no error message"
			}
			return fail(rec, ClassFailed, fmt.Errorf("job %s ended %q after %d polls: %s", id, st.raw, polls, msg))
		}
		if err := sleepCtx(ctx, c.cfg.PollInterval); err != nil {
			return c.failErr(ctx, rec, waitWhat(id, last, polls), err)
		}
		polls++
		st, code, err = c.call(ctx, http.MethodGet, statusURL, nil, "", "")
		rec.Status = code
		if err != nil {
			return c.failErr(ctx, rec, fmt.Sprintf("poll %d of job %s (%s)", polls, id, lastSeen(last)), err)
		}
		last = st
	}
}

// finish downloads the clip when asked and completes the record.
func (c *Client) finish(ctx context.Context, rec *results.Record, id string, st status) *results.Record {
	if !c.cfg.Download {
		return rec
	}
	var u string
	switch {
	case c.paths.Content != "":
		u = c.resolve(c.paths.Content, id)
	case st.videoURL != "":
		ref, err := url.Parse(st.videoURL)
		if err != nil {
			return fail(rec, ClassMalformed, fmt.Errorf("job %s: video URL %q: %w", id, st.videoURL, err))
		}
		u = c.base.ResolveReference(ref).String()
	default:
		return fail(rec, ClassMalformed, fmt.Errorf("job %s is done but its status has no video_url to download", id))
	}
	n, code, err := c.download(ctx, u)
	rec.Status = code
	if err != nil {
		return c.failErr(ctx, rec, "download of job "+id, err)
	}
	if n == 0 {
		return fail(rec, ClassEmpty, fmt.Errorf("download of job %s (%s) returned no bytes", id, u))
	}
	return rec
}

func waitWhat(id string, st status, polls int) string {
	return fmt.Sprintf("waiting for job %s (after %d polls, %s)", id, polls, lastSeen(st))
}

// lastSeen describes the last status, for timeout and error messages.
func lastSeen(st status) string {
	p := ""
	if st.progress >= 0 {
		p = fmt.Sprintf(", progress %g%%", st.progress)
	}
	raw := st.raw
	if raw == "" {
		raw = "queued"
	}
	return fmt.Sprintf("last status %q%s", raw, p)
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// resolve joins the base URL and a path, substituting the escaped id.
func (c *Client) resolve(path, id string) string {
	path = strings.ReplaceAll(path, "{id}", url.PathEscape(id))
	return strings.TrimRight(c.base.String(), "/") + "/" + strings.TrimLeft(path, "/")
}

// prompt is the clip's prompt text.
func (c *Client) prompt(r *scenarios.Request) string {
	if c.cfg.Prompt != "" {
		return c.cfg.Prompt
	}
	return "A video of" + text.Block(r.ID^0x766964656f, c.cfg.PromptWords) // "video" salt: differs from chat blocks
}

func (c *Client) model(spec scenarios.VideoSpec) string {
	if c.cfg.Model != "" {
		return c.cfg.Model
	}
	return spec.Model
}

// createBody renders the create request.
func (c *Client) createBody(r *scenarios.Request, spec scenarios.VideoSpec) ([]byte, string, error) {
	if spec.Width <= 0 || spec.Height <= 0 || spec.Seconds <= 0 {
		return nil, "", fmt.Errorf("clip spec %dx%d %gs: width, height and seconds must be positive", spec.Width, spec.Height, spec.Seconds)
	}
	model, prompt := c.model(spec), c.prompt(r)
	if c.cfg.API == Task {
		// Ark takes clip parameters as text commands after the prompt.
		secs := max(1, int(spec.Seconds+0.5))
		txt := fmt.Sprintf("%s --resolution %dp --ratio %s --duration %d", prompt, min(spec.Width, spec.Height), ratio(spec.Width, spec.Height), secs)
		b, err := json.Marshal(map[string]any{
			"model":   model,
			"content": []map[string]string{{"type": "text", "text": txt}},
		})
		return b, "application/json", err
	}
	fields := [][2]string{
		{"model", model},
		{"prompt", prompt},
		{"size", fmt.Sprintf("%dx%d", spec.Width, spec.Height)},
		{"seconds", strconv.FormatFloat(spec.Seconds, 'f', -1, 64)},
	}
	// fps and steps decide a clip's cost as much as its size and length;
	// without them a server falls back to its own defaults (fleetbench
	// serve: 16 fps, 50 steps) and times a different clip than the
	// scenario's. NoClipParams leaves them out for APIs that refuse
	// unknown fields.
	var ints [][2]string
	if !c.cfg.NoClipParams {
		if spec.FPS > 0 {
			ints = append(ints, [2]string{"fps", strconv.Itoa(spec.FPS)})
		}
		if spec.Steps > 0 {
			ints = append(ints, [2]string{"steps", strconv.Itoa(spec.Steps)})
		}
	}
	if c.cfg.Multipart {
		var buf bytes.Buffer
		w := multipart.NewWriter(&buf)
		for _, f := range append(fields, ints...) {
			if err := w.WriteField(f[0], f[1]); err != nil {
				return nil, "", err
			}
		}
		if err := w.Close(); err != nil {
			return nil, "", err
		}
		return buf.Bytes(), w.FormDataContentType(), nil
	}
	m := make(map[string]any, len(fields)+len(ints))
	for _, f := range fields {
		m[f[0]] = f[1]
	}
	for _, f := range ints {
		m[f[0]], _ = strconv.Atoi(f[1]) // JSON numbers, as the fields are integers
	}
	b, err := json.Marshal(m)
	return b, "application/json", err
}

// ratio reduces width:height, e.g. 1280x720 -> 16:9.
func ratio(w, h int) string {
	a, b := w, h
	for b != 0 {
		a, b = b, a%b
	}
	return fmt.Sprintf("%d:%d", w/a, h/a)
}

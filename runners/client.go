package runners

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// Error classes of failed requests (results.Record.ErrorClass).
const (
	ClassDropped           = "dropped"             // open-loop arrival at the --max-inflight cap, not sent
	ClassCancelled         = "cancelled"           // still running when the grace period after Ctrl-C ended
	ClassConnect           = "connect"             // could not connect (refused, DNS, TLS)
	ClassTimeoutConnect    = "timeout_connect"     // dialing exceeded the connect timeout
	ClassTimeoutFirstToken = "timeout_first_token" // no token within the first-token timeout
	ClassTimeout           = "timeout"             // the whole request exceeded its timeout
	ClassHTTP429           = "http_429"            // rate limited
	ClassHTTP4xx           = "http_4xx"            // other client errors (bad model name, context too long…)
	ClassHTTP5xx           = "http_5xx"            // server errors
	ClassMalformedSSE      = "malformed_sse"       // the stream is not SSE with JSON chunks
	ClassStreamError       = "stream_error"        // the server sent an error object inside the stream
	ClassDisconnect        = "disconnect"          // the connection broke mid-response
	ClassTruncated         = "truncated"           // the stream ended cleanly but without [DONE]
	ClassEmpty             = "empty"               // a complete response with no generated text
	ClassUnsupported       = "unsupported"         // a request kind this runner cannot send
)

// Causes attached to a request's context, so a cancelled read can be told
// apart: first-token timeout, total timeout, or the run's hard stop.
var (
	errFirstTokenTimeout = errors.New("no token within the first-token timeout")
	errTotalTimeout      = errors.New("request timeout")
	errRunCancelled      = errors.New("run interrupted and grace period over")
	errDrain             = errors.New("stream still open after [DONE]")
)

// newHTTPClient builds a client for many concurrent long-lived streams:
// at most conns connections, every one kept alive for reuse (a new
// request takes a warm connection, and a busy client waits for one rather
// than dialing until the kernel refuses), buffers sized to the traffic
// (writeBuf from the request bodies; 4 KB to read: a chunk is a few hundred
// bytes), no transparent gzip (it would delay chunks) and no client-level
// timeout (each request has its own).
func newHTTPClient(connect time.Duration, conns, writeBuf int) *http.Client {
	d := &net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}
	conns = max(conns, 1)
	tr := &http.Transport{
		Proxy:                 http.ProxyFromEnvironment,
		DialContext:           d.DialContext,
		MaxIdleConns:          0,
		MaxIdleConnsPerHost:   conns,
		MaxConnsPerHost:       conns,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   connect,
		DisableCompression:    true,
		ExpectContinueTimeout: 0,
		ForceAttemptHTTP2:     true,
		WriteBufferSize:       writeBuf,
		ReadBufferSize:        4 << 10,
	}
	return &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse // a redirect is a misconfigured --target, not something to follow silently
	}}
}

// writeBufferFor sizes the connections' write buffer to the first request's
// body plus headers, between 4 and 64 KB: one write per request for typical
// prompts, without 64 KB per connection for 16-token ones (a longer body is
// written in a few more system calls, never truncated).
func writeBufferFor(cfg *Config, s *schedule) int {
	var r *scenarios.Request
	if _, stop := s.pacer.Pace(0, 0); !stop && len(s.pending) > 0 { // pulls hit 0; the loops take it next
		r = s.pending[0]
	}
	if r == nil {
		return 4 << 10
	}
	n := len(cfg.appendBody(nil, r, nil)) + 1024
	size := 4 << 10
	for size < n && size < 64<<10 {
		size *= 2
	}
	return size
}

// reqState is one request's reusable scratch (pooled: body, chunk times).
type reqState struct {
	body    []byte
	req     []byte    // the whole request, on a direct connection (h1Pool)
	conn    connClock // its timeouts there
	scratch []byte    // appendBody's message text
	raw     []byte    // a non-streaming response body
	k       []int     // tokensPerChunk's result
	text    []byte
	times   []int64 // per content chunk: receive time, ns since start
	sizes   []int32 // per content chunk: bytes of generated text
	cum     []int32 // per content chunk: cumulative completion tokens (continuous usage), -1 unknown
	ch      chunk
	sse     sseReader
	errBuf  [512]byte
}

var statePool = sync.Pool{New: func() any { return &reqState{} }}

// caller sends single requests; it is shared by all goroutines of a run.
type caller struct {
	cfg    *Config
	client *http.Client
	// rt, when set, is client's transport, called directly: a client of
	// our own follows no redirects and has no jar or timeout, so
	// Client.Do's per-request work (copying headers and URL for
	// redirects) is all overhead. Its errors are wrapped as Client.Do's.
	rt     http.RoundTripper
	errURL string // the URL as Client.Do's errors name it (password hidden)
	url    string
	header http.Header
	start  time.Time
	// h1, when set, sends plain-HTTP requests on connections of its own
	// instead of through rt (see h1Pool).
	h1 *h1Pool
}

// newCaller is the run's caller; client is own when Run built it.
func newCaller(cfg *Config, client *http.Client, own bool, header http.Header) *caller {
	c := &caller{cfg: cfg, client: client, url: cfg.endpoint(), header: header}
	if u, err := url.Parse(c.url); own && err == nil {
		c.rt, c.errURL = client.Transport, u.String()
		if _, set := u.User.Password(); set {
			c.errURL = strings.Replace(c.errURL, u.User.String()+"@", u.User.Username()+":***@", 1)
		}
		if t, ok := client.Transport.(*http.Transport); ok {
			c.h1 = newH1Pool(u, header, t.Proxy, cfg.ConnectTimeout, cfg.connections())
		}
	}
	return c
}

// roundTrip sends req as client.Do would.
func (c *caller) roundTrip(req *http.Request) (*http.Response, error) {
	if c.rt == nil {
		return c.client.Do(req)
	}
	resp, err := c.rt.RoundTrip(req)
	if err != nil {
		return nil, &url.Error{Op: "Post", URL: c.errURL, Err: err}
	}
	return resp, nil
}

// now is the run's monotonic time in ns since start.
func (c *caller) now() int64 { return int64(time.Since(c.start)) }

// do sends r (intended at intended ns) and returns its record; out receives
// the generated text when keepText. It never panics on server behaviour:
// every failure becomes an error class.
func (c *caller) do(ctx context.Context, r *scenarios.Request, intended int64, tr *transcript, keepText bool) (*results.Record, []byte) {
	rec := results.NewRecord(r, intended)
	st := statePool.Get().(*reqState)
	defer statePool.Put(st)
	st.body, st.scratch = c.cfg.appendBodyScratch(st.body[:0], st.scratch, r, tr)
	rec.InputTokens, rec.InputTokensFrom = c.cfg.countInput(r, tr), FromCounted

	if c.h1 != nil && c.h1.sends(r) {
		return c.doH1(ctx, r, rec, st, keepText)
	}
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	clk := newCtxClock(ctx, cancel, c.cfg.FirstTokenTimeout, c.cfg.Timeout)
	defer clk.stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(st.body))
	if err != nil {
		return fail(rec, ClassConnect, fmt.Errorf("build request: %w", err)), nil
	}
	// The run's headers are shared, not copied: nothing writes to a
	// request's header values once it is built.
	h := make(http.Header, len(c.header)+2)
	maps.Copy(h, c.header)
	h["X-Request-Id"] = []string{"fleetbench-" + strconv.FormatUint(r.ID, 10)}
	if r.Class != "" {
		h[scenarios.ClassHeader] = []string{r.Class}
	}
	req.Header = h

	rec.Sent = c.now()
	resp, err := c.roundTrip(req)
	if err != nil {
		return failed(rec, clk, err, true), nil
	}
	defer resp.Body.Close()
	if rec, ok := c.answered(resp, rec, st); !ok {
		return rec, nil
	}
	if c.cfg.NoStream {
		return c.readWhole(resp.Body, rec, st, clk, keepText)
	}
	rec, out := c.readStream(resp.Body, rec, st, clk, keepText)
	if rec.ErrorClass == "" {
		// Read what follows [DONE] (the chunked body's end, normally
		// already arrived) so the connection goes back to the pool:
		// closing a body before its end closes the connection, and the
		// next request would have to dial. A server that keeps the
		// stream open gets drainWait; then the connection is closed.
		clk.drain(drainWait)
		_, _ = io.CopyN(io.Discard, resp.Body, 64<<10)
	}
	return rec, out
}

// answered records resp's status and request id. A status other than 200
// fails rec with the start of the error body; ok is false then.
func (c *caller) answered(resp *http.Response, rec *results.Record, st *reqState) (_ *results.Record, ok bool) {
	rec.Status = resp.StatusCode
	rec.ResponseID = clipID(resp.Header.Get("X-Request-Id"))
	if resp.StatusCode == http.StatusOK {
		return rec, true
	}
	n, _ := io.ReadFull(resp.Body, st.errBuf[:])
	return fail(rec, statusClass(resp.StatusCode), fmt.Errorf("HTTP %d from %s: %s", resp.StatusCode, c.url, bytes.TrimSpace(st.errBuf[:n]))), false
}

// drainWait is how long a stream may stay open after [DONE] before its
// connection is closed rather than reused.
const drainWait = 50 * time.Millisecond

// clock is one request's timeouts as the readers see them: the first
// token's arrival leaves only the total timeout, and a failure's error
// class depends on which bound (if any) cut the request off.
type clock interface {
	firstToken()
	class(err error, connecting bool) (string, error)
}

// failed records err with the class clk gives it.
func failed(rec *results.Record, clk clock, err error, connecting bool) *results.Record {
	class, err := clk.class(err, connecting)
	return fail(rec, class, err)
}

// ctxClock bounds a request sent through an http.RoundTripper by
// cancelling its context, with one timer for both timeouts (and the drain
// after [DONE]): it fires at the earliest bound still pending and re-arms
// itself for the next, so a request costs one timer, not one per bound.
type ctxClock struct {
	ctx    context.Context
	cancel context.CancelCauseFunc
	mu     sync.Mutex
	t      *time.Timer
	ftt    time.Time // first-token deadline, until the first token
	total  time.Time
	drainT time.Time // zero until the drain starts
	first  bool
}

func newCtxClock(ctx context.Context, cancel context.CancelCauseFunc, ftt, total time.Duration) *ctxClock {
	now := time.Now()
	k := &ctxClock{ctx: ctx, cancel: cancel, ftt: now.Add(ftt), total: now.Add(total)}
	k.mu.Lock() // fire must not see k.t unset
	k.t = time.AfterFunc(min(ftt, total), k.fire)
	k.mu.Unlock()
	return k
}

// next is the earliest bound still pending and the cause it cancels with.
func (k *ctxClock) next() (time.Time, error) {
	at, cause := k.total, errTotalTimeout
	if !k.first && k.ftt.Before(at) {
		at, cause = k.ftt, errFirstTokenTimeout
	}
	if !k.drainT.IsZero() && k.drainT.Before(at) {
		at, cause = k.drainT, errDrain
	}
	return at, cause
}

func (k *ctxClock) fire() {
	k.mu.Lock()
	defer k.mu.Unlock()
	at, cause := k.next()
	if d := time.Until(at); d > 0 {
		k.t.Reset(d) // the first token came, or the drain started: wait for the next bound
		return
	}
	k.cancel(cause)
}

func (k *ctxClock) firstToken() {
	k.mu.Lock()
	k.first = true
	k.mu.Unlock()
}

// drain bounds what is left of the request to d from now.
func (k *ctxClock) drain(d time.Duration) {
	k.mu.Lock()
	k.drainT = time.Now().Add(d)
	k.t.Reset(d)
	k.mu.Unlock()
}

func (k *ctxClock) stop() { k.t.Stop() }

func (k *ctxClock) class(err error, connecting bool) (string, error) {
	return classify(k.ctx, err, connecting), err
}

// readStream times every chunk of an SSE response.
func (c *caller) readStream(body io.Reader, rec *results.Record, st *reqState, clk clock, keepText bool) (*results.Record, []byte) {
	st.text, st.times, st.sizes, st.cum = st.text[:0], st.times[:0], st.sizes[:0], st.cum[:0]
	sse := &st.sse
	sse.reset(body)
	defer sse.reset(nil) // do not keep the body reachable from the pool
	var final *usage
	done := false
	seenID := false // the response id is read from the first event only
	for {
		data, err := sse.Next()
		t := c.now()
		if err != nil {
			if err == io.EOF {
				break
			}
			if errors.Is(err, errMalformed) {
				return fail(rec, ClassMalformedSSE, err), nil
			}
			return failed(rec, clk, err, false), nil
		}
		if string(bytes.TrimSpace(data)) == "[DONE]" {
			done = true
			break
		}
		n := len(st.text)
		st.text, err = parseChunk(data, &st.ch, st.text)
		if !seenID {
			seenID = true
			if id := st.ch.responseID(data); id != "" {
				rec.ResponseID = id
			}
		}
		if err != nil {
			return fail(rec, ClassMalformedSSE, err), nil
		}
		if len(st.ch.Error) > 0 && string(st.ch.Error) != "null" {
			return fail(rec, ClassStreamError, fmt.Errorf("server error in stream: %s", clip(st.ch.Error, 300))), nil
		}
		cum := int32(-1)
		if u := st.ch.Usage; u != nil {
			uu := *u
			final = &uu
			cum = int32(min(u.CompletionTokens, 1<<30))
		}
		if len(st.text) > n {
			if len(st.times) == 0 {
				clk.firstToken()
			}
			st.times = append(st.times, t)
			st.sizes = append(st.sizes, int32(len(st.text)-n))
			st.cum = append(st.cum, cum)
		}
	}
	if !done {
		return fail(rec, ClassTruncated, errors.New("stream ended without data: [DONE]")), nil
	}
	if len(st.times) == 0 {
		return fail(rec, ClassEmpty, errors.New("the response carried no generated text")), nil
	}
	finishTokens(rec, st, final, c.cfg.counter())
	return rec, keep(st.text, keepText)
}

// readWhole reads a non-streaming JSON response.
func (c *caller) readWhole(body io.Reader, rec *results.Record, st *reqState, clk clock, keepText bool) (*results.Record, []byte) {
	data, err := readAll(st.raw[:0], body, maxEvent)
	st.raw = data
	t := c.now()
	if err != nil {
		return failed(rec, clk, err, false), nil
	}
	st.text, err = parseChunk(data, &st.ch, st.text[:0])
	if err != nil {
		return fail(rec, ClassMalformedSSE, err), nil
	}
	if id := st.ch.responseID(data); id != "" {
		rec.ResponseID = id
	}
	if len(st.ch.Error) > 0 && string(st.ch.Error) != "null" {
		return fail(rec, ClassStreamError, fmt.Errorf("server error: %s", clip(st.ch.Error, 300))), nil
	}
	if len(st.text) == 0 {
		return fail(rec, ClassEmpty, errors.New("the response carried no generated text")), nil
	}
	st.times = append(st.times[:0], t)
	st.sizes = append(st.sizes[:0], int32(len(st.text)))
	st.cum = append(st.cum[:0], -1)
	finishTokens(rec, st, st.ch.Usage, c.cfg.counter())
	rec.ITL = nil // one response, no inter-token gaps to see
	// The first token is not observable without streaming: TTFT and TPOT
	// are unmeasured (absent), not E2E and 0.
	rec.FirstToken = 0
	return rec, keep(st.text, keepText)
}

// readAll appends what r holds, up to limit bytes, to buf (io.ReadAll
// with a reused buffer).
func readAll(buf []byte, r io.Reader, limit int) ([]byte, error) {
	for len(buf) < limit {
		if len(buf) == cap(buf) {
			buf = slices.Grow(buf, max(512, len(buf)))
		}
		n, err := r.Read(buf[len(buf):min(cap(buf), limit)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

func keep(b []byte, ok bool) []byte {
	if !ok {
		return nil
	}
	return bytes.Clone(b)
}

// finishTokens fills times, token counts and per-token ITL from the
// chunks. Output tokens are counted from the text received and checked
// against the server's usage (see applyUsage); per-chunk counts come from
// continuous usage when it agrees with the total, else each chunk carries
// one token, or a share of the total by text length when the total is
// larger than the number of chunks.
func finishTokens(rec *results.Record, st *reqState, u *usage, tk interface{ Count([]byte) int }) {
	applyUsage(rec, u, rec.InputTokens, tk.Count(st.text))
	cum := st.cum
	if rec.OutputTokensFrom != FromUsage {
		cum = nil // per-chunk usage from a server whose total was not believed
	}
	k := tokensPerChunkInto(st.k, st.sizes, cum, rec.OutputTokens)
	st.k = k
	first, last := -1, -1
	for i, n := range k {
		if n <= 0 {
			continue
		}
		if first < 0 {
			first = i
		} else {
			gap := st.times[i] - st.times[last]
			per := gap / int64(n)
			for range n {
				rec.ITL = append(rec.ITL, per)
			}
		}
		last = i
	}
	if first < 0 { // no chunk counted a token (usage said 0): time the text anyway
		first, last = 0, len(st.times)-1
	}
	rec.FirstToken = st.times[first]
	rec.LastToken = st.times[last]
}

// tokensPerChunkInto decides how many tokens each content chunk carried.
// With continuous usage (vLLM continuous_usage_stats) the cumulative count
// says it exactly. Otherwise each chunk is one token, unless the total is
// more than the chunks (servers that batch several tokens per chunk,
// speculative decoding): then the total is apportioned by each chunk's text
// length (largest remainder, at least one per chunk).
// k's storage is reused.
func tokensPerChunkInto(k []int, sizes, cum []int32, total int) []int {
	k = slices.Grow(k[:0], len(sizes))[:len(sizes)]
	clear(k)
	exact := len(cum) > 0
	for _, c := range cum {
		exact = exact && c >= 0
	}
	if exact {
		prev := int32(0)
		for i, c := range cum {
			k[i] = int(max(c-prev, 0))
			prev = max(prev, c)
		}
		return k
	}
	for i := range k {
		k[i] = 1
	}
	if total <= len(k) {
		return k
	}
	extra := total - len(k)
	var bytesTotal int64
	for _, s := range sizes {
		bytesTotal += int64(s)
	}
	if bytesTotal == 0 {
		k[len(k)-1] += extra
		return k
	}
	// Largest remainder: floor shares, then the biggest remainders get +1.
	given := 0
	rem := make([]int64, len(k))
	for i, s := range sizes {
		share := int64(extra) * int64(s)
		k[i] += int(share / bytesTotal)
		given += int(share / bytesTotal)
		rem[i] = share % bytesTotal
	}
	for ; given < extra; given++ {
		best := 0
		for i := range rem {
			if rem[i] > rem[best] {
				best = i
			}
		}
		k[best]++
		rem[best] = -1
	}
	return k
}

func fail(rec *results.Record, class string, err error) *results.Record {
	rec.ErrorClass = class
	rec.Error = err.Error()
	rec.FirstToken, rec.LastToken, rec.OutputTokens, rec.CachedTokens = 0, 0, 0, 0
	rec.ITL = nil
	return rec
}

func statusClass(code int) string {
	switch {
	case code == http.StatusTooManyRequests:
		return ClassHTTP429
	case code >= 500:
		return ClassHTTP5xx
	default:
		return ClassHTTP4xx
	}
}

// classify names a transport error; connecting says whether it happened
// before a response arrived.
func classify(ctx context.Context, err error, connecting bool) string {
	switch context.Cause(ctx) {
	case errFirstTokenTimeout:
		return ClassTimeoutFirstToken
	case errTotalTimeout:
		return ClassTimeout
	case errRunCancelled:
		return ClassCancelled
	}
	if ctx.Err() != nil {
		return ClassCancelled
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		if op.Timeout() {
			return ClassTimeoutConnect
		}
		return ClassConnect
	}
	var ne net.Error
	if connecting && errors.As(err, &ne) && ne.Timeout() {
		return ClassTimeoutConnect
	}
	return ClassDisconnect
}

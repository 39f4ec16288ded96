package runners

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strconv"
	"sync"
	"syscall"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// h1Pool sends requests to a plain-HTTP target over keep-alive HTTP/1.1
// connections that the sending goroutine uses itself: it writes the
// request and reads the response on the connection (net/http's own
// http.ReadResponse parses it), with the connection's deadlines as the
// request's timeouts.
//
// Why not http.Transport: the transport gives every connection a reader
// and a writer goroutine, and a request passes through both (the sender
// hands the request to the writer, the writer reports the write back, the
// reader hands the response over, the sender hands the body's end back
// so the reader can pool the connection): four goroutine hand-offs and a
// per-request context and timer, each a wake-up of another thread on a
// busy client. Measured at 3,000 req/s on loopback, a minimal client of
// each kind: about 60-70 µs of CPU per request through the transport,
// 41-52 µs on connections used directly. The transport stays in use for
// everything this path does not cover (https and HTTP/2, proxies,
// credentials in the URL, a caller's own http.Client, headers it would
// reject), so those behave exactly as before.
type h1Pool struct {
	addr   string // host:port to dial
	prefix []byte // request line and the run's fixed headers
	errURL string // the URL as errors name it
	dialer net.Dialer
	max    int // connections open at once, at most (as the transport's MaxConnsPerHost)

	mu        sync.Mutex
	cond      sync.Cond
	idle      []*h1Conn // LIFO: the warmest connection is reused first
	open      map[*h1Conn]struct{}
	n         int // connections open or being dialed
	cancelled bool
}

// h1Conn is one keep-alive connection.
type h1Conn struct {
	c      net.Conn
	br     *bufio.Reader
	reused bool

	mu   sync.Mutex
	dead bool // the run was cancelled: deadlines stay in the past
}

// newH1Pool returns the direct path for target URL u, or nil when the
// request needs what only http.Transport does.
// proxy is the transport's Proxy.
func newH1Pool(u *url.URL, header http.Header, proxy func(*http.Request) (*url.URL, error), connect time.Duration, conns int) *h1Pool {
	if u.Scheme != "http" || u.User != nil || u.Host == "" || u.Opaque != "" {
		return nil
	}
	if proxy != nil {
		if pu, err := proxy(&http.Request{URL: u}); err != nil || pu != nil {
			return nil
		}
	}
	for _, b := range []byte(u.Host) {
		if b <= ' ' || b >= 0x7f { // the transport would convert or refuse it
			return nil
		}
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	pre := []byte("POST " + u.RequestURI() + " HTTP/1.1\r\nHost: " + u.Host + "\r\n")
	if len(header["User-Agent"]) == 0 {
		pre = append(pre, "User-Agent: Go-http-client/1.1\r\n"...)
	}
	for _, k := range slices.Sorted(func(yield func(string) bool) {
		for k := range header {
			if !yield(k) {
				return
			}
		}
	}) {
		switch http.CanonicalHeaderKey(k) {
		case "Host", "Content-Length", "Transfer-Encoding", "Connection", "Trailer", "Te", "Upgrade", "Expect":
			return nil // framing the transport owns
		case "X-Request-Id", scenarios.ClassHeader:
			continue // set per request
		}
		if !validHeaderName(k) {
			return nil
		}
		for _, v := range header[k] {
			if !validHeaderValue(v) {
				return nil
			}
			pre = append(append(append(append(pre, k...), ": "...), v...), "\r\n"...)
		}
	}
	p := &h1Pool{addr: addr, prefix: pre, errURL: u.String(), max: max(conns, 1), open: map[*h1Conn]struct{}{},
		dialer: net.Dialer{Timeout: connect, KeepAlive: 30 * time.Second}}
	p.cond.L = &p.mu
	return p
}

func validHeaderName(k string) bool {
	if k == "" {
		return false
	}
	for _, b := range []byte(k) {
		if b <= ' ' || b >= 0x7f || b == ':' {
			return false
		}
	}
	return true
}

func validHeaderValue(v string) bool {
	for _, b := range []byte(v) {
		if b < ' ' && b != '\t' || b == 0x7f {
			return false
		}
	}
	return true
}

// sends says whether r goes this way (a class name the header cannot
// carry goes through the transport, which reports it).
func (p *h1Pool) sends(r *scenarios.Request) bool {
	return validHeaderValue(r.Class)
}

// appendRequest appends r's request: line, headers, body.
func (p *h1Pool) appendRequest(b []byte, r *scenarios.Request, body []byte) []byte {
	b = append(b, p.prefix...)
	b = append(b, "Content-Length: "...)
	b = strconv.AppendInt(b, int64(len(body)), 10)
	b = append(b, "\r\nX-Request-Id: fleetbench-"...)
	b = strconv.AppendUint(b, r.ID, 10)
	b = append(b, "\r\n"...)
	if r.Class != "" {
		b = append(append(append(b, scenarios.ClassHeader+": "...), r.Class...), "\r\n"...)
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

// get returns an idle connection, or nil with a slot reserved for a new
// one (the caller dials), waiting while max connections are in use.
func (p *h1Pool) get() (*h1Conn, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for {
		switch {
		case p.cancelled:
			return nil, errRunCancelled
		case len(p.idle) > 0:
			c := p.idle[len(p.idle)-1]
			p.idle[len(p.idle)-1] = nil
			p.idle = p.idle[:len(p.idle)-1]
			return c, nil
		case p.n < p.max:
			p.n++
			return nil, nil
		}
		p.cond.Wait()
	}
}

// dial opens a connection in a slot get reserved, by deadline at the latest.
func (p *h1Pool) dial(ctx context.Context, deadline time.Time) (*h1Conn, error) {
	d := p.dialer
	d.Deadline = deadline
	nc, err := d.DialContext(ctx, "tcp", p.addr)
	p.mu.Lock()
	defer p.mu.Unlock()
	if err == nil && p.cancelled {
		nc.Close()
		err = errRunCancelled
	}
	if err != nil {
		p.n--
		p.cond.Signal()
		return nil, err
	}
	c := &h1Conn{c: nc, br: bufio.NewReaderSize(nc, 4<<10)}
	p.open[c] = struct{}{}
	return c, nil
}

// put returns c to the idle connections.
func (p *h1Pool) put(c *h1Conn) {
	c.reused = true
	p.mu.Lock()
	p.idle = append(p.idle, c)
	p.cond.Signal()
	p.mu.Unlock()
}

// discard closes c (its response was not read to the end, or it failed).
func (p *h1Pool) discard(c *h1Conn) {
	c.c.Close()
	p.mu.Lock()
	delete(p.open, c)
	p.n--
	p.cond.Signal()
	p.mu.Unlock()
}

// cancel ends every request in flight (the run's hard stop): their
// connections' deadlines move to the past, and no request starts.
func (p *h1Pool) cancel() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cancelled = true
	for c := range p.open {
		c.mu.Lock()
		c.dead = true
		_ = c.c.SetDeadline(time.Unix(1, 0))
		c.mu.Unlock()
	}
	p.cond.Broadcast()
}

// close closes the idle connections at the end of the run.
func (p *h1Pool) close() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range p.idle {
		c.c.Close()
		delete(p.open, c)
		p.n--
	}
	p.idle = nil
}

// setDeadline bounds c's reads and writes to t (unless cancelled).
func (c *h1Conn) setDeadline(t time.Time) {
	c.mu.Lock()
	if !c.dead {
		_ = c.c.SetDeadline(t)
	}
	c.mu.Unlock()
}

// connClock is a request's timeouts on a direct connection: the
// connection's deadline is the first-token bound until the first token,
// then the total one.
type connClock struct {
	ctx     context.Context // the run's hard stop
	p       *h1Pool
	conn    *h1Conn
	connect time.Time // dialing's own bound
	ftt     time.Time
	total   time.Time
	first   bool
}

// deadline is the bound now in force.
func (k *connClock) deadline() time.Time {
	if k.first || k.total.Before(k.ftt) {
		return k.total
	}
	return k.ftt
}

func (k *connClock) firstToken() {
	k.first = true
	k.conn.setDeadline(k.total)
}

// class names err as classify does for a cancelled context: a deadline
// that passed is the timeout it stands for.
func (k *connClock) class(err error, connecting bool) (string, error) {
	k.p.mu.Lock()
	cancelled := k.p.cancelled
	k.p.mu.Unlock()
	var ue *url.Error
	if !errors.As(err, &ue) {
		err = &url.Error{Op: "Post", URL: k.p.errURL, Err: err}
	}
	switch {
	case cancelled || k.ctx.Err() != nil:
		return ClassCancelled, err
	case errors.Is(err, os.ErrDeadlineExceeded):
		at := k.deadline()
		var op *net.OpError
		dialing := errors.As(err, &op) && op.Op == "dial"
		if time.Now().Before(at) || dialing && k.connect.Before(at) {
			return ClassTimeoutConnect, err // the dial's own timeout
		}
		if at.Equal(k.total) {
			return ClassTimeout, err
		}
		return ClassTimeoutFirstToken, err
	}
	return classify(context.Background(), err, connecting), err
}

// stale says whether err on a reused connection means the server had
// closed it while idle (nothing of a response came): the request is sent
// again on a new connection, as http.Transport does.
func stale(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// doH1 is do on a direct connection.
func (c *caller) doH1(ctx context.Context, r *scenarios.Request, rec *results.Record, st *reqState, keepText bool) (*results.Record, []byte) {
	p := c.h1
	rec.Sent = c.now()
	now := time.Now()
	k := &st.conn // pooled with st: no allocation per request
	*k = connClock{ctx: ctx, p: p, connect: now.Add(p.dialer.Timeout), ftt: now.Add(c.cfg.FirstTokenTimeout), total: now.Add(c.cfg.Timeout)}
	defer func() { *k = connClock{} }() // nothing of the run stays reachable from the pool
	st.req = p.appendRequest(st.req[:0], r, st.body)
	var resp *http.Response
	// A reused connection the server had closed costs the request
	// nothing: it goes again on the next one, as the transport does, for
	// as many connections as may be idle (each failed one is discarded, so
	// several idle ones closed together cost one try each) and one fresh.
	for tries := 0; ; tries++ {
		retry := tries < p.max
		conn, err := p.get()
		if err == nil && conn == nil {
			conn, err = p.dial(ctx, k.deadline())
		}
		if err != nil {
			return failed(rec, k, err, true), nil
		}
		k.conn = conn
		conn.setDeadline(k.deadline())
		if _, err = conn.c.Write(st.req); err == nil {
			if _, err = conn.br.Peek(1); err == nil {
				resp, err = readResponse(conn.br)
			}
		}
		if err == nil && !(retry && conn.reused && resp.StatusCode == http.StatusRequestTimeout) {
			break
		}
		// A server may answer 408 on a keep-alive connection it times out
		// while idle, before our request reached it: the transport, whose
		// reader sees it arrive, drops the connection quietly.
		p.discard(conn)
		if err == nil {
			continue
		}
		if !(retry && conn.reused && stale(err)) {
			return failed(rec, k, err, true), nil
		}
	}
	conn := k.conn
	if rec, ok := c.answered(resp, rec, st); !ok {
		p.discard(conn) // the rest of the body is not read
		return rec, nil
	}
	var out []byte
	reuse := false // the body was read to its end: conn can carry the next request
	if c.cfg.NoStream {
		rec, out = c.readWhole(resp.Body, rec, st, k, keepText)
		reuse = len(st.raw) < maxEvent // readAll stops at the body's end or at the limit
	} else {
		rec, out = c.readStream(resp.Body, rec, st, k, keepText)
		if rec.ErrorClass == "" { // what follows [DONE]: see do
			conn.setDeadline(time.Now().Add(drainWait))
			_, err := io.CopyN(io.Discard, resp.Body, 64<<10)
			reuse = err == io.EOF
		}
	}
	if reuse && rec.ErrorClass == "" && !resp.Close {
		p.put(conn)
	} else {
		p.discard(conn)
	}
	return rec, out
}

// readResponse reads a response's head, skipping informational (1xx)
// responses as the transport does.
func readResponse(br *bufio.Reader) (*http.Response, error) {
	for range 5 {
		resp, err := http.ReadResponse(br, nil)
		if err != nil || resp.StatusCode < 100 || resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			return resp, err
		}
	}
	return nil, errors.New("too many 1xx informational responses")
}

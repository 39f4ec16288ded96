package serve

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"
)

// DefaultBodyTimeout bounds reading one request body: a client trickling
// a byte every few seconds (slowloris) is cut off instead of holding a
// connection and a goroutine for as long as it likes. Headers are bounded
// by the http.Server's ReadHeaderTimeout (10 s).
const DefaultBodyTimeout = 10 * time.Second

// guard wraps the API: it checks the bearer key (when the server has one)
// and reads each request body whole, within the body timeout and the size
// bound, before a handler sees it.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.apiKey != "" && !openPath(r.URL.Path) && !s.authorized(r) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="fleetbench"`)
			writeAPIError(w, &apiError{status: http.StatusUnauthorized, typ: errInvalidRequest, code: "invalid_api_key",
				msg: "missing or wrong API key: send Authorization: Bearer <key> (the key serve was started with, --api-key-env)"})
			return
		}
		if r.Body != nil && r.Body != http.NoBody && r.Method != http.MethodGet && r.Method != http.MethodHead {
			rc := http.NewResponseController(w)
			_ = rc.SetReadDeadline(time.Now().Add(s.bodyTimeout)) // unsupported by test recorders: no bound there
			body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
			if err == nil {
				_ = rc.SetReadDeadline(time.Time{}) // a failed read keeps the deadline: the connection closes
			}
			var ne net.Error
			switch {
			case err != nil && (errors.As(err, &ne) && ne.Timeout() || errors.Is(err, os.ErrDeadlineExceeded)):
				w.Header().Set("Connection", "close")
				writeError(w, http.StatusRequestTimeout, errInvalidRequest, "", "the request body did not arrive within "+s.bodyTimeout.String())
				return
			case err != nil:
				writeAPIError(w, badRequest("", "reading the request body: %v", err))
				return
			case len(body) > maxBodyBytes:
				writeError(w, http.StatusRequestEntityTooLarge, errInvalidRequest, "", "request body exceeds the limit")
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		next.ServeHTTP(w, r)
	})
}

// openPath: health checks and Prometheus scrapes need no key.
func openPath(p string) bool { return p == "/health" || p == "/metrics" }

func (s *Server) authorized(r *http.Request) bool {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(s.apiKey)) == 1
}

// IsLoopback reports whether a listen address only accepts connections
// from this machine (127.0.0.0/8, ::1, localhost). An empty host (":8000")
// listens on every interface.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

package video

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// httpError is a non-2xx response.
type httpError struct {
	code int
	msg  string
}

func (e *httpError) Error() string {
	return fmt.Sprintf("HTTP %d %s: %s", e.code, http.StatusText(e.code), e.msg)
}

// decodeError is a 2xx response that is not the expected JSON.
type decodeError struct{ err error }

func (e *decodeError) Error() string { return e.err.Error() }
func (e *decodeError) Unwrap() error { return e.err }

// call does one create or poll request and decodes the job status. It
// returns the HTTP status code (0 when there was no response). class,
// when set, names the scenario class in scenarios.ClassHeader (fleetbench
// serve credits the job to it; other servers ignore the header).
func (c *Client) call(ctx context.Context, method, u string, body []byte, ctype, class string) (status, int, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return status{}, 0, err
	}
	c.headers(req)
	if class != "" {
		req.Header.Set(scenarios.ClassHeader, class)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return status{}, 0, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxJSON+1))
	if err != nil {
		return status{}, resp.StatusCode, err
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return status{}, resp.StatusCode, &httpError{code: resp.StatusCode, msg: httpErrorMessage(b)}
	}
	if len(b) > maxJSON {
		return status{}, resp.StatusCode, &decodeError{fmt.Errorf("response over %d KiB", maxJSON>>10)}
	}
	st, err := decodeStatus(b)
	if err != nil {
		return status{}, resp.StatusCode, &decodeError{err}
	}
	return st, resp.StatusCode, nil
}

// download fetches u and counts its bytes.
func (c *Client) download(ctx context.Context, u string) (int64, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, 0, err
	}
	c.headers(req)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return 0, resp.StatusCode, &httpError{code: resp.StatusCode, msg: httpErrorMessage(b)}
	}
	n, err := io.Copy(io.Discard, resp.Body)
	return n, resp.StatusCode, err
}

func (c *Client) headers(req *http.Request) {
	for k, vs := range c.cfg.Header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.cfg.APIKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.cfg.APIKey)
	}
}

// failErr classifies err (what was being done: step) into rec.
func (c *Client) failErr(ctx context.Context, rec *results.Record, step string, err error) *results.Record {
	class := classify(ctx, err)
	switch class {
	case ClassTimeout:
		err = fmt.Errorf("%s: no result within the %v timeout", step, c.cfg.Timeout)
	case ClassCancelled:
		err = fmt.Errorf("%s: run interrupted", step)
	default:
		err = fmt.Errorf("%s: %w", step, err)
	}
	return fail(rec, class, err)
}

// classify maps an error to an error class.
func classify(ctx context.Context, err error) string {
	if context.Cause(ctx) == errClipTimeout {
		return ClassTimeout
	}
	if ctx.Err() != nil {
		return ClassCancelled
	}
	var he *httpError
	if errors.As(err, &he) {
		switch {
		case he.code == http.StatusTooManyRequests:
			return ClassHTTP429
		case he.code >= 500:
			return ClassHTTP5xx
		default:
			return ClassHTTP4xx
		}
	}
	var de *decodeError
	if errors.As(err, &de) {
		return ClassMalformed
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return ClassConnect
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return ClassConnect
	}
	return ClassDisconnect
}

// fail marks rec failed: no completion times survive.
func fail(rec *results.Record, class string, err error) *results.Record {
	rec.ErrorClass = class
	rec.Error = err.Error()
	rec.FirstToken, rec.LastToken, rec.QueueNs = 0, 0, 0
	return rec
}

// Package openaitest is an in-process OpenAI-compatible server for tests and
// benchmarks of the endpoint runner: it answers /v1/chat/completions and
// /v1/completions with scripted replies (chunk texts, token counts and
// send times relative to the request's arrival, usage, and failure modes:
// error status, malformed SSE, stalls, truncation, disconnects) and keeps
// what it received and when it wrote each chunk, so a test can compare the
// client's measurements with the truth.
package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"time"

	"github.com/fleetbench/fleetbench/scenarios/text"
)

// Chunk is one scripted stream chunk.
type Chunk struct {
	At     time.Duration // send time, since the request arrived
	Text   string        // content delta
	Tokens int           // tokens it carries (continuous usage); 0 = 1
}

// Usage is the token accounting the server reports.
type Usage struct{ Prompt, Completion, Cached int }

// Reply is the scripted answer to one request.
type Reply struct {
	Status int    // non-zero and not 200: answer with it and Body, no stream
	Body   string // error body
	Chunks []Chunk
	// Usage, when set, is sent in a final chunk (stream) or the body.
	Usage *Usage
	// ContinuousUsage adds the cumulative usage to every chunk (vLLM's
	// continuous_usage_stats), so each chunk's token count is known.
	ContinuousUsage bool
	Malformed       bool   // after the chunks, send a data line that is not JSON
	StreamError     string // after the chunks, send {"error": {"message": StreamError}}
	NoDone          bool   // end the stream cleanly without data: [DONE]
	Disconnect      bool   // after the chunks, abort the connection mid-response
	Stall           bool   // after the chunks, hang until the client gives up
}

// Message is one chat message received.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Body is the part of a request body the server reads.
type Body struct {
	Model     string    `json:"model"`
	Messages  []Message `json:"messages"`
	Prompt    string    `json:"prompt"`
	MaxTokens int       `json:"max_tokens"`
	Stream    bool      `json:"stream"`
	IgnoreEOS bool      `json:"ignore_eos"`
	MinTokens int       `json:"min_tokens"`
}

// Request is one request as received.
type Request struct {
	ID       string // X-Request-Id header
	Path     string
	Remote   string // the client's address: one per connection
	Header   http.Header
	Raw      []byte
	Body     Body
	Received time.Time
	// Writes are the times each chunk was flushed to the connection
	// (stream) or the body written (non-stream).
	Writes []time.Time
	// Reply is what the script answered.
	Reply Reply
}

// Server is the scripted server. Set Script before the first request.
type Server struct {
	*httptest.Server
	// Script answers each request; nil answers Steady(max_tokens, 0, 0).
	Script func(*Request) Reply
	// Keep, when true, keeps every Request (tests); benchmarks leave it off.
	Keep bool

	mu     sync.Mutex
	reqs   []*Request
	active sync.WaitGroup // handlers running
}

// New starts a server on a loopback port. Close it when done.
func New(script func(*Request) Reply) *Server {
	s := &Server{Script: script, Keep: true}
	s.Server = httptest.NewServer(http.HandlerFunc(s.handle))
	return s
}

// URL of the API base, as --target takes it.
func (s *Server) BaseURL() string { return s.Server.URL + "/v1" }

// Requests waits for every handler to return and returns the requests
// received (with Keep), in completion order. Call it once the client is
// done.
func (s *Server) Requests() []*Request {
	s.active.Wait()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*Request(nil), s.reqs...)
}

// words are one token each for real tokenizers (scenarios/text's
// vocabulary), so a runner counting the received text agrees with Usage.
var words = text.Vocabulary()

// Steady is a reply of n one-token chunks: the first at ttft, then one
// every itl, with usage prompt 0 / completion n.
func Steady(n int, ttft, itl time.Duration) Reply {
	r := Reply{Usage: &Usage{Completion: n}}
	for i := range n {
		r.Chunks = append(r.Chunks, Chunk{At: ttft + time.Duration(i)*itl, Text: " " + words[i%len(words)]})
	}
	return r
}

func (s *Server) handle(w http.ResponseWriter, hr *http.Request) {
	s.active.Add(1)
	defer s.active.Done()
	req := &Request{ID: hr.Header.Get("X-Request-Id"), Path: hr.URL.Path, Remote: hr.RemoteAddr, Received: time.Now()}
	if s.Keep {
		req.Header = hr.Header.Clone()
	}
	raw, err := io.ReadAll(hr.Body)
	if err != nil {
		return
	}
	if hr.URL.Path != "/v1/chat/completions" && hr.URL.Path != "/v1/completions" {
		http.Error(w, `{"error":{"message":"no such endpoint"}}`, http.StatusNotFound)
		return
	}
	if err := json.Unmarshal(raw, &req.Body); err != nil {
		http.Error(w, `{"error":{"message":"request body is not JSON"}}`, http.StatusBadRequest)
		return
	}
	if s.Keep {
		req.Raw = raw
	}
	var rep Reply
	if s.Script != nil {
		rep = s.Script(req)
	} else {
		rep = Steady(max(req.Body.MaxTokens, 1), 0, 0)
	}
	req.Reply = rep
	if s.Keep {
		defer func() {
			s.mu.Lock()
			s.reqs = append(s.reqs, req)
			s.mu.Unlock()
		}()
	}
	if rep.Status != 0 && rep.Status != http.StatusOK {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(rep.Status)
		_, _ = io.WriteString(w, rep.Body)
		return
	}
	chat := hr.URL.Path == "/v1/chat/completions"
	if !req.Body.Stream {
		s.whole(w, req, rep, chat)
		return
	}
	s.stream(w, hr, req, rep, chat)
}

// whole answers a non-streaming request after the last chunk's time.
func (s *Server) whole(w http.ResponseWriter, req *Request, rep Reply, chat bool) {
	var text []byte
	var at time.Duration
	for _, c := range rep.Chunks {
		text = append(text, c.Text...)
		at = max(at, c.At)
	}
	sleepUntil(req.Received.Add(at))
	var b []byte
	content, _ := json.Marshal(string(text))
	if chat {
		b = fmt.Appendf(b, `{"object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"length"}]`, content)
	} else {
		b = fmt.Appendf(b, `{"object":"text_completion","choices":[{"index":0,"text":%s,"finish_reason":"length"}]`, content)
	}
	if u := rep.Usage; u != nil {
		b = appendUsage(append(b, ','), *u)
	}
	b = append(b, "}\n"...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(b)
	req.Writes = append(req.Writes, time.Now())
}

func (s *Server) stream(w http.ResponseWriter, hr *http.Request, req *Request, rep Reply, chat bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fl, _ := w.(http.Flusher)
	req.Writes = make([]time.Time, 0, len(rep.Chunks))
	var b []byte
	cum := 0
	for _, c := range rep.Chunks {
		if !sleepCtx(hr, req.Received.Add(c.At)) {
			return
		}
		cum += max(c.Tokens, 1)
		content, _ := json.Marshal(c.Text)
		b = append(b[:0], `data: {"object":"chat.completion.chunk","choices":[{"index":0,`...)
		if chat {
			b = fmt.Appendf(b, `"delta":{"content":%s}`, content)
		} else {
			b = fmt.Appendf(b, `"text":%s`, content)
		}
		b = append(b, `,"finish_reason":null}]`...)
		if rep.ContinuousUsage {
			u := Usage{Completion: cum}
			if rep.Usage != nil {
				u.Prompt, u.Cached = rep.Usage.Prompt, rep.Usage.Cached
			}
			b = appendUsage(append(b, ','), u)
		}
		b = append(b, "}\n\n"...)
		if _, err := w.Write(b); err != nil {
			return
		}
		fl.Flush()
		req.Writes = append(req.Writes, time.Now())
	}
	switch {
	case rep.Malformed:
		_, _ = io.WriteString(w, "data: {\"choices\": [ this is not json\n\n")
		fl.Flush()
		return
	case rep.StreamError != "":
		msg, _ := json.Marshal(rep.StreamError)
		_, _ = fmt.Fprintf(w, "data: {\"error\":{\"message\":%s}}\n\n", msg)
		fl.Flush()
		return
	case rep.Stall:
		<-hr.Context().Done()
		return
	case rep.Disconnect:
		panic(http.ErrAbortHandler) // net/http closes the connection without ending the chunked body
	}
	if u := rep.Usage; u != nil {
		b = append(b[:0], `data: {"object":"chat.completion.chunk","choices":[],`...)
		b = appendUsage(b, *u)
		b = append(b, "}\n\n"...)
		_, _ = w.Write(b)
	}
	if !rep.NoDone {
		_, _ = io.WriteString(w, "data: [DONE]\n\n")
	}
	fl.Flush()
}

func appendUsage(b []byte, u Usage) []byte {
	return fmt.Appendf(b, `"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d}}`,
		u.Prompt, u.Completion, u.Prompt+u.Completion, u.Cached)
}

// sleepUntil sleeps until t (no-op if past).
func sleepUntil(t time.Time) {
	if d := time.Until(t); d > 0 {
		time.Sleep(d)
	}
}

// sleepCtx sleeps until t or until the client goes away (false).
func sleepCtx(hr *http.Request, t time.Time) bool {
	d := time.Until(t)
	if d <= 0 {
		return hr.Context().Err() == nil
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return true
	case <-hr.Context().Done():
		return false
	}
}

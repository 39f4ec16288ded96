package serve

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/fleetbench/fleetbench/results"
	"github.com/fleetbench/fleetbench/scenarios"
)

// shape is the wire shape of one of the two text endpoints.
type shape struct {
	idPrefix    string
	object      string // non-streaming object name
	chunkObject string // streaming chunk object name
	chat        bool
}

var (
	chatShape       = shape{idPrefix: "chatcmpl-", object: "chat.completion", chunkObject: "chat.completion.chunk", chat: true}
	completionShape = shape{idPrefix: "cmpl-", object: "text_completion", chunkObject: "text_completion"}
)

const fingerprint = "fleetbench-serve"

// complete runs one validated text request through the engine and
// answers it, streaming or not.
func (s *Server) complete(w http.ResponseWriter, r *http.Request, received int64, cr *chatRequest, texts []string, defMax int, sh shape) {
	class, e := s.class(r, false, cr.Model)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	pr, e := s.plan(cr, texts, defMax, class)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	id := s.nextID.Add(1)
	j := newJob()
	j.req = scenarios.Request{ID: id, Class: class, Kind: s.kindOf(class), TaskID: id, Arrival: received,
		Prompt: pr.prompt.blocks, InputTokens: pr.prompt.tokens, OutputTokens: pr.out.tokens}
	if err := s.lp.submit(j); err != nil {
		writeError(w, http.StatusServiceUnavailable, errServer, "", err.Error())
		return
	}
	m := chunkMeta{id: sh.idPrefix + "fb" + strconv.FormatUint(id, 16), created: time.Now().Unix(), model: s.model,
		usage: pr.usage, contUsage: pr.contUsage, promptTokens: pr.prompt.tokens}
	if pr.stream {
		s.stream(w, r, j, pr, sh, &m)
		return
	}
	s.whole(w, r, j, pr, sh, &m)
}

func (s *Server) kindOf(class string) scenarios.Kind {
	for _, c := range s.sc.Classes {
		if c.Name == class {
			return c.Kind
		}
	}
	return scenarios.KindChat
}

// sleepUntil waits until virtual time v has passed on the wall clock, so
// nothing is ever delivered early (the loop already guarantees it; this
// keeps the guarantee local).
func (s *Server) sleepUntil(v int64) {
	if d := v - s.lp.now(); d > 0 {
		time.Sleep(time.Duration(d))
	}
}

// failure maps a failed engine record to an API error.
func (s *Server) failure(rec *results.Record) *apiError {
	if rec.ErrorClass == "too_long" {
		return badRequest("messages", "the prompt (%d tokens) plus max_tokens does not fit one instance's KV cache on this fleet; shorten the prompt or serve a larger fleet (--gpu, --tp)", rec.InputTokens)
	}
	msg := rec.Error
	if msg == "" {
		msg = "the simulated engine failed the request (" + rec.ErrorClass + ")"
	}
	return &apiError{status: http.StatusServiceUnavailable, typ: errServer, msg: msg}
}

// whole waits for the request to finish and answers in one body.
func (s *Server) whole(w http.ResponseWriter, r *http.Request, j *job, pr *plannedRequest, sh shape, m *chunkMeta) {
	var rec *results.Record
	for rec == nil {
		select {
		case <-j.notify:
		case <-r.Context().Done():
			return
		}
		_, _, rec = j.take()
	}
	if rec.ErrorClass != "" {
		writeAPIError(w, s.failure(rec))
		s.metrics.failed.Inc()
		return
	}
	s.sleepUntil(rec.LastToken)
	s.count(pr.out.finish)
	content := string(appendFiller(nil, pr.prompt.seed, 0, rec.OutputTokens))
	choice := map[string]any{"index": 0, "logprobs": nil, "finish_reason": pr.out.finish}
	if sh.chat {
		choice["message"] = map[string]any{"role": "assistant", "content": content, "refusal": nil}
	} else {
		choice["text"] = content
	}
	body := map[string]any{"id": m.id, "object": sh.object, "created": m.created, "model": m.model,
		"system_fingerprint": fingerprint, "choices": []any{choice}, "usage": usageOf(rec)}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// count credits a successful request to vllm:request_success_total.
func (s *Server) count(finish string) {
	if finish == "stop" {
		s.metrics.stop.Inc()
	} else {
		s.metrics.length.Inc()
	}
}

func usageOf(rec *results.Record) map[string]any {
	return map[string]any{"prompt_tokens": rec.InputTokens, "completion_tokens": rec.OutputTokens,
		"total_tokens":          rec.InputTokens + rec.OutputTokens,
		"prompt_tokens_details": map[string]any{"cached_tokens": rec.CachedTokens}}
}

// stream answers with server-sent events: a role chunk, one chunk per
// wake-up carrying every token due since the last (usually one), a final
// chunk with the finish reason, the usage chunk when asked, and [DONE].
// Headers wait for the first token so that a request the engine rejects
// (a prompt too long for the KV cache) still gets a plain 400.
func (s *Server) stream(w http.ResponseWriter, r *http.Request, j *job, pr *plannedRequest, sh shape, m *chunkMeta) {
	fl, _ := w.(http.Flusher)
	started := false
	sent := 0
	buf := make([]byte, 0, 1024)
	for {
		select {
		case <-j.notify:
		case <-r.Context().Done():
			return // the client left; the engine finishes the request anyway
		}
		n, lastAt, rec := j.take()
		if !started {
			if rec != nil && rec.ErrorClass != "" && n == 0 {
				writeAPIError(w, s.failure(rec))
				s.metrics.failed.Inc()
				return
			}
			h := w.Header()
			h.Set("Content-Type", "text/event-stream")
			h.Set("Cache-Control", "no-cache")
			w.WriteHeader(http.StatusOK)
			started = true
			if sh.chat {
				buf = m.appendRole(buf)
			}
		}
		if n > 0 {
			s.sleepUntil(lastAt)
			buf = m.appendContent(buf, sh, pr.prompt.seed, sent, sent+n)
			sent += n
		}
		if rec != nil {
			if rec.ErrorClass != "" {
				e := s.failure(rec)
				b, _ := json.Marshal(errorBody(e))
				buf = append(append(append(buf, "data: "...), b...), "\n\n"...)
				s.metrics.failed.Inc()
			} else {
				buf = m.appendFinish(buf, sh, pr.out.finish, sent)
				if m.usage {
					buf = m.appendUsage(buf, sh, rec)
				}
				s.count(pr.out.finish)
			}
			buf = append(buf, "data: [DONE]\n\n"...)
		}
		if _, err := w.Write(buf); err != nil {
			return
		}
		buf = buf[:0]
		if fl != nil {
			fl.Flush()
		}
		if rec != nil {
			return
		}
	}
}

// chunkMeta renders streaming chunks by hand: the shapes are fixed and the
// filler words need no JSON escaping, so this avoids a reflection-based
// encode per token.
type chunkMeta struct {
	id           string
	created      int64
	model        string
	usage        bool // include_usage: "usage":null on every chunk, then a usage chunk
	contUsage    bool // continuous_usage_stats: running usage on every chunk
	promptTokens int
}

func (m *chunkMeta) head(buf []byte, sh shape) []byte {
	buf = append(buf, `data: {"id":`...)
	buf = strconv.AppendQuote(buf, m.id)
	buf = append(buf, `,"object":"`...)
	buf = append(buf, sh.chunkObject...)
	buf = append(buf, `","created":`...)
	buf = strconv.AppendInt(buf, m.created, 10)
	buf = append(buf, `,"model":`...)
	mb, _ := json.Marshal(m.model)
	buf = append(buf, mb...)
	buf = append(buf, `,"system_fingerprint":"`+fingerprint+`","choices":[`...)
	return buf
}

// tail closes a chunk; generated is the running completion token count.
func (m *chunkMeta) tail(buf []byte, generated int) []byte {
	if m.contUsage {
		buf = fmt.Appendf(buf, `],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}`,
			m.promptTokens, generated, m.promptTokens+generated)
	} else if m.usage {
		buf = append(buf, `],"usage":null}`...)
	} else {
		buf = append(buf, `]}`...)
	}
	return append(buf, "\n\n"...)
}

func (m *chunkMeta) appendRole(buf []byte) []byte {
	buf = m.head(buf, chatShape)
	buf = append(buf, `{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}`...)
	return m.tail(buf, 0)
}

func (m *chunkMeta) appendContent(buf []byte, sh shape, seed uint64, from, to int) []byte {
	buf = m.head(buf, sh)
	if sh.chat {
		buf = append(buf, `{"index":0,"delta":{"content":"`...)
	} else {
		buf = append(buf, `{"index":0,"text":"`...)
	}
	buf = appendFiller(buf, seed, from, to)
	if sh.chat {
		buf = append(buf, `"}`...) // closes the delta object
	} else {
		buf = append(buf, '"')
	}
	buf = append(buf, `,"logprobs":null,"finish_reason":null}`...)
	return m.tail(buf, to)
}

func (m *chunkMeta) appendFinish(buf []byte, sh shape, finish string, generated int) []byte {
	buf = m.head(buf, sh)
	if sh.chat {
		buf = append(buf, `{"index":0,"delta":{},"logprobs":null,"finish_reason":"`...)
	} else {
		buf = append(buf, `{"index":0,"text":"","logprobs":null,"finish_reason":"`...)
	}
	buf = append(buf, finish...)
	buf = append(buf, `"}`...)
	return m.tail(buf, generated)
}

func (m *chunkMeta) appendUsage(buf []byte, sh shape, rec *results.Record) []byte {
	buf = m.head(buf, sh)
	buf = fmt.Appendf(buf, `],"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d}}}`,
		rec.InputTokens, rec.OutputTokens, rec.InputTokens+rec.OutputTokens, rec.CachedTokens)
	return append(buf, "\n\n"...)
}

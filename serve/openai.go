package serve

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/fleetbench/fleetbench/scenarios"
)

// maxBodyBytes bounds a request body (64 MiB: about ten million words).
const maxBodyBytes = 64 << 20

// chatRequest is the part of OpenAI's chat completion request serve
// honours, plus vLLM's sampling extensions (min_tokens, ignore_eos).
type chatRequest struct {
	Model               string          `json:"model"`
	Messages            []chatMessage   `json:"messages"`
	MaxTokens           *int            `json:"max_tokens"`
	MaxCompletionTokens *int            `json:"max_completion_tokens"`
	MinTokens           int             `json:"min_tokens"`
	IgnoreEOS           bool            `json:"ignore_eos"`
	N                   *int            `json:"n"`
	Stream              bool            `json:"stream"`
	StreamOptions       *streamOptions  `json:"stream_options"`
	Prompt              json.RawMessage `json:"prompt"` // completions only
}

type streamOptions struct {
	IncludeUsage bool `json:"include_usage"`
	// ContinuousUsageStats (vLLM) puts the running usage in every chunk.
	ContinuousUsageStats bool `json:"continuous_usage_stats"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// contentPart is one element of an array-form message content; only
// text parts carry tokens in serve's convention.
type contentPart struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// apiError is an error to answer in OpenAI's error shape. typ is one of
// OpenAI's error types (errInvalidRequest, errServer); code is OpenAI's
// machine-readable code where OpenAI has one (model_not_found,
// invalid_api_key), else null.
type apiError struct {
	status int
	typ    string
	param  string
	msg    string
	code   string
}

// OpenAI's error types: every 4xx serve answers is an invalid request
// (OpenAI answers an unknown model or URL with invalid_request_error, not
// a "not found" type), every 5xx a server error.
const (
	errInvalidRequest = "invalid_request_error"
	errServer         = "server_error"
)

func badRequest(param, format string, args ...any) *apiError {
	return &apiError{status: http.StatusBadRequest, typ: errInvalidRequest, param: param, msg: fmt.Sprintf(format, args...)}
}

func writeError(w http.ResponseWriter, status int, typ, param, msg string) {
	writeAPIError(w, &apiError{status: status, typ: typ, param: param, msg: msg})
}

func writeAPIError(w http.ResponseWriter, e *apiError) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_ = json.NewEncoder(w).Encode(errorBody(e))
}

// errorBody is OpenAI's error object for e.
func errorBody(e *apiError) map[string]any {
	return map[string]any{"error": map[string]any{"message": e.msg, "type": e.typ, "param": nullIfEmpty(e.param), "code": nullIfEmpty(e.code)}}
}

func nullIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// decodeBody reads a JSON request body into v with a size bound.
func decodeBody(r *http.Request, v any) *apiError { return decodeJSON(r, v, false) }

// decodeJSON reads a JSON request body into v with a size bound; strict
// refuses fields v does not have.
func decodeJSON(r *http.Request, v any, strict bool) *apiError {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes+1))
	if err != nil {
		return badRequest("", "reading the request body: %v", err)
	}
	if len(body) > maxBodyBytes {
		return badRequest("", "request body exceeds %d MiB", maxBodyBytes>>20)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if strict {
		dec.DisallowUnknownFields()
	}
	if err := dec.Decode(v); err != nil {
		return badRequest("", "request body is not valid JSON for this endpoint: %v", err)
	}
	if dec.More() {
		return badRequest("", "request body holds more than one JSON value")
	}
	return nil
}

// messageTexts returns the text of every message content, in order.
func messageTexts(msgs []chatMessage) ([]string, *apiError) {
	if len(msgs) == 0 {
		return nil, badRequest("messages", "messages is empty: send at least one message")
	}
	out := make([]string, 0, len(msgs))
	for i, m := range msgs {
		c := bytes.TrimSpace(m.Content)
		switch {
		case len(c) == 0 || string(c) == "null":
		case c[0] == '"':
			var s string
			if err := json.Unmarshal(c, &s); err != nil {
				return nil, badRequest(fmt.Sprintf("messages[%d].content", i), "content is not a valid string: %v", err)
			}
			out = append(out, s)
		case c[0] == '[':
			var parts []contentPart
			if err := json.Unmarshal(c, &parts); err != nil {
				return nil, badRequest(fmt.Sprintf("messages[%d].content", i), "content must be a string or an array of parts: %v", err)
			}
			for _, p := range parts {
				if p.Type == "text" {
					out = append(out, p.Text)
				}
			}
		default:
			return nil, badRequest(fmt.Sprintf("messages[%d].content", i), "content must be a string or an array of parts")
		}
	}
	return out, nil
}

// promptTexts decodes a completions prompt: a string, an array of one
// string, or an array of token ids (each id one word).
func promptTexts(raw json.RawMessage) ([]string, *apiError) {
	c := bytes.TrimSpace(raw)
	if len(c) == 0 || string(c) == "null" {
		return nil, badRequest("prompt", "prompt is missing")
	}
	var s string
	if json.Unmarshal(c, &s) == nil {
		return []string{s}, nil
	}
	var ss []string
	if json.Unmarshal(c, &ss) == nil {
		if len(ss) != 1 {
			return nil, badRequest("prompt", "prompt holds %d strings; fleetbench serve takes one prompt per request", len(ss))
		}
		return ss, nil
	}
	var ids []int64
	if json.Unmarshal(c, &ids) == nil {
		var b strings.Builder
		for _, id := range ids {
			b.WriteByte(' ')
			b.WriteString(strconv.FormatInt(id, 10))
		}
		return []string{b.String()}, nil
	}
	return nil, badRequest("prompt", "prompt must be a string, an array of one string, or an array of token ids")
}

// plannedRequest is a validated request ready for the engine.
type plannedRequest struct {
	prompt    prompt
	out       outputPlan
	maxTokens int
	stream    bool
	usage     bool // stream_options.include_usage
	contUsage bool // stream_options.continuous_usage_stats
}

// plan validates the sampling fields shared by both endpoints.
// class is the request's class: a model field naming it is accepted as
// an alias of the served model.
func (s *Server) plan(cr *chatRequest, texts []string, defMax int, class string) (*plannedRequest, *apiError) {
	if cr.Model != "" && cr.Model != s.model && cr.Model != class {
		return nil, &apiError{status: http.StatusNotFound, typ: errInvalidRequest, param: "model", code: "model_not_found",
			msg: fmt.Sprintf("The model `%s` does not exist: this server serves %q (see GET /v1/models)", cr.Model, s.model)}
	}
	if cr.N != nil && *cr.N != 1 {
		return nil, badRequest("n", "n=%d: fleetbench serve generates one choice per request", *cr.N)
	}
	maxTok := defMax
	if cr.MaxCompletionTokens != nil {
		maxTok = *cr.MaxCompletionTokens
	} else if cr.MaxTokens != nil {
		maxTok = *cr.MaxTokens
	}
	if maxTok < 1 || maxTok > maxTokensLimit {
		return nil, badRequest("max_tokens", "max_tokens=%d: must be between 1 and %d", maxTok, maxTokensLimit)
	}
	if cr.MinTokens < 0 || cr.MinTokens > maxTok {
		return nil, badRequest("min_tokens", "min_tokens=%d: must be between 0 and max_tokens (%d)", cr.MinTokens, maxTok)
	}
	p := s.tok.build(texts)
	if p.tokens == 0 {
		return nil, badRequest("messages", "the prompt has no tokens: serve counts one token per word of message content, and the content is empty")
	}
	if p.tokens > maxTokensLimit {
		return nil, badRequest("messages", "the prompt has %d tokens, more than the %d serve accepts", p.tokens, maxTokensLimit)
	}
	if ctx := s.contextTokens; ctx > 0 {
		// As vLLM: a request over the model's maximum length is refused;
		// without max_tokens the output may take what the prompt leaves.
		explicit := cr.MaxCompletionTokens != nil || cr.MaxTokens != nil
		if p.tokens >= ctx || (explicit && p.tokens+maxTok > ctx) {
			return nil, badRequest("messages", "this model's maximum context length is %d tokens; this request asks for %d (%d in the messages, %d in the completion): shorten the messages or the completion",
				ctx, p.tokens+maxTok, p.tokens, maxTok)
		}
		maxTok = min(maxTok, ctx-p.tokens)
		if cr.MinTokens > maxTok {
			return nil, badRequest("min_tokens", "min_tokens=%d: more than the %d tokens the model's %d-token context leaves after the prompt", cr.MinTokens, maxTok, ctx)
		}
	}
	pr := &plannedRequest{prompt: p, maxTokens: maxTok, stream: cr.Stream,
		out: planOutput(p.seed, maxTok, cr.MinTokens, cr.IgnoreEOS)}
	if cr.StreamOptions != nil {
		if !cr.Stream {
			return nil, badRequest("stream_options", "stream_options is only allowed with stream=true")
		}
		pr.usage = cr.StreamOptions.IncludeUsage
		pr.contUsage = cr.StreamOptions.ContinuousUsageStats
	}
	return pr, nil
}

// class picks the class a request is attributed to: the one ClassHeader
// names, else (text requests) the one the model field names, else the
// scenario's first class of the request's kind. A header naming no class
// is a bad request, except for a serve without a scenario (anyClass),
// which credits it to its own class of the request's kind.
func (s *Server) class(r *http.Request, video bool, model string) (string, *apiError) {
	name := r.Header.Get(ClassHeader)
	if name == "" && !video && model != "" && model != s.model {
		for _, c := range s.sc.Classes {
			if c.Name == model && c.Kind != scenarios.KindVideo {
				return model, nil
			}
		}
	}
	if name != "" && s.anyClass {
		name = ""
		for _, c := range s.sc.Classes {
			if c.Name == r.Header.Get(ClassHeader) && (c.Kind == scenarios.KindVideo) == video {
				name = c.Name
			}
		}
	}
	if name == "" {
		if video {
			name = s.vidCls
		} else {
			name = s.chatCls
		}
		if name == "" {
			kind := "LLM"
			if video {
				kind = "video"
			}
			return "", badRequest("", "the scenario %q has no %s class to attribute this request to", s.sc.Name, kind)
		}
		return name, nil
	}
	for _, c := range s.sc.Classes {
		if c.Name == name && (c.Kind == scenarios.KindVideo) == video {
			return name, nil
		}
	}
	return "", badRequest("", "%s %q names no matching class of scenario %q", ClassHeader, name, s.sc.Name)
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	received := s.lp.now() // arrival: before the body is read, as a server's clock would see it
	var cr chatRequest
	if e := decodeBody(r, &cr); e != nil {
		writeAPIError(w, e)
		return
	}
	texts, e := messageTexts(cr.Messages)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.complete(w, r, received, &cr, texts, defaultChatMaxTokens, chatShape)
}

func (s *Server) handleCompletion(w http.ResponseWriter, r *http.Request) {
	received := s.lp.now()
	var cr chatRequest
	if e := decodeBody(r, &cr); e != nil {
		writeAPIError(w, e)
		return
	}
	texts, e := promptTexts(cr.Prompt)
	if e != nil {
		writeAPIError(w, e)
		return
	}
	s.complete(w, r, received, &cr, texts, defaultCompletionMaxTokens, completionShape)
}

func (s *Server) handleModels(w http.ResponseWriter, _ *http.Request) {
	body := map[string]any{"object": "list", "data": []any{s.modelObject()}}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(body)
}

// handleModel is GET /v1/models/{id} (the SDKs' models.retrieve).
func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if id := r.PathValue("id"); id != s.model {
		writeAPIError(w, &apiError{status: http.StatusNotFound, typ: errInvalidRequest, param: "model", code: "model_not_found",
			msg: fmt.Sprintf("The model `%s` does not exist: this server serves %q", id, s.model)})
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(s.modelObject())
}

func (s *Server) modelObject() map[string]any {
	m := map[string]any{"id": s.model, "object": "model", "created": s.created, "owned_by": "fleetbench",
		"root": s.model, "parent": nil}
	if s.contextTokens > 0 {
		m["max_model_len"] = s.contextTokens // as vLLM lists it
	}
	return m
}

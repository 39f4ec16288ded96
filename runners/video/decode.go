package video

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// phase is a job's state reduced to what timing needs.
type phase uint8

const (
	phaseQueued  phase = iota // accepted, not yet generating
	phaseRunning              // generating
	phaseDone                 // clip ready
	phaseFailed               // the server gave up (failed, cancelled, expired)
	phaseUnknown              // a status this client does not know
)

func (p phase) String() string {
	return [...]string{"queued", "running", "done", "failed", "unknown"}[p]
}

// phaseOf maps the status words of the OpenAI videos API (queued,
// in_progress, completed, failed) and of task-style APIs (Volcengine Ark:
// queued, running, succeeded, failed, cancelled; others: pending,
// submitted, processing, success, error, expired) onto phases.
// Case-insensitive; "" (a create response with only an id) is queued.
func phaseOf(status string) phase {
	switch strings.ToLower(strings.TrimSpace(status)) {
	case "", "queued", "pending", "submitted", "waiting", "created", "not_start", "not_started":
		return phaseQueued
	case "in_progress", "running", "processing", "generating", "started", "in_queue_running":
		return phaseRunning
	case "completed", "succeeded", "success", "done", "finished", "complete":
		return phaseDone
	case "failed", "failure", "error", "cancelled", "canceled", "expired", "rejected":
		return phaseFailed
	}
	return phaseUnknown
}

// jobStatus is the union of the fields this client reads from a create or
// poll response of either API. Unknown fields are ignored.
type jobStatus struct {
	ID       string          `json:"id"`
	TaskID   string          `json:"task_id"` // some task APIs name the id so
	Status   string          `json:"status"`
	Progress json.RawMessage `json:"progress"` // number or numeric string, 0-100
	Error    json.RawMessage `json:"error"`    // object {code, message}, string or null
	Content  *struct {
		VideoURL string `json:"video_url"`
	} `json:"content"` // task API: result URL when succeeded
	URL string `json:"video_url"` // some task APIs put it at the top level
}

// status is a decoded response.
type status struct {
	id       string
	phase    phase
	raw      string  // the status word as sent
	progress float64 // 0-100, -1 unknown
	errMsg   string  // the server's error message, if any
	videoURL string
}

// maxJSON bounds a create or poll response body.
const maxJSON = 1 << 20

// decodeStatus parses a create or poll response. It never panics; a body
// that is not a JSON object is an error.
func decodeStatus(b []byte) (status, error) {
	var js jobStatus
	if err := json.Unmarshal(b, &js); err != nil {
		return status{}, fmt.Errorf("response is not a JSON job object: %w (body starts %q)", err, snippet(b))
	}
	s := status{id: js.ID, raw: js.Status, phase: phaseOf(js.Status), progress: -1, videoURL: js.URL}
	if s.id == "" {
		s.id = js.TaskID
	}
	if js.Content != nil && js.Content.VideoURL != "" {
		s.videoURL = js.Content.VideoURL
	}
	if p, ok := number(js.Progress); ok {
		s.progress = p
	}
	s.errMsg = errorMessage(js.Error)
	return s, nil
}

// number reads a JSON number or numeric string.
func number(raw json.RawMessage) (float64, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return 0, false
	}
	if raw[0] == '"' {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, false
		}
		raw = []byte(strings.TrimSuffix(strings.TrimSpace(s), "%"))
	}
	v, err := strconv.ParseFloat(string(raw), 64)
	if err != nil {
		return 0, false
	}
	return v, true
}

// errorMessage renders an error field: {"code","message"} objects (OpenAI,
// Ark), plain strings, or anything else shortened.
func errorMessage(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var o struct {
		Code    any    `json:"code"`
		Message string `json:"message"`
		Type    string `json:"type"`
	}
	if json.Unmarshal(raw, &o) == nil && (o.Message != "" || o.Code != nil) {
		code := ""
		if o.Code != nil {
			code = fmt.Sprint(o.Code)
		}
		switch {
		case code != "" && o.Message != "":
			return code + ": " + o.Message
		case o.Message != "":
			return o.Message
		default:
			return code
		}
	}
	return snippet(raw)
}

// httpErrorMessage extracts a readable message from a non-2xx body: the
// API's error object when there is one, else the start of the body.
func httpErrorMessage(b []byte) string {
	var e struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal(b, &e) == nil {
		if m := errorMessage(e.Error); m != "" {
			return m
		}
		if e.Message != "" {
			return e.Message
		}
	}
	return snippet(b)
}

// snippet is the start of b, for error messages.
func snippet(b []byte) string {
	const n = 200
	s := strings.ToValidUTF8(string(b), "?")
	if len(s) > n {
		cut := n
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// errMissingID is a create response without a job id.
var errMissingID = errors.New("create response has no job id (neither \"id\" nor \"task_id\")")

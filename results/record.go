// Package results owns what every backend produces and every report reads:
// the per-request Record, streaming per-class summaries built on HDR
// histograms, the result JSON contract (fleetbench.result/v1), cost, SLO and
// goodput, renderers, compare and merge. It imports neither sim/ nor runners/.
package results

import "github.com/fleetbench/fleetbench/scenarios"

// Record is one request's measurement, identical in shape for simulated and
// real runs. Times are integer nanoseconds since the run started (virtual
// time in the simulator). A zero FirstToken or LastToken means "never".
type Record struct {
	ID     uint64 `json:"id"`
	Class  string `json:"class"`
	Kind   string `json:"kind"` // chat | agent | video | trace
	TaskID uint64 `json:"task_id"`
	Turn   int    `json:"turn,omitempty"`

	Intended   int64 `json:"intended_ns"`    // intended send time (schedule)
	Sent       int64 `json:"sent_ns"`        // actual send time
	FirstToken int64 `json:"first_token_ns"` // first token (video: generation start)
	LastToken  int64 `json:"last_token_ns"`  // last token (video: clip ready)
	QueueNs    int64 `json:"queue_ns"`       // waiting before service began

	InputTokens  int `json:"input_tokens"`
	CachedTokens int `json:"cached_tokens"`
	OutputTokens int `json:"output_tokens"`
	// InputTokensFrom and OutputTokensFrom say where an endpoint run's
	// counts came from: "usage" (the server's usage object, which agreed
	// with fleetbench's own count) or "counted" (fleetbench's tokenizer over
	// the text sent or received: the server reported no usage, or usage
	// that disagreed; see TokenMismatch). Empty in simulated runs.
	InputTokensFrom  string `json:"input_tokens_from,omitempty"`
	OutputTokensFrom string `json:"output_tokens_from,omitempty"`
	// TokenMismatch marks a request whose usage disagreed with the count
	// beyond the tolerance; UsageInputTokens/UsageOutputTokens keep what
	// the server said.
	TokenMismatch     bool `json:"token_mismatch,omitempty"`
	UsageInputTokens  int  `json:"usage_input_tokens,omitempty"`
	UsageOutputTokens int  `json:"usage_output_tokens,omitempty"`

	// ITL holds the request's inter-token gaps in ns, in order: one per
	// output token after the first (more when a retry after an instance
	// failure regenerated tokens). The runner measures them between
	// streamed chunks, the simulator between the decode steps that
	// produced the tokens; the summary's and compare's ITL read only this.
	ITL []int64 `json:"itl_ns,omitempty"`

	// ResponseID is the server's id of the response (the body's "id",
	// else the X-Request-Id response header; real runs only), to find the
	// request in the server's logs.
	ResponseID string `json:"response_id,omitempty"`
	Status     int    `json:"status,omitempty"`      // HTTP status for real runs
	ErrorClass string `json:"error_class,omitempty"` // "" = success
	Error      string `json:"error,omitempty"`

	Preemptions int    `json:"preemptions,omitempty"`
	Retries     int    `json:"retries,omitempty"` // resubmissions after an instance failure
	Instance    string `json:"instance,omitempty"`

	// TaskDone is set on the request that completed its task (the last turn
	// of an agent session; every independent request). TaskStart is the
	// task's first intended send time, so task E2E = LastToken - TaskStart.
	TaskDone  bool  `json:"task_done,omitempty"`
	TaskStart int64 `json:"task_start_ns,omitempty"`

	VideoSeconds float64 `json:"video_seconds,omitempty"` // generated video length
}

// NewRecord starts the record of request r, intended to be sent at
// intended (ns since the run started): its identity (ID, class, kind,
// task, turn) and its input size. Every backend builds its records here,
// so none drops a field; the backend then fills the times it measures,
// and TaskStart and TaskDone, which its schedule decides.
func NewRecord(r *scenarios.Request, intended int64) *Record {
	return &Record{ID: r.ID, Class: r.Class, Kind: string(r.Kind), TaskID: r.TaskID, Turn: r.Turn,
		Intended: intended, InputTokens: r.InputTokens}
}

// TTFT is the time to first token measured from the actual send time. It is
// undefined (false) when no token arrived or the times are inconsistent.
func (r *Record) TTFT() (int64, bool) {
	if r.FirstToken <= 0 || r.FirstToken < r.Sent {
		return 0, false
	}
	return r.FirstToken - r.Sent, true
}

// TTFTIntended is the time to first token measured from the intended send
// time, so that a late client cannot hide queueing (coordinated omission).
func (r *Record) TTFTIntended() (int64, bool) {
	if r.FirstToken <= 0 || r.FirstToken < r.Intended {
		return 0, false
	}
	return r.FirstToken - r.Intended, true
}

// E2E is the end-to-end latency: last token time minus send time.
func (r *Record) E2E() (int64, bool) {
	if r.LastToken <= 0 || r.LastToken < r.Sent {
		return 0, false
	}
	return r.LastToken - r.Sent, true
}

// E2EIntended is the end-to-end latency from the intended send time.
func (r *Record) E2EIntended() (int64, bool) {
	if r.LastToken <= 0 || r.LastToken < r.Intended {
		return 0, false
	}
	return r.LastToken - r.Intended, true
}

// TPOT is the time per output token after the first: (E2E - TTFT) /
// (OutputTokens - 1). It is undefined for fewer than two output tokens.
func (r *Record) TPOT() (int64, bool) {
	if r.OutputTokens < 2 || r.LastToken < r.FirstToken {
		return 0, false
	}
	if _, ok := r.TTFT(); !ok {
		return 0, false
	}
	if _, ok := r.E2E(); !ok {
		return 0, false
	}
	return (r.LastToken - r.FirstToken) / int64(r.OutputTokens-1), true
}

// ScheduleDelay is the actual send time minus the intended send time: how
// late the client was. A large p99 flags a saturated client.
func (r *Record) ScheduleDelay() (int64, bool) {
	if r.Sent < r.Intended {
		return 0, false
	}
	return r.Sent - r.Intended, true
}

// TaskE2E is the completion time of the task this record finished: last
// token minus the task's first intended send time. Only records with
// TaskDone carry it.
// A first-turn record with no TaskStart is its own task's start.
func (r *Record) TaskE2E() (int64, bool) {
	start := r.TaskStart
	if start == 0 && r.Turn == 0 {
		start = r.Intended
	}
	if !r.TaskDone || r.LastToken <= 0 || r.LastToken < start {
		return 0, false
	}
	return r.LastToken - start, true
}

// ArrivalNs is when the task this request belongs to arrived: TaskStart,
// or for a first turn without one its own intended send time. Windows and
// warm-up exclusion go by it, so all turns of a task fall on one side.
func (r *Record) ArrivalNs() int64 {
	if r.TaskStart == 0 && r.Turn == 0 {
		return r.Intended
	}
	return r.TaskStart
}

// OK reports whether the request succeeded.
func (r *Record) OK() bool { return r.ErrorClass == "" }

// endNs is the latest time the record mentions: when it stopped occupying
// the run, used for the measurement window and the timeline.
func (r *Record) endNs() int64 {
	return max(r.Sent, r.Intended, r.FirstToken, r.LastToken)
}
